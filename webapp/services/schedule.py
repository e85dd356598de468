"""The schedule engine: the one place that decides what an order brings on a date.

Pure: `quantity_on(order, day)` reads nothing but the order document it is given (items, pattern,
dates, overrides, pauses, skips), so the calendar, the round, confirmation checks, supplier demand
and billing checks all agree, and its property tests need no database.
Precedence, strongest first: cancellation / draft / stop / start and end dates,
area-wide skips, the household's holds (away, or the customer paused; copied onto each of his orders,
one-time ones too), pauses, per-date overrides, the pattern.
"""
from datetime import timedelta

from webapp import clock

# Why nothing (or something other than the usual) is due on a day; the calendar shows these.
DUE = "due"                # the pattern's quantities
CHANGED = "changed"        # a per-date override changed the quantities
SKIPPED = "skipped"        # an area-wide skip (with its reason)
PAUSED = "paused"          # inside a pause range
OFF = "off"                # the pattern brings nothing that day
OUTSIDE = "outside"        # before the start, after the end or stop, a draft, or cancelled


def _day(value):
    return clock.parse_day(value) if value is not None else None


def pattern_matches(order, day):
    """True when the subscription's pattern brings its items on `day` (ignoring dates and changes)."""
    pattern = order.get("pattern") or {}
    kind = pattern.get("kind")
    if kind == "daily":
        return True
    if kind == "alternate":
        return (day - _day(order["start_date"])).days % 2 == 0
    if kind == "weekly":
        return day.weekday() in (pattern.get("weekdays") or [])
    if kind == "custom":
        return day.isoformat() in (pattern.get("dates") or [])
    return False


def in_pause(order, day):
    """The pause range covering `day` (an open-ended pause has last_day None), or None."""
    for pause in order.get("pauses") or []:
        first, last = _day(pause["first_day"]), _day(pause.get("last_day"))
        if first <= day and (last is None or day <= last):
            return pause
    return None


def in_hold(order, day):
    """The household hold (away, or the customer paused) covering `day` (last_day None = open-ended), or None."""
    for hold in order.get("holds") or []:
        first, last = _day(hold["first_day"]), _day(hold.get("last_day"))
        if first <= day and (last is None or day <= last):
            return hold
    return None


def within_term(order, day):
    """True when the subscription runs on `day`: started, not ended, not stopped, not a draft."""
    if order.get("status") == "DRAFT":
        return False
    if day < _day(order["start_date"]):
        return False
    end = _day(order.get("end_date"))
    if end is not None and day > end:
        return False
    stopped_on = _day(order.get("stopped_on"))
    return stopped_on is None or day < stopped_on


def explain(order, day):
    """What `order` brings on `day` and why: {"state", "quantities", "reason"}.

    `quantities` is {product_id: qty} with qty > 0 only; `state` is one of the constants above.
    """
    day = clock.parse_day(day)
    if order["kind"] == "ONE_TIME":
        if order.get("status") == "CANCELLED" or order.get("delivery_date") != day.isoformat():
            return {"state": OUTSIDE, "quantities": {}, "reason": None}
        hold = in_hold(order, day)
        if hold is not None:
            return {"state": PAUSED, "quantities": {}, "reason": hold.get("reason")}
        return {"state": DUE, "quantities": _positive(_item_quantities(order)), "reason": None}

    if not within_term(order, day):
        return {"state": OUTSIDE, "quantities": {}, "reason": None}
    key = day.isoformat()
    skip = (order.get("skips") or {}).get(key)
    if skip:
        return {"state": SKIPPED, "quantities": {}, "reason": skip.get("reason")}
    pause = in_hold(order, day) or in_pause(order, day)
    if pause is not None:
        return {"state": PAUSED, "quantities": {}, "reason": pause.get("reason")}
    quantities = _item_quantities(order) if pattern_matches(order, day) else {}
    override = (order.get("overrides") or {}).get(key)
    if override is not None:
        known = _item_quantities(order)
        quantities = dict(quantities)
        for product_id, qty in override.items():
            if product_id in known:
                quantities[product_id] = qty
        quantities = _positive(quantities)
        state = CHANGED if quantities else SKIPPED if pattern_matches(order, day) else OFF
        return {"state": state, "quantities": quantities, "reason": None}
    quantities = _positive(quantities)
    return {"state": DUE if quantities else OFF, "quantities": quantities, "reason": None}


def quantity_on(order, day):
    """{product_id: qty} that `order` brings on `day` (only qty > 0; {} = nothing due)."""
    return explain(order, day)["quantities"]


def due_on(orders, day):
    """[(order, {product_id: qty})] for the orders with something due on `day`, in the given order."""
    day = clock.parse_day(day)
    due = []
    for order in orders:
        quantities = quantity_on(order, day)
        if quantities:
            due.append((order, quantities))
    return due


def days_between(first, last):
    """Every date from `first` to `last`, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _item_quantities(order):
    quantities = {}
    for item in order.get("items") or []:
        quantities[item["product_id"]] = quantities.get(item["product_id"], 0) + int(item["qty"])
    return quantities


def _positive(quantities):
    return {product_id: qty for product_id, qty in quantities.items() if qty > 0}
