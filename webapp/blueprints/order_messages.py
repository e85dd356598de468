"""The short message each order action ends with, in the customer's terms ("Skipped Tue 24 Nov — ₹32.00 less
this month"); saving a calendar day (customer or staff) and pausing read the month before and after to say it."""
from webapp import clock
from webapp.presentation import describe_pattern, format_day, format_rupees
from webapp.services import calendar, catalog, orders, validate


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
    span = (f"{format_day(first)} to {format_day(last_day)}" if last_day
            else f"from {format_day(first)} until you resume")
    return f"Paused {span}" + (f" — {format_rupees(saved)} less {month_words(first)}" if saved else "")


def month_words(day):
    return "this month" if clock.month_of(day) == clock.month_of(clock.today()) else f"in {day:%B}"


def day_change_message(day, change, month):
    """"Skipped Tue 24 Nov — ₹32.00 less this month", "Tue 24 Nov: 2 × Toned milk (was 1) — ₹28.00 more this
    month", "Thu 02 Apr: … less in April"."""
    if not change["lines"]:
        return f"{format_day(day)}: nothing changed."
    if change["skipped"]:
        what = f"Skipped {format_day(day)}"
    else:
        what = f"{format_day(day)}: " + ", ".join(
            f"{line['qty']} × {product_name(month, line['product_id'])} (was {line['was']})"
            for line in change["lines"])
    delta = change["delta_paise"]
    if not delta:
        return what
    return f"{what} — {format_rupees(abs(delta))} {'more' if delta > 0 else 'less'} {month_words(day)}"


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
        return (f"Ordered for {format_day(order['delivery_date'])}: {items_text(order)} — "
                f"{format_rupees(order_total(order))}")
    return (f"Subscription from {format_day(order['start_date'])}: {items_text(order)}, "
            f"{describe_pattern(order['pattern']).lower()} — {format_rupees(order_total(order))} a delivery")


def ended_message(order, whose="your"):
    """After a cancel or a stop: what no longer arrives ("your" order on the customer's pages, "the" on staff's)."""
    if order["kind"] == orders.ONE_TIME:
        day = clock.parse_day(order["delivery_date"])
        return (f"Cancelled {whose} order for {format_day(day)} — {format_rupees(order_total(order))} less "
                f"{month_words(day)}")
    return f"Stopped: nothing of this subscription arrives from {format_day(order['stopped_on'])}"
