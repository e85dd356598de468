"""Every query the services send uses an index on the collections that grow with the business.

The main service functions run on a small business made through the services, with every command recorded
(tests/command_capture.py); each find, aggregate, count and distinct, and the filter of each update, delete,
findAndModify and bulk write, is then explained on the same database. The embedded server (SecantusDB) answers
`explain` with a winning plan for find, aggregate and count; for update and delete it does not plan the filter
(it reports an empty query), so their filters are explained as finds. A winning plan with a COLLSCAN fails
the test, except the whole-collection reads named in WHOLE_READS (no filter at all: an index cannot make
reading everything cheaper).
"""
import pytest

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.command_capture import listening
from webapp import clock
from webapp.services import bill_queries, billing, calendar, customers, dashboard, deliveries, demand, payments, \
    reconciliation, rounds

# Collections whose size does not follow the business (a catalogue, ID counters, a document or two per month, the
# schema).
FIXED_SIZE = {"products", "counters", "migrations", "billing_marks", "bill_months", "bill_dues"}
# Reads of a whole collection that the service asks for on purpose, each with its reason; any other scan fails.
WHOLE_READS = {
    ("customers", "find"): "day_plan.build: every customer's delivery boy, for all rounds at once",
    ("customers", "distinct"): "day_plan.build: the list of areas",
    ("bills", "aggregate"): "payments.balances(): billed per customer, over all customers",
    ("payments", "aggregate"): "payments.balances(): paid per customer, over all customers",
}
# Scans in modules owned elsewhere, each with the change that ends it (bench/README.md); a new scan fails.
# Keyed by collection and the filter's fields.
KNOWN_SCANS = {
    ("customers", ("delivery_boy_id", "status")):
        "dashboard.staff_summary: count {delivery_boy_id: None} (index route) less the stopped ones without a route",
    ("customers", ("$or",)): "customers.list_customers: a search inside names reads every name (no index can)",
}
QUERY_COMMANDS = {"find", "aggregate", "count", "distinct"}
WRITE_FILTERS = {"update": ("updates", "q"), "delete": ("deletes", "q")}
SESSION_FIELDS = {"lsid", "txnNumber", "autocommit", "startTransaction", "$clusterTime", "$db", "readConcern",
                  "writeConcern", "$readPreference", "cursor", "batchSize", "singleBatch", "maxTimeMS",
                  "apiVersion", "comment"}


def plan_commands(sent):
    """(collection, kind, command to explain) for every query in `sent`, write filters as finds; each once."""
    seen, planned = set(), []

    def add(collection, kind, command):
        key = repr(sorted(command.items()))
        if collection not in FIXED_SIZE and key not in seen:
            seen.add(key)
            planned.append((collection, kind, command))

    for name, collection, command in sent:
        if name == "count" and not command.get("query"):
            continue  # estimated_document_count: the collection's own count, no documents read
        if name in QUERY_COMMANDS and collection:
            clean = {k: v for k, v in command.items() if k not in SESSION_FIELDS}
            if name == "aggregate":
                clean["cursor"] = {}
            add(collection, name, clean)
        elif name in WRITE_FILTERS and collection:
            field, key = WRITE_FILTERS[name]
            for statement in command.get(field) or []:
                add(collection, name, {"find": collection, "filter": statement[key]})
        elif name == "findAndModify":
            add(collection, name, {"find": collection, "filter": command.get("query") or {}})
        elif name == "bulkWrite":  # MongoDB 8's cross-collection bulk write: each operation names its namespace
            namespaces = [info["ns"].split(".", 1)[1] for info in command.get("nsInfo") or []]
            for op in command.get("ops") or []:
                for kind in ("update", "delete"):
                    if kind in op:
                        target = namespaces[op[kind]]
                        add(target, kind, {"find": target, "filter": op.get("filter") or {}})
    return planned


def scans(explained):
    """The stages of the winning plans in an explain answer that scan a whole collection."""
    found = []

    def walk(node, in_winning):
        if isinstance(node, dict):
            if in_winning and node.get("stage") == "COLLSCAN":
                found.append(node)
            for key, value in node.items():
                if key != "rejectedPlans":
                    walk(value, in_winning or key == "winningPlan")
        elif isinstance(node, list):
            for value in node:
                walk(value, in_winning)

    walk(explained, False)
    return found


def has_winning_plan(explained):
    return "winningPlan" in repr(explained)


def filter_fields(kind, command):
    """The sorted top-level fields of a command's filter (an aggregate's first $match)."""
    return tuple(sorted(filter_of(kind, command) or {}))


def filter_of(kind, command):
    if kind == "aggregate":
        first = (command.get("pipeline") or [{}])[0]
        return first.get("$match") if "$match" in first else None
    return command.get("filter", command.get("query"))


@pytest.fixture
def business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once, deliver):
    """What build_business makes, built once per worker (conftest.built_once)."""
    return built_once("query_plans.business", [db],
                      lambda: build_business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once,
                                             deliver))


