"""The short message each order action ends with, in the customer's terms ("Skipped Tue 24 Nov — ₹32.00 less
this month"); saving a calendar day (customer or staff) and pausing read the month before and after to say it.
Each message speaks the page's language."""
from flask_babel import gettext

from webapp import clock
from webapp.services import calendar, catalog, orders, validate
from webapp.template_helpers import day as format_day, describe_pattern, month as format_month, rupees as format_rupees


def save_day(customer_id, order_id, day, items, *, override_cutoff=False, actor):
    """orders.set_quantity, then the message for the page (service errors pass through)."""
    before, _ = calendar.calendar_day(customer_id, day, actor=actor)
    orders.set_quantity(order_id, day, items, override_cutoff=override_cutoff, actor=actor)
    after, month = calendar.calendar_day(customer_id, day, actor=actor)
    return day_change_message(after["date"], calendar.day_change(before, after, order_id, month["prices"]), month)


def pause_and_say(customer_id, order_id, first_day, last_day, *, reason, override_cutoff=False, actor):
    """orders.pause, then "Paused Tue 24 Nov to Mon 30 Nov — ₹196.00 less this month" (the month it starts in)."""
    first = validate.day(first_day, "first_day", label="First day")
    month = clock.month_of(first)
    before = calendar.customer_calendar(customer_id, month, actor=actor)["booked_paise"]
    orders.pause(order_id, first_day, last_day, reason=reason, override_cutoff=override_cutoff, actor=actor)
    saved = before - calendar.customer_calendar(customer_id, month, actor=actor)["booked_paise"]
    if last_day:
        paused = gettext("Paused %(first)s to %(last)s", first=format_day(first), last=format_day(last_day))
    else:
        paused = gettext("Paused from %(first)s until you resume", first=format_day(first))
    return paused + (" — " + less(saved, first) if saved else "")


def less(paise, day):
    if clock.month_of(day) == clock.month_of(clock.today()):
        return gettext("%(amount)s less this month", amount=format_rupees(paise))
    return gettext("%(amount)s less in %(month)s", amount=format_rupees(paise), month=format_month(day, "name"))


def more(paise, day):
    if clock.month_of(day) == clock.month_of(clock.today()):
        return gettext("%(amount)s more this month", amount=format_rupees(paise))
    return gettext("%(amount)s more in %(month)s", amount=format_rupees(paise), month=format_month(day, "name"))


def day_change_message(day, change, month):
    """"Skipped Tue 24 Nov — ₹32.00 less this month", "Tue 24 Nov: 2 × Toned milk (was 1) — ₹28.00 more this
    month", "Thu 02 Apr: … less in April"."""
    if not change["lines"]:
        return gettext("%(day)s: nothing changed.", day=format_day(day))
    if change["skipped"]:
        what = gettext("Skipped %(day)s", day=format_day(day))
    else:
        what = f"{format_day(day)}: " + ", ".join(
            gettext("%(qty)s × %(product)s (was %(was)s)", qty=line["qty"],
                    product=product_name(month, line["product_id"]), was=line["was"])
            for line in change["lines"])
    delta = change["delta_paise"]
    if not delta:
        return what
    return f"{what} — " + (more(delta, day) if delta > 0 else less(-delta, day))


def product_name(month, product_id):
    product = month["products"].get(product_id)
    return product["name"] if product else product_id


def items_text(order):
    products = catalog.products_by_id([item["product_id"] for item in order["items"]])
    names = {product_id: product["name"] for product_id, product in products.items()}
    return ", ".join(f"{item['qty']} × {names.get(item['product_id'], item['product_id'])}" for item in order["items"])


def order_total(order):
    return sum(item["qty"] * item["unit_price_paise"] for item in order["items"])


def placed_message(order):
    """"Ordered for Thu 12 Mar: 2 × Curd — ₹70.00" / "Subscription from Wed 11 Mar: 1 × Toned milk, daily"."""
    if order["kind"] == orders.ONE_TIME:
        return gettext("Ordered for %(day)s: %(items)s — %(amount)s", day=format_day(order["delivery_date"]),
                       items=items_text(order), amount=format_rupees(order_total(order)))
    return gettext("Subscription from %(day)s: %(items)s, %(pattern)s — %(amount)s a delivery",
                   day=format_day(order["start_date"]), items=items_text(order),
                   pattern=describe_pattern(order["pattern"]).lower(), amount=format_rupees(order_total(order)))


def ended_message(order, whose="your"):
    """After a cancel or a stop: what no longer arrives ("your" order on the customer's pages, "the" on staff's)."""
    if order["kind"] == orders.ONE_TIME:
        day = clock.parse_day(order["delivery_date"])
        if whose == "the":
            cancelled = gettext("Cancelled the order for %(day)s", day=format_day(day))
        else:
            cancelled = gettext("Cancelled your order for %(day)s", day=format_day(day))
        return f"{cancelled} — {less(order_total(order), day)}"
    return gettext("Stopped: nothing of this subscription arrives from %(day)s", day=format_day(order["stopped_on"]))
