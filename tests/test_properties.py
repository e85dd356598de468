"""Proof by properties (issue 13): whatever a person types, every service entry point and every form either
does it or refuses with a message (ServiceError / 4xx) — never an unexpected exception or a 500 — and a refused
call leaves the database exactly as it was.

Each test builds its records once; hypothesis then calls the same database many times, comparing a snapshot of
every collection before and after each call. The clock is frozen at 1 April 2026, 09:00 business time.
"""
import inspect
import io
import re
import threading
from datetime import date, datetime
from urllib.parse import quote

import pytest
import wtforms
from hypothesis import event, given
from hypothesis import strategies as st

from tests import strategies as s
from tests.faults import snapshot
from tests.test_no_server_errors import build_path_from, endpoints, world  # noqa: F401  (world: a fixture)
from webapp import clock
from webapp.services import (Actor, Conflict, ServiceError, accounts, area_skips, bill_queries, billing, billing_jobs,
                             calendar, catalog, customers, deliveries, demand, late_requests, links, orders,
                             pause_requests, payments, reconciliation, rounds)

NOW = datetime(2026, 4, 1, 9, 0)  # also the request tests' moment: the world's round day, before its cut-off
TODAY = date(2026, 4, 1)
DATES = s.dates(TODAY)
phones = s.mostly(st.integers(min_value=6_000_000_000, max_value=9_999_999_999).map(str), st.one_of(st.sampled_from(
    ["98765 43210", "+91 98765-43210", "098765432100", "09876543210", "９８７６５４３２１０", "٩٨٧٦٥٤٣٢١٠", "12"]), s.text))
AMOUNTS = s.mostly(st.integers(min_value=1, max_value=100_000), s.number)  # paise
SMALL = s.mostly(st.integers(min_value=1, max_value=5), s.number)
emails = s.mostly(st.emails().map(lambda e: e[:254]), st.one_of(s.text, st.none()))


def changed(before, after):
    """The collections that differ, for the failure message."""
    return sorted(name for name in set(before) | set(after) if before.get(name) != after.get(name))


def late_request_kept(actor, error):
    """A customer's change after the cut-off is refused but kept as a late request with its audit entry
    (cutoff.gate, by design): on that refusal only, those two collections may change."""
    if actor is not None and actor.has_role("customer") and isinstance(error, Conflict):
        return ("change_requests", "audit_log")
    return ()


class Ledger:
    """The database as last read: a refusal is compared with it, and every call reads it once again (one
    snapshot per example rather than two)."""

    def __init__(self, db):
        self.db = db
        self.state = snapshot(db)

    def check_unchanged(self, what, may_keep=()):
        before, self.state = self.state, snapshot(self.db)
        after = {name: docs for name, docs in self.state.items() if name not in may_keep}
        before = {name: docs for name, docs in before.items() if name not in may_keep}
        assert after == before, f"{what} yet changed {changed(before, after)}"

    def reread(self):
        self.state = snapshot(self.db)


def call_and_check(ledger, op, calls, actor=None, audited=()):
    """Call `calls[op]`; a ServiceError must carry a message and leave the database unchanged, but for a
    customer's late request and the collections in `audited` (refusals recorded by design: a shared link's
    refusals, a failed sign-in). Any other exception fails the property."""
    try:
        result = calls[op]()
    except ServiceError as error:
        event(f"{op}: {type(error).__name__}")
        assert isinstance(error.message, str) and error.message.strip(), repr(error)
        ledger.check_unchanged(f"refused ({error.message!r})", late_request_kept(actor, error) + tuple(audited))
        return error
    except BaseException:
        ledger.reread()
        raise
    event(f"{op}: done")
    ledger.reread()
    return result


# ---------------------------------------------------------------- service level