def build_business(db, system, make_user, make_customer, milk, paneer, subscribe, order_once, deliver):
    """Two rounds, four customers, April delivered and billed, a payment and an adjustment."""
    ravi, gopal = make_user("delivery_boy", name="Ravi"), make_user("delivery_boy", name="Gopal")
    people = [make_customer(name=name, delivery_boy_id=boy["_id"], area=area)
              for name, boy, area in (("Asha", ravi, "Indiranagar"), ("Bala", ravi, "Indiranagar"),
                                      ("Chitra", gopal, "Jayanagar"), ("Dev", gopal, "Jayanagar"))]
    subscriptions = [subscribe(customer, milk) for customer in people]
    order_once(people[0], paneer)
    for subscription in subscriptions[:3]:
        deliver(subscription, APRIL[:20])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
        payments.record_payment(people[0]["_id"], 5000, "cash", actor=system)
        payments.add_adjustment(people[1]["_id"], -500, "Sour milk", actor=system)
    return {"boys": (ravi, gopal), "customers": people, "subscriptions": subscriptions}


def exercise(business, system):
    """The main service functions: the round, the staff day, demand, calendar, a stop confirmed, billing (a run
    that bills, a re-run), reconciliation, the dashboard, bills and statements, the customer list."""
    (ravi, _), people = business["boys"], business["customers"]
    day = APRIL[24]
    with clock.frozen(AFTER_MONTH):
        rounds.round_view(ravi["_id"], day, actor=system)
        rounds.day_overview(day, actor=system)
        rounds.day_overview(day, area="Jayanagar", actor=system)
        demand.for_day(day, actor=system)
        calendar.customer_calendar(people[0]["_id"], MONTH, actor=system)
        deliveries.confirm_stop(people[0]["_id"], day, actor=system)
        deliveries.confirm_stop(people[3]["_id"], day, actor=system)
        billing.run_month(MONTH, actor=system)
        billing.run_month(MONTH, actor=system)
        reconciliation.reconciliation(MONTH, actor=system)
        dashboard.staff_summary(actor=system)
        bill_queries.list_bills(MONTH, actor=system)
        bill_queries.list_bills(MONTH, delivery_boy_id=ravi["_id"], actor=system)
        bill_queries.statement(people[0]["_id"], actor=system)
        bill_queries.bills_csv(MONTH, actor=system)
        bill_queries.lines_csv(MONTH, actor=system)
        customers.list_customers("Asha", actor=system)
        customers.list_customers(area="Jayanagar", actor=system)
        customers.route(ravi["_id"])
        payments.customer_balance(people[0]["_id"])


@pytest.fixture
def planned(db, business, system):
    with listening() as commands:
        exercise(business, system)
    return plan_commands(commands.sent)


def test_the_embedded_server_answers_explain_with_a_winning_plan(db):
    answer = db.command("explain", {"find": "orders", "filter": {"customer_id": "CU-1"}}, verbosity="queryPlanner")
    assert has_winning_plan(answer)


def test_every_query_on_a_growing_collection_uses_an_index(db, planned):
    assert len(planned) > 30  # the services really were exercised
    scanning = []
    for collection, kind, command in planned:
        explained = db.command("explain", command, verbosity="queryPlanner")
        assert has_winning_plan(explained), command
        if not scans(explained):
            continue
        if not filter_of(kind, command) and (collection, kind) in WHOLE_READS:
            continue
        if (collection, filter_fields(kind, command)) in KNOWN_SCANS:
            continue
        scanning.append((collection, kind, command.get("filter") or command.get("query") or command.get("pipeline")))
    assert scanning == []


def test_a_query_without_an_index_is_caught(db, make_customer):
    make_customer(name="Asha")
    [(collection, kind, command)] = plan_commands([("find", "customers", {"find": "customers",
                                                                          "filter": {"address": "1 Lake Road"}})])
    assert scans(db.command("explain", command, verbosity="queryPlanner"))
    [(_, _, indexed)] = plan_commands([("find", "customers", {"find": "customers", "filter": {"phone": "9800000001"}})])
    assert not scans(db.command("explain", indexed, verbosity="queryPlanner"))


def index_names(explained):
    """The indexes the winning plan of an explain answer scans."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("stage") == "IXSCAN":
                found.append(node.get("indexName"))
            for key, value in node.items():
                if key != "rejectedPlans":
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(explained.get("queryPlanner", explained))
    return found


def test_a_round_reads_its_orders_by_the_round_they_carry(db, business, system):
    """Issue 17: a round's subscriptions and one-time orders in one index range each (by the delivery boy copied onto
    every order), not one index seek per customer."""
    (ravi, _), day = business["boys"], APRIL[24]
    with listening() as commands, clock.frozen(AFTER_MONTH):
        rounds.round_view(ravi["_id"], day, actor=system)
    order_reads = [command for collection, kind, command in plan_commands(commands.sent)
                   if collection == "orders" and kind == "find"]
    assert [command["filter"] for command in order_reads] == [
        {"kind": "SUBSCRIPTION", "delivery_boy_id": ravi["_id"]},
        {"kind": "ONE_TIME", "delivery_boy_id": ravi["_id"], "delivery_date": day.isoformat()}]
    for command in order_reads:
        assert index_names(db.command("explain", command, verbosity="queryPlanner")) == ["kind_round_delivery_date"]
