"""Returnable bottles and crates: what each customer holds, the deposits held, and the charge for bottles kept.

A delivery of a returnable product gives the customer bottles; the boy records the bottles he collects in the same
tap. One lot per customer and delivery day (`bottle_lots`, `_id` "CU-…:YYYY-MM-DD") keeps the bottles given that day
per product and the bottles collected at that stop; a correction of the tap rewrites its lot. Bottles collected
settle the oldest lots first. The customer's running count (`customers.bottles_out`) moves in the same unit of work,
so the round reads it with the customer and never sums the lots.

A lot with bottles still out `BOTTLE_RETURN_DAYS` after its day is charged once: its unreturned bottles at their
deposit become an adjustment (unique per lot) that lands on the next bill, and they leave the count.
"""
from datetime import timedelta

from flask import current_app
from pymongo import UpdateOne

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, NotFound, ValidationError, uow, validate

MAX_DEPOSIT_PAISE = 1_000_000  # ₹10,000: a crate's deposit, not a typing slip
MAX_BOTTLES = 999


def lot_id(customer_id, day):
    return f"{customer_id}:{clock.iso(day)}"


def return_days():
    return current_app.config["BOTTLE_RETURN_DAYS"]


# ---------------------------------------------------------------- products

def clean_deposit(returnable, deposit_paise):
    """(returnable, deposit_paise): a returnable product has a deposit above zero; another has none."""
    if not returnable:
        return False, 0
    if isinstance(deposit_paise, bool) or not isinstance(deposit_paise, int) or deposit_paise <= 0:
        raise ValidationError("A returnable product needs a deposit, like 20.00.", field="deposit")
    if deposit_paise > MAX_DEPOSIT_PAISE:
        raise ValidationError("That deposit is too high.", field="deposit")
    return True, deposit_paise


# ---------------------------------------------------------------- at the stop (inside the tap's unit of work)

def bottles_given(deliveries, products):
    """[{product_id, qty, deposit_paise}] of returnable products handed over in `deliveries` (one stop's)."""
    given = {}
    for delivery in deliveries:
        for line in delivery["lines"]:
            product = products.get(line["product_id"]) or {}
            if product.get("returnable") and line["delivered_qty"]:
                entry = given.setdefault(line["product_id"], {"product_id": line["product_id"], "qty": 0,
                                                              "deposit_paise": product.get("deposit_paise") or 0})
                entry["qty"] += line["delivered_qty"]
    return sorted(given.values(), key=lambda entry: entry["product_id"])


def record_at_stop(u, customer, day, lot, deliveries, products, collected):
    """Inside the tap's unit of work: rewrite the stop's lot (`lot`, read with the stop; None: none yet) from what
    was handed over (`deliveries`, that day's at this door) and the bottles collected (None: unchanged), and move
    the customer's count by the difference. Collecting more bottles than the customer holds is a field error.
    Returns the customer's count."""
    key = lot_id(customer["_id"], day)
    lot = lot or {"out": [], "returned": 0}
    out = bottles_given(deliveries, products)
    returned = lot["returned"] if collected is None else collected
    delta = sum(entry["qty"] for entry in out) - sum(entry["qty"] for entry in lot["out"]) \
        - (returned - lot["returned"])
    if delta == 0 and out == lot["out"] and returned == lot["returned"]:
        return customer.get("bottles_out") or 0
    balance = (customer.get("bottles_out") or 0) + delta
    if balance < 0:
        raise ValidationError(f"The customer holds only {balance + returned} bottles with today's.", field="bottles")
    now = clock.now()
    u.defer(UpdateOne({"_id": key}, {
        "$set": {"customer_id": customer["_id"], "delivery_boy_id": customer.get("delivery_boy_id"),
                 "date": clock.iso(day), "out": out, "returned": returned, "updated_at": now},
        "$setOnInsert": {"charge": None, "created_at": now}}, upsert=True, namespace=u.namespace("bottle_lots")))
    u.defer(UpdateOne({"_id": customer["_id"]}, {"$inc": {"bottles_out": delta}}, namespace=u.namespace("customers")))
    u.record("bottles.stop", "customer", customer["_id"],
             f"{customer['name']} on {day:%d %b %Y}: {sum(entry['qty'] for entry in out)} bottles given, "
             f"{returned} collected; {balance} with him",
             changes={"before": {"out": lot["out"], "returned": lot["returned"]},
                      "after": {"out": out, "returned": returned}, "bottles_out": balance})
    return balance


# ---------------------------------------------------------------- what is out (pure)

def open_lots(lots):
    """Each lot (oldest first) with "remaining" (bottles still out) and "remaining_deposit_paise": the bottles
    collected anywhere settle the oldest lots first; a charged lot's charged bottles are settled by its charge.
    Within a lot, bottles return in product order."""
    lots = sorted(lots, key=lambda lot: lot["date"])
    pool = sum(lot.get("returned", 0) for lot in lots)
    found = []
    for lot in lots:
        charged = (lot.get("charge") or {}).get("qty", 0)
        capacity = sum(entry["qty"] for entry in lot.get("out", [])) - charged
        taken = min(pool, max(capacity, 0))
        pool -= taken
        settled = taken + charged
        remaining_deposit = 0
        for entry in lot.get("out", []):
            back = min(settled, entry["qty"])
            settled -= back
            remaining_deposit += (entry["qty"] - back) * entry["deposit_paise"]
        found.append({**lot, "remaining": max(capacity, 0) - taken, "remaining_deposit_paise": remaining_deposit})
    return found