def test_catalog_entry_points(db, make_user, make_product):
    admin = Actor.for_user(make_user("admin"))
    milk = make_product("Milk")

    @s.examples(60)
    @given(op=st.sampled_from(["create", "update", "status"]), name=s.typed, unit=s.typed, price=AMOUNTS,
           product_id=s.mostly(st.just(milk["_id"]), s.text), status=s.choice("active", "discontinued"))
    def check(op, name, unit, price, product_id, status):
        call_and_check(ledger, op, {
            "create": lambda: catalog.create_product(name, unit, price, actor=admin),
            "update": lambda: catalog.update_product(product_id, name, unit, price, actor=admin),
            "status": lambda: catalog.set_status(product_id, status, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_customer_entry_points(db, make_user, make_product):
    admin = Actor.for_user(make_user("admin"))
    boy = make_user("delivery_boy")
    owner = make_user("customer", delivery_boy_id=boy["_id"])
    neighbour = make_user("customer", delivery_boy_id=boy["_id"])
    milk = make_product("Milk")
    customer_ids = s.mostly(st.sampled_from([owner["customer_id"], neighbour["customer_id"]]), s.text)
    boys = st.one_of(st.just(boy["_id"]), st.just(""), st.none(), s.text)
    prices = st.one_of(st.none(), st.dictionaries(s.mostly(st.just(milk["_id"]), s.text), s.number, max_size=3))

    @s.examples(140)
    @given(op=st.sampled_from(["create", "update", "own", "status", "prices", "route", "move", "invite", "delete"]),
           customer_id=customer_ids, name=s.typed, phone=phones, address=s.typed, area=s.typed, email=emails,
           boy_id=boys, stop=SMALL, status=s.choice(*customers.STATUSES), custom_prices=prices,
           direction=s.choice("up", "down"))
    def check(op, customer_id, name, phone, address, area, email, boy_id, stop, status, custom_prices, direction):
        call_and_check(ledger, op, {
            "create": lambda: customers.create_customer(
                name, phone, address, area, delivery_boy_id=boy_id, stop=stop, email=email, status=status,
                custom_prices=custom_prices, actor=admin),
            "update": lambda: customers.update_customer(customer_id, name, phone, address, area, email=email,
                                                        actor=admin),
            "own": lambda: customers.update_own_profile(address, phone, actor=Actor.for_user(owner)),
            "status": lambda: customers.set_status(customer_id, status, actor=admin),
            "prices": lambda: customers.set_custom_prices(customer_id, custom_prices, actor=admin),
            "route": lambda: customers.assign_route(customer_id, boy_id, stop, actor=admin),
            "move": lambda: customers.move_stop(boy_id, customer_id, direction, actor=admin),
            "invite": lambda: customers.new_invite(customer_id, actor=admin),
            "delete": lambda: customers.delete_customer(customer_id, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_sign_up_and_staff_logins(db, make_user):
    admin = Actor.for_user(make_user("admin"))

    @s.examples(60)
    @given(op=st.sampled_from(["sign_up", "create_user", "create_staff"]), name=s.typed, phone=phones,
           address=s.typed, area=st.one_of(st.none(), s.typed), email=emails, role=s.choice("admin", "support",
                                                                                            "customer", "supplier"),
           password=st.one_of(st.none(), s.text, st.just("correct-horse-battery-9")))
    def check(op, name, phone, address, area, email, role, password):
        call_and_check(ledger, op, {
            "sign_up": lambda: customers.sign_up(name, phone, address, password, area=area, ip="127.0.0.1"),
            "create_user": lambda: accounts.create_user(email, name, role, phone, password=password, actor=admin),
            "create_staff": lambda: accounts.create_staff(email, name, role, phone, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def items_of(product_ids):
    """Order lines as a form hands them over, and shapes no form would send."""
    line = st.fixed_dictionaries({"product_id": s.mostly(st.sampled_from(product_ids), st.one_of(s.text, st.none())),
                                  "qty": s.mostly(st.integers(min_value=1, max_value=3), s.number)})
    return s.mostly(st.lists(line, min_size=1, max_size=3),
                    st.one_of(st.lists(line, max_size=25), st.lists(s.text, max_size=2), st.none(), s.text))


def test_order_entry_points(db, make_user, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    owner = make_user("customer")
    milk, bread = make_product("Milk"), make_product("Bread")
    gone = make_product("Ghee")
    catalog.set_status(gone["_id"], "discontinued", actor=system)
    with clock.frozen(datetime(2026, 3, 20, 8, 0)):
        subscription = orders.create_subscription(
            owner["customer_id"], [{"product_id": milk["_id"], "qty": 2}, {"product_id": bread["_id"], "qty": 1}],
            {"kind": "daily"}, date(2026, 3, 25), actor=system)
        one_time = orders.create_one_time_order(owner["customer_id"], [{"product_id": milk["_id"], "qty": 1}],
                                                date(2026, 4, 3), actor=system)
        ending = orders.create_subscription(owner["customer_id"], [{"product_id": bread["_id"], "qty": 1}],
                                            {"kind": "alternate"}, date(2026, 3, 25), actor=system)
        draft = orders.create_subscription(owner["customer_id"], [{"product_id": bread["_id"], "qty": 1}],
                                           {"kind": "daily"}, date(2026, 4, 10), draft=True, actor=system)
    with clock.frozen(datetime(2026, 4, 1, 21, 30)):  # after the cut-off for 2 April: kept as late requests
        for qty in (0, 3):
            with pytest.raises(Conflict):
                orders.set_quantity(subscription["_id"], date(2026, 4, 2), [{"product_id": milk["_id"], "qty": qty}],
                                    actor=Actor.for_user(owner))
    late_ids = s.mostly(st.sampled_from([request["_id"] for request in db.change_requests.find()]), s.text)
    items = items_of([milk["_id"], bread["_id"], gone["_id"]])
    patterns = st.one_of(st.fixed_dictionaries({
        "kind": s.choice("daily", "alternate", "weekly", "custom"),
        "weekdays": st.lists(s.number, max_size=8),
        "dates": st.one_of(st.lists(DATES, max_size=4), st.lists(st.just("2026-04-05"), min_size=367, max_size=367)),
    }), st.none(), s.text)
    actors = st.sampled_from([admin, Actor.for_user(owner)])
    # Stopping and cancelling end an order for good: they get orders of their own.
    order_ids = s.mostly(st.sampled_from([subscription["_id"], subscription["_id"], one_time["_id"]]), s.text)
    ended_ids = s.mostly(st.sampled_from([ending["_id"], one_time["_id"], draft["_id"]]), s.text)

    @s.examples(160)
    @given(op=st.sampled_from(["subscribe", "once", "quantity", "pause", "resume", "stop", "cancel", "activate",
                               "apply_late", "dismiss_late"]),
           actor=actors, order_id=order_ids, ended_id=ended_ids, late_id=late_ids, items=items, pattern=patterns,
           first=DATES, last=DATES, reason=st.one_of(st.none(), s.text), override=st.booleans(), draft=st.booleans())
    def check(op, actor, order_id, ended_id, late_id, items, pattern, first, last, reason, override, draft):
        customer_id = owner["customer_id"]
        call_and_check(ledger, op, {
            "subscribe": lambda: orders.create_subscription(customer_id, items, pattern, first, last, draft=draft,
                                                            actor=actor),
            "once": lambda: orders.create_one_time_order(customer_id, items, first, actor=actor),
            "quantity": lambda: orders.set_quantity(order_id, first, items, override_cutoff=override, actor=actor),
            "pause": lambda: orders.pause(order_id, first, last, reason=reason, override_cutoff=override,
                                          actor=actor),
            "resume": lambda: orders.resume(order_id, first, override_cutoff=override, actor=actor),
            "stop": lambda: orders.stop(ended_id, first, override_cutoff=override, actor=actor),
            "cancel": lambda: orders.cancel(ended_id, override_cutoff=override, actor=actor),
            "activate": lambda: orders.activate(ended_id, actor=actor),
            "apply_late": lambda: late_requests.apply(late_id, actor=actor),
            "dismiss_late": lambda: late_requests.dismiss(late_id, actor=actor),
        }, actor)

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_area_skip_entry_points(db, make_user, make_customer, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    customer = make_customer(area="Indiranagar")
    milk = make_product("Milk")
    with clock.frozen(datetime(2026, 3, 20, 8, 0)):
        orders.create_subscription(customer["_id"], [{"product_id": milk["_id"], "qty": 1}], {"kind": "daily"},
                                   date(2026, 3, 25), actor=system)
        skip = area_skips.skip_area(date(2026, 4, 10), "Holi", "Indiranagar", actor=system)

    @s.examples(40)
    @given(op=st.sampled_from(["skip", "skip", "undo"]), day=DATES, reason=s.typed,
           area=st.one_of(st.none(), st.just("Indiranagar"), s.text), override=st.booleans(),
           skip_id=s.mostly(st.just(skip["_id"]), s.text))
    def check(op, day, reason, area, override, skip_id):
        call_and_check(ledger, op, {
            "skip": lambda: area_skips.skip_area(day, reason, area, override_cutoff=override, actor=admin),
            "undo": lambda: area_skips.undo_area_skip(skip_id, override_cutoff=override, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def round_scene(make_user, make_product, system):
    """A delivery boy with one customer on his route who has milk due every day from 25 March, and a live round
    link for 1 April."""
    boy = make_user("delivery_boy")
    owner = make_user("customer", delivery_boy_id=boy["_id"])
    milk = make_product("Milk")
    with clock.frozen(datetime(2026, 3, 20, 8, 0)):
        subscription = orders.create_subscription(owner["customer_id"], [{"product_id": milk["_id"], "qty": 2}],
                                                  {"kind": "daily"}, date(2026, 3, 25), actor=system)
    with clock.frozen(NOW):
        link = links.create_round_link(boy["_id"], TODAY, actor=system)
    return {"boy": boy, "owner": owner, "customer_id": owner["customer_id"], "milk": milk,
            "subscription": subscription, "link": link, "token": links.token_for(link)}


def test_pause_request_entry_points(db, make_user, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    scene = round_scene(make_user, make_product, system)
    with clock.frozen(NOW):
        waiting = pause_requests.request_pause(scene["token"], scene["customer_id"], date(2026, 4, 5),
                                               date(2026, 4, 6), ip="127.0.0.1")
    request_ids = s.mostly(st.just(waiting["_id"]), s.text)

    @s.examples(60)
    @given(op=st.sampled_from(["request", "request", "approve", "reject"]), first=DATES, last=DATES,
           reason=st.one_of(st.none(), s.text), request_id=request_ids, override=st.booleans(),
           note=st.one_of(st.none(), s.text))
    def check(op, first, last, reason, request_id, override, note):
        call_and_check(ledger, op, {
            "request": lambda: pause_requests.request_pause(scene["token"], scene["customer_id"], first, last,
                                                            reason, ip="127.0.0.1"),
            "approve": lambda: pause_requests.approve(request_id, override_cutoff=override, actor=admin),
            "reject": lambda: pause_requests.reject(request_id, note, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_delivery_entry_points(db, make_user, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    scene = round_scene(make_user, make_product, system)
    boy = Actor.for_user(scene["boy"])
    order_id, milk_id = scene["subscription"]["_id"], scene["milk"]["_id"]
    # {order_id: {product_id: typed text}} as ConfirmStopForm.quantities() hands it over, or None (in full).
    quantities = st.one_of(
        st.none(),
        st.fixed_dictionaries({order_id: st.fixed_dictionaries({milk_id: s.number})}),
        st.dictionaries(s.mostly(st.just(order_id), s.text),
                        st.one_of(st.dictionaries(s.mostly(st.just(milk_id), s.text), s.number, max_size=2), s.text),
                        max_size=2),
        s.text)
    delivered = st.one_of(st.none(), st.dictionaries(s.mostly(st.just(milk_id), s.text), s.number, max_size=2))

    @s.examples(60)
    @given(op=st.sampled_from(["stop", "stop", "order"]), actor=st.sampled_from([admin, boy]), day=DATES,
           quantities=quantities, delivered=delivered, reason=st.one_of(st.none(), s.choice(*deliveries.REASONS)),
           customer_id=s.mostly(st.just(scene["customer_id"]), s.text))
    def check(op, actor, day, quantities, delivered, reason, customer_id):
        call_and_check(ledger, op, {
            "stop": lambda: deliveries.confirm_stop(customer_id, day, quantities, reason=reason,
                                                    delivery_boy_id=scene["boy"]["_id"], actor=actor),
            "order": lambda: deliveries.confirm(order_id, day, delivered, reason=reason, actor=actor),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_money_and_link_entry_points(db, make_user, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    scene = round_scene(make_user, make_product, system)
    with clock.frozen(NOW):
        deliveries.confirm(scene["subscription"]["_id"], date(2026, 3, 25), actor=system)
        billing.run_month("2026-03", actor=system)
    bill_id = db.bills.find_one()["_id"]

    @s.examples(80)
    @given(op=st.sampled_from(["payment", "adjustment", "round_link", "bill_link"]), amount=AMOUNTS,
           method=s.choice(*payments.PAYMENT_METHODS), reference=st.one_of(st.none(), s.text), received_on=DATES,
           submission_id=st.one_of(st.none(), s.text), reason=s.typed, day=DATES, expires_at=s.expiry,
           boy_id=s.mostly(st.just(scene["boy"]["_id"]), s.text), bill=s.mostly(st.just(bill_id), s.text),
           customer_id=s.mostly(st.just(scene["customer_id"]), s.text))
    def check(op, amount, method, reference, received_on, submission_id, reason, day, expires_at, boy_id, bill,
              customer_id):
        call_and_check(ledger, op, {
            "payment": lambda: payments.record_payment(customer_id, amount, method, reference=reference,
                                                       received_on=received_on, submission_id=submission_id,
                                                       actor=admin),
            "adjustment": lambda: payments.add_adjustment(customer_id, amount, reason, actor=admin),
            "round_link": lambda: links.create_round_link(boy_id, day, expires_at=expires_at, actor=admin),
            "bill_link": lambda: links.create_bill_link(bill, expires_at=expires_at, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_tokens_and_sign_in(db, make_user, make_product, system):
    """Sign-in, invites and shared links, with anything for a token, a login or a password. Their refusals are
    audited by design (a failed sign-in also counted): those collections may change on a refusal."""
    admin = Actor.for_user(make_user("admin"))
    scene = round_scene(make_user, make_product, system)
    with clock.frozen(NOW):
        invite_url = accounts.create_invite(scene["owner"]["_id"], actor=system)
    tokens = s.mostly(st.sampled_from([scene["token"], invite_url.rsplit("/", 1)[-1]]),
                      st.one_of(s.text, st.just(scene["token"][:-2] + "xx")))
    order_id, milk_id = scene["subscription"]["_id"], scene["milk"]["_id"]
    quantities = st.one_of(st.none(), st.fixed_dictionaries({order_id: st.fixed_dictionaries({milk_id: s.number})}))

    @s.examples(60)
    @given(op=st.sampled_from(["sign_in", "check_invite", "accept_invite", "view_link", "confirm_link", "revoke",
                               "set_active"]),
           token=tokens, login=s.mostly(st.sampled_from([scene["owner"]["email"], scene["owner"]["phone"]]), s.text),
           password=st.one_of(st.none(), s.text, st.just("correct-horse-1"), st.just("a much longer passphrase 42")),
           day=s.mostly(st.just(TODAY.isoformat()), s.date_text(TODAY)), quantities=quantities,
           reason=st.one_of(st.none(), s.choice(*deliveries.REASONS)),
           customer_id=s.mostly(st.just(scene["customer_id"]), s.text),
           link_id=s.mostly(st.just(scene["link"]["_id"]), s.text),
           user_id=s.mostly(st.just(scene["boy"]["_id"]), s.text), active=st.booleans())
    def check(op, token, login, password, day, quantities, reason, customer_id, link_id, user_id, active):
        call_and_check(ledger, op, {
            "sign_in": lambda: accounts.authenticate(login, password, ip="127.0.0.1"),
            "check_invite": lambda: accounts.check_invite(token),
            "accept_invite": lambda: accounts.accept_invite(token, password),
            "view_link": lambda: links.view_link(token, ip="127.0.0.1"),
            "confirm_link": lambda: links.confirm_via_link(token, customer_id, day, quantities, reason=reason,
                                                           ip="127.0.0.1"),
            "revoke": lambda: links.revoke(link_id, actor=admin),
            "set_active": lambda: accounts.set_active(user_id, active, actor=admin),
        }, audited=("audit_log", "sign_in_failures") if op in ("sign_in", "view_link", "confirm_link") else ())

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


def test_reads_that_take_typed_input(db, make_user, make_product, system):
    """Pages of a month, a day or a search: an answer or a ServiceError, and nothing written."""
    admin = Actor.for_user(make_user("admin"))
    scene = round_scene(make_user, make_product, system)
    owner = Actor.for_user(scene["owner"])

    @s.examples(150)
    @given(op=st.sampled_from(["calendar", "calendar_day", "demand", "round", "stop", "day", "orders", "customers",
                               "bills", "bills_csv", "bill", "statement", "job", "reconcile", "run_month"]),
           month=s.month_text, day=DATES, text=st.one_of(st.none(), s.text), page=s.number,
           status=st.one_of(st.none(), s.text), area=st.one_of(st.none(), s.text),
           kind=st.one_of(st.none(), s.choice(*orders.KINDS)))
    def check(op, month, day, text, page, status, area, kind):
        customer_id, boy_id = scene["customer_id"], scene["boy"]["_id"]
        call_and_check(ledger, op, {
            "calendar": lambda: calendar.customer_calendar(customer_id, month, actor=owner),
            "calendar_day": lambda: calendar.calendar_day(customer_id, day, actor=owner),
            "demand": lambda: demand.for_day(day, actor=admin),
            "round": lambda: rounds.round_view(boy_id, day, actor=admin),
            "stop": lambda: rounds.stop_view(customer_id, day, delivery_boy_id=boy_id, actor=admin),
            "bills_csv": lambda: bill_queries.bills_csv(month, status=status, area=area, actor=admin),
            "bill": lambda: bill_queries.get_bill(text, actor=owner),
            "statement": lambda: bill_queries.statement(text, actor=admin),
            "job": lambda: billing_jobs.get_job(text, actor=admin),
            "day": lambda: rounds.day_overview(day, area=area, actor=admin),
            "orders": lambda: orders.list_orders(kind=kind, status=status, customer=text, area=area, day=day,
                                                 actor=admin),
            "customers": lambda: customers.list_customers(text, status=status, area=area, page=page, actor=admin),
            "bills": lambda: bill_queries.list_bills(month, status=status, area=area, actor=admin),
            "reconcile": lambda: reconciliation.reconciliation(month, actor=admin),
            "run_month": lambda: billing.run_month(month, actor=admin),
        })

    ledger = Ledger(db)
    with clock.frozen(NOW):
        check()


@s.examples(60)
@given(typed=st.one_of(s.text, st.none()))
def test_a_search_never_sends_mongodb_a_regular_expression_it_refuses(typed):
    """MongoDB refuses a regular expression holding a NUL (the embedded server takes it, so the property is
    checked on the query itself): every pattern a search builds compiles and holds none."""
    query = customers.search_query(typed, area=None)
    patterns = [customers.name_words_pattern(typed)] + [
        alternative[key]["$regex"] for alternative in query.get("$or", []) for key in alternative]
    for pattern in patterns:
        assert "\x00" not in pattern
        re.compile(pattern)


def test_a_nul_typed_into_a_search_is_dropped(db, make_user, make_customer, make_product, system):
    admin = Actor.for_user(make_user("admin"))
    asha = make_customer(name="Asha Rao")
    milk = make_product("Milk")
    with clock.frozen(datetime(2026, 3, 20, 8, 0)):
        order = orders.create_one_time_order(asha["_id"], [{"product_id": milk["_id"], "qty": 1}], date(2026, 4, 3),
                                             actor=system)
    assert [c["_id"] for c in customers.list_customers("As\x00ha", actor=admin)["items"]] == [asha["_id"]]
    assert [o["_id"] for o in orders.list_orders(customer="Ra\x00o", actor=admin)] == [order["_id"]]


# ---------------------------------------------------------------- request level

FORM_CLASS = re.compile(r"\b([A-Z]\w*Form)\(")
RAW_FIELD = re.compile(r"request\.(?:form|args)\.get\(\"(\w+)\"")
AUDIENCES = {"admin": "admin", "customer": "owner", "delivery": "delivery_boy", "links": None, "auth": None,
             "supplier": "supplier"}


def flat_fields(form):
    """The fields a browser posts for `form`: (name, field) with FieldList and FormField entries spelled out."""
    for field in form:
        if field.type == "FieldList":
            for entry in field.entries:
                yield from flat_fields(entry.form)
        elif field.type == "FormField":
            yield from flat_fields(field.form)
        elif field.type != "CSRFTokenField":
            yield field.name, field


def posted_fields(app, rule, world):
    """{name: field or None} a POST to `rule` reads: the fields of the forms its view builds, the raw fields it
    reads, a stop's quantity fields and a calendar day's prefixed lines."""
    view = app.view_functions[rule.endpoint]
    source = inspect.getsource(view)
    fields = {name: None for name in RAW_FIELD.findall(source)}
    order_id = world["order_id"]
    with app.test_request_context(method="POST"):
        for name in FORM_CLASS.findall(source):
            form_class = view.__globals__.get(name)
            if not (isinstance(form_class, type) and issubclass(form_class, wtforms.Form)):
                continue
            # A calendar day's form is prefixed with its order id, and its lines come from the order.
            prefix = {"prefix": order_id} if "prefix=order_id" in source else {}
            form = form_class(meta={"csrf": False}, **prefix)
            fields.update(flat_fields(form))
            if prefix:
                for n in range(2):
                    fields.update({f"{order_id}-items-{n}-product_id": None, f"{order_id}-items-{n}-qty": None})
        if "custom_prices_form" in source:
            fields[f"price_{world['product_id']}"] = None
    if "confirm_and_render" in source or "ConfirmStopForm" in source:
        fields.update({"outcome": None, "reason": None, f"qty:{order_id}:{world['product_id']}": None,
                       f"qty:{world['one_time_id']}:{world['product_id']}": None})
    return fields


def value_for(name, field, world):
    """What a person (or a crafted request) may put in field `name`."""
    if name.endswith("product_id"):
        return s.mostly(st.just(world["product_id"]), s.text)
    if name.startswith(("qty:", "price_")) or name.endswith(("qty", "stop", "amount", "price_paise")):
        return s.mostly(st.integers(min_value=0, max_value=3).map(str), s.number_text)
    if "expires" in name:
        return s.datetime_text
    if "month" in name:
        return s.month_text
    if "date" in name or name.endswith("day"):
        return s.mostly(s.date_text(TODAY), s.text)
    if name in ("email", "login"):
        return st.one_of(st.emails().map(lambda e: e[:254]), s.text)
    if name == "phone":
        return phones
    if name.endswith("_id"):
        return s.mostly(st.just(world.get(name, world["customer_id"])), s.text)
    if name == "status":
        return s.choice(*customers.STATUSES, *catalog.STATUSES)
    if name == "direction":
        return s.choice("up", "down", "credit", "debit")
    if name == "active":
        return s.choice("1", "0")
    if field is not None and field.type == "BooleanField":
        return st.sampled_from(["y", "", "1", "on", "false", "\x00"])
    if field is not None and getattr(field, "choices", None):
        values = [str(value) for value, _ in field.choices] or [""]
        multiple = field.type in ("SelectMultipleField", "CheckboxesField")
        return st.lists(s.choice(*values), max_size=3) if multiple else s.choice(*values)
    return s.typed


def path_values(rule, world):
    """The rule's path, mostly naming the world's records, sometimes anything typed (a date, a junk id)."""
    def value(name):
        real = str(world[name])
        if name in ("day", "date"):
            return s.mostly(st.just(real), s.date_text(TODAY))
        return s.mostly(st.just(real), s.text.filter(bool))

    return st.fixed_dictionaries({name: value(name) for name in rule.arguments}).map(
        lambda values: build_path_from(rule, {k: quote(v, safe="") for k, v in values.items()}))


def may_record(endpoint, method, status):
    """Collections an answer may change although it refused or only read, by design: a shared link's refusals
    and openings are audited (an opening counted on the link); a failed sign-in is audited and counted; a
    customer's change after the cut-off is kept as a late request (409)."""
    if endpoint.startswith("links."):
        return ("audit_log", "shared_links") if method == "GET" else ("audit_log",)
    if endpoint.startswith("auth."):
        return ("audit_log", "sign_in_failures")
    if endpoint.startswith("customer.") and status == 409:
        return ("change_requests", "audit_log")
    return ()


def form_rules(app, audience):
    """(rule, method) of every form of `audience`: each POST, and each GET that reads a query-string form."""
    for rule, method in endpoints(app):
        if rule.endpoint.split(".")[0] != audience:
            continue
        if method == "POST" or "request.args" in inspect.getsource(app.view_functions[rule.endpoint]):
            yield rule, method


def post_rules(app, audience):
    return [rule for rule, method in form_rules(app, audience) if method == "POST"]


def finish_background_runs():
    """A month's run or a data health run started from a page goes on in a thread after the answer; let it finish
    before the next snapshot, so its writes are not taken for a refusal's."""
    for thread in threading.enumerate():
        if thread.name.startswith("bill-") or thread.name == "health-check":
            thread.join(60)


def check_forms(app, client, db, world, audience):
    """Every form of `audience` with generated fields and paths: below 500; a refused POST and any GET write
    nothing."""
    failures = []
    ledger = Ledger(db)
    for rule, method in form_rules(app, audience):
        fields = posted_fields(app, rule, world)
        form = st.fixed_dictionaries({name: value_for(name, field, world) for name, field in fields.items()})

        @s.examples(6)
        @given(path=path_values(rule, world), data=form, htmx=st.booleans())
        def check(path, data, htmx):
            try:
                if method == "GET":
                    response = client.get(path, query_string=data, htmx=htmx)
                else:
                    response = client.post(path, data=data, htmx=htmx)
                finish_background_runs()
                event(f"{method} {rule.endpoint}: {response.status_code}")
                assert response.status_code < 500, f"{response.status_code} for {method} {path} {data!r}"
            except BaseException:
                ledger.reread()
                raise
            if method == "GET" or response.status_code >= 400:
                ledger.check_unchanged(f"{response.status_code} for {method} {path}",
                                       may_record(rule.endpoint, method, response.status_code))
            else:
                ledger.reread()

        try:
            check()
        except AssertionError as failure:
            failures.append(f"{method} {rule.endpoint}: {failure}")
    assert failures == []


@pytest.mark.parametrize("audience", ["admin", "customer", "delivery", "supplier", "links", "auth"])
def test_every_form_answers_or_refuses_cleanly(app, client, db, login_as, world, audience):
    role = AUDIENCES[audience]
    if role == "owner":
        login_as(world["owner"])
    elif role == "delivery_boy":
        login_as(accounts.get_user(world["boy_id"]))
    elif role:
        login_as(role)
    with clock.frozen(NOW):
        # The world's job record has no process behind it: the first page listing jobs marks it failed (by
        # design, audited); do that now, so it is not taken for a write of a refused form.
        billing_jobs.release_stalled()
        check_forms(app, client, db, world, audience)


JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), s.text),
                           lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(s.text, inner, max_size=3)),
                           max_leaves=6)


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_a_body_that_is_not_a_form_is_refused(app, client, db, login_as, world, encoding):
    """A JSON body, or a form with a file part, never reaches a view: 4xx, nothing written."""
    ledger = Ledger(db)
    failures = []
    with clock.frozen(NOW):
        for audience, role in (("admin", "admin"), ("customer", world["owner"]), ("links", None)):
            if role:
                login_as(role)
                ledger.reread()
            for rule in post_rules(app, audience):
                names = list(posted_fields(app, rule, world)) or ["field"]

                @s.examples(2)
                @given(values=st.fixed_dictionaries({name: JSON_VALUES for name in names}))
                def check(values):
                    path = build_path_from(rule, world)
                    if encoding == "json":
                        response = client.post(path, json=values)
                    else:
                        form = {name: str(value) for name, value in values.items()}
                        response = client.post(path, data={**form, "attachment": (io.BytesIO(b"%PDF"), "bill.pdf")})
                    assert 400 <= response.status_code < 500, f"{response.status_code} for {path}"
                    ledger.check_unchanged(f"{response.status_code} for {path}")

                try:
                    check()
                except AssertionError as failure:
                    ledger.reread()
                    failures.append(f"{rule.endpoint}: {failure}")
    assert failures == []
