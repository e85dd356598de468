"""The customer's bills: lines by day and product, totals, payments and balance; printable."""
from flask import render_template
from flask_login import current_user

from webapp import htmx
from webapp.blueprints.customer import bp
from webapp.forms.links import ShareBillForm
from webapp.net import current_actor
from webapp.services import bill_queries, links


@bp.get("/bills/")
def bills():
    """My bills, payments and balance."""
    statement = bill_queries.statement(current_user.customer_id, actor=current_actor())
    return render_template("customer/bills/index.html", statement=statement)


@bp.get("/bills/<bill_id>")
def bill(bill_id):
    """One of my bills (another customer's answers 404)."""
    return render_template("customer/bills/bill.html", share_form=ShareBillForm(),
                           **bill_queries.bill_view(bill_id, actor=current_actor()))


@bp.post("/bills/<bill_id>/share")
def share_bill(bill_id):
    """A read-only link to one of my bills, to send on WhatsApp (another customer's bill answers 404)."""
    form = ShareBillForm()
    if not form.validate_on_submit():
        return htmx.render("customer/bills/bill.html", "customer/bills/_share.html", status=422,
                           share_form=form, **bill_queries.bill_view(bill_id, actor=current_actor()))
    link = links.create_bill_link(bill_id, actor=current_actor())
    link["url"] = links.link_url(link)
    context = bill_queries.bill_view(bill_id, actor=current_actor())
    return htmx.render("customer/bills/bill.html", "customer/bills/_share.html", link=link,
                       share_form=form, share_text=f"EarlyBird bill {bill_id}:", **context)