def overdue(lots, today, days):
    """The open, uncharged lots at least `days` old on `today`."""
    limit = clock.iso(today - timedelta(days=days))
    return [lot for lot in open_lots(lots) if lot["remaining"] > 0 and not lot.get("charge") and lot["date"] <= limit]


# ---------------------------------------------------------------- reading

def for_customer(customer_id):
    """A customer's bottles for his bill and his page: {"out", "deposit_held_paise", "lots": [open lots, oldest
    first], "charged": [charged lots], "return_days"}."""
    lots = open_lots(get_db().bottle_lots.find({"customer_id": customer_id}))
    outstanding = [lot for lot in lots if lot["remaining"] > 0]
    return {"out": sum(lot["remaining"] for lot in outstanding),
            "deposit_held_paise": sum(lot["remaining_deposit_paise"] for lot in outstanding),
            "lots": outstanding, "charged": [lot for lot in lots if lot.get("charge")],
            "return_days": return_days()}


def customer_view(customer_id, *, actor):
    """Staff: {"customer", "bottles": for_customer(...)}."""
    actor.require(*STAFF_ROLES)
    customer = get_db().customers.find_one({"_id": customer_id}, {"name": 1, "bottles_out": 1}) \
        if isinstance(customer_id, str) else None
    if customer is None:
        raise NotFound("No such customer.")
    return {"customer": customer, "bottles": for_customer(customer_id)}


def outstanding(*, actor):
    """Staff: bottles out per round and per customer. {"rounds": [{"boy", "out", "customers": [{_id, name, stop,
    bottles_out}]}], "total", "return_days"}; customers without a boy under boy None."""
    actor.require(*STAFF_ROLES)
    db = get_db()
    holders = list(db.customers.find({"bottles_out": {"$gt": 0}}, {"name": 1, "stop": 1, "delivery_boy_id": 1,
                                                                    "bottles_out": 1}))
    boys = {boy["_id"]: boy for boy in db.users.find({"role": "delivery_boy"}, {"name": 1})}
    by_boy = {}
    for customer in holders:
        by_boy.setdefault(customer.get("delivery_boy_id"), []).append(customer)
    rounds = [{"boy": boys.get(boy_id), "out": sum(c["bottles_out"] for c in customers),
               "customers": sorted(customers, key=lambda c: (c.get("stop") is None, c.get("stop") or 0, c["name"]))}
              for boy_id, customers in by_boy.items()]
    rounds.sort(key=lambda entry: (entry["boy"] is None, (entry["boy"] or {}).get("name", "")))
    return {"rounds": rounds, "total": sum(entry["out"] for entry in rounds), "return_days": return_days()}


# ---------------------------------------------------------------- the charge

def charge_lot(u, lot, customer):
    """Inside `u`: charge one overdue lot's bottles still out (an adjustment for the next bill), once."""
    amount = lot["remaining_deposit_paise"]
    charge = {"qty": lot["remaining"], "amount_paise": amount, "adjustment_id": u.new_id("AD"), "at": clock.now()}
    claimed = u.db.bottle_lots.find_one_and_update({"_id": lot["_id"], "charge": None}, {"$set": {"charge": charge}})
    if claimed is None:
        raise Conflict("This bottle lot was charged already.")
    reason = f"{lot['remaining']} bottles not returned from {lot['date']}"
    u.db.adjustments.insert_one({"_id": charge["adjustment_id"], "customer_id": customer["_id"],
                                 "amount_paise": amount, "reason": reason, "bill_id": None,
                                 "bottle_lot_id": lot["_id"], "created_by": u.actor.as_doc(),
                                 "created_at": charge["at"]})
    u.db.customers.update_one({"_id": customer["_id"]}, {"$inc": {"bottles_out": -lot["remaining"]}})
    u.record("bottles.charge", "customer", customer["_id"], f"{customer['name']}: {reason}, charged {amount} paise",
             changes={"lot_id": lot["_id"], "adjustment_id": charge["adjustment_id"], "qty": lot["remaining"],
                      "amount_paise": amount})
    return charge


def charge_overdue(*, actor):
    """Charge every lot with bottles out for `BOTTLE_RETURN_DAYS` or more: one adjustment per lot, each customer in
    one unit of work. Running it again charges nothing twice. Returns {"lots", "amount_paise"}."""
    actor.require("admin", "support")
    db = get_db()
    today, days = clock.today(), return_days()
    holders = list(db.customers.find({"bottles_out": {"$gt": 0}}, {"name": 1, "bottles_out": 1}))
    charged = {"lots": 0, "amount_paise": 0}
    for customer in holders:
        def work(u, customer=customer):
            done = [charge_lot(u, lot, customer)
                    for lot in overdue(u.db.bottle_lots.find({"customer_id": customer["_id"]}), today, days)]
            return done

        try:
            done = uow.run(actor, work)
        except Conflict:
            continue  # another run charged this customer's lots meanwhile
        charged["lots"] += len(done)
        charged["amount_paise"] += sum(charge["amount_paise"] for charge in done)
    return charged


def clean_collected(value):
    """Bottles collected as typed: None when left empty, else a whole number."""
    if value in (None, ""):
        return None
    return validate.whole_number(value, "bottles", label="Bottles collected", maximum=MAX_BOTTLES)
