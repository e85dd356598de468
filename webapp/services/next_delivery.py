"""Tomorrow first (reads only): the delivery day a page of the day opens on, and a customer's next delivery
as his home page shows it — what, how much, at what price, and whether it can still be changed."""
from datetime import timedelta

from webapp import clock
from webapp.services import customers, cutoff, dashboard


def day_being_prepared():
    """Today until today's cut-off (the one for tomorrow) has passed; then tomorrow, whose orders are final
    and which the dairy, the supplier and the van are now preparing."""
    return cutoff.first_open_day() - timedelta(days=1)


def customer_home(*, actor):
    """The customer's home: `dashboard.customer_summary` with tomorrow priced and its cut-off.

    Adds "lines" [{product, qty, unit_price_paise, amount_paise}] at his price in force now, "total_paise",
    "open" (changes for tomorrow still accepted), "cutoff_at" (aware UTC) and "minutes_left" until it."""
    summary = dashboard.customer_summary(actor=actor)
    customer = customers.get_customer(actor.customer_id)
    lines = []
    for product, qty in summary["arriving"]:
        unit_price = customers.unit_price(customer, product)
        lines.append({"product": product, "qty": qty, "unit_price_paise": unit_price, "amount_paise": unit_price * qty})
    cutoff_at = cutoff.cutoff_for(summary["tomorrow"])
    seconds_left = (cutoff_at - clock.now()).total_seconds()
    return {**summary, "lines": lines, "total_paise": sum(line["amount_paise"] for line in lines),
            "open": cutoff.is_open(summary["tomorrow"]), "cutoff_at": cutoff_at,
            "minutes_left": max(0, int(seconds_left // 60))}
