"""Sending the month's bills on WhatsApp: the bills in delivery-route order, each sent as a message holding the
amount due, the due date and the bill's signed link, and ticked off as sent.

`bill_sends` keeps one document per bill (`_id` = the bill id): the link it was sent with, when it was last sent,
by whom and how many times. Sending again reuses that link while it is live, so a customer's earlier message
keeps working."""
from urllib.parse import quote

from pymongo import ReturnDocument

from webapp import clock
from webapp.db import get_db
from webapp.presentation import format_day, format_month, format_rupees
from webapp.services import STAFF_ROLES, NotFound, bill_builder, business_profile, links, uow, upi, validate


def month_sheet(month, *, actor):
    """The month's bills to send, in delivery-route order (delivery boy by name, then stop; customers not on a
    route last): {month, rows: [{bill, customer, delivery_boy, due_now_paise, sent}], sent_count}; `sent` is the
    bill's `bill_sends` document or None."""
    actor.require(*STAFF_ROLES)
    month = validate.month(month)
    db = get_db()
    bills = list(db.bills.find({"month": month}, {"lines": 0, "summary": 0}))
    customers = {c["_id"]: c for c in db.customers.find(
        {"_id": {"$in": list({b["customer_id"] for b in bills})}},
        {"name": 1, "phone": 1, "area": 1, "delivery_boy_id": 1, "stop": 1})}
    boys = {b["_id"]: b["name"] for b in db.users.find(
        {"_id": {"$in": list({c.get("delivery_boy_id") for c in customers.values()} - {None})}}, {"name": 1})}
    sends = {s["_id"]: s for s in db.bill_sends.find({"month": month})}
    today = clock.today()
    rows = []
    for bill in bills:
        customer = customers.get(bill["customer_id"], {"name": bill["customer_id"], "phone": ""})
        bill["status"] = bill_builder.effective_status(bill, today)
        rows.append({"bill": bill, "customer": customer, "delivery_boy": boys.get(customer.get("delivery_boy_id")),
                     "due_now_paise": upi.due_now_paise(bill), "sent": sends.get(bill["_id"])})
    rows.sort(key=lambda row: (row["delivery_boy"] is None, (row["delivery_boy"] or "").casefold(),
                               row["customer"].get("stop") or 0, row["customer"]["name"].casefold(),
                               row["bill"]["_id"]))
    return {"month": month, "rows": rows, "sent_count": sum(1 for row in rows if row["sent"])}


def message(bill, business, url):
    """The WhatsApp message of a bill: who it is from, the month, what is due now and by when, its link."""
    due_now = upi.due_now_paise(bill)
    if due_now:
        owed = f"Amount due {format_rupees(due_now)} by {format_day(bill['due_date'], 'words')}."
    else:
        owed = "It is paid in full, thank you."
    return (f"{business['name']}: your bill {bill['_id']} for {format_month(bill['month'])}. {owed} "
            f"See it{' and pay by UPI' if due_now and business.get('upi_id') else ''}: {url}")


def whatsapp_url(phone, text):
    """A wa.me link opening the chat of an Indian mobile number with `text` typed in."""
    return f"https://wa.me/91{phone}?text={quote(text, safe='')}"


def _live_link(u, link_id):
    if not link_id:
        return None
    return u.db.shared_links.find_one({"_id": link_id, "scope": "bill", "revoked_at": None,
                                       "expires_at": {"$gt": clock.now()}})


def send(bill_id, *, actor):
    """Send one bill (staff): its live link (a new one when it has none), the tick recorded and audited; returns
    {bill_id, whatsapp_url, sent} for the browser to open the customer's chat with the message typed in."""
    actor.require(*STAFF_ROLES)
    bill = get_db().bills.find_one({"_id": str(bill_id)}, {"lines": 0, "summary": 0})
    if bill is None:
        raise NotFound("No such bill.")
    customer = get_db().customers.find_one({"_id": bill["customer_id"]}, {"phone": 1, "name": 1}) or {}
    business = business_profile.get()

    def work(u):
        before = u.db.bill_sends.find_one({"_id": bill["_id"]})
        link = _live_link(u, (before or {}).get("link_id")) or links.create_bill_link(bill["_id"], actor=actor)
        now = clock.now()
        sent = u.db.bill_sends.find_one_and_update(
            {"_id": bill["_id"]},
            {"$set": {"month": bill["month"], "customer_id": bill["customer_id"], "link_id": link["_id"],
                      "sent_at": now, "sent_by": actor.as_doc()}, "$inc": {"sends": 1}},
            upsert=True, return_document=ReturnDocument.AFTER)
        u.record("bill.send", "bill", bill["_id"], f"Sent bill {bill['_id']} on WhatsApp to {customer.get('name', '')}",
                 changes={"link_id": link["_id"], "sends": sent["sends"]})
        return link, sent

    link, sent = uow.run(actor, work)
    text = message(bill, business, links.link_url(link))
    return {"bill_id": bill["_id"], "whatsapp_url": whatsapp_url(customer.get("phone", ""), text), "sent": sent}
