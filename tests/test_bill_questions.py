"""A customer questions a bill line before it is final: ask, staff answer, credit on the next bill or reject;
the window after issue, who may ask, a line the bill lacks, no overdue while open, pages per role, audit."""
from datetime import date, datetime, timedelta

import pytest
from flask import render_template

from tests.conftest import built_once
from tests.billing_fixtures import AFTER_MONTH, APRIL, MONTH
from tests.faults import assert_all_or_nothing
from tests.html_check import parse_problems
from webapp import clock
from webapp.forms.bill_questions import BillQuestionForm
from webapp.services import Actor, Conflict, Forbidden, NotFound, ValidationError, bill_builder, bill_queries, \
    bill_questions, billing

ASKING = datetime(2026, 5, 2, 9, 0)  # the day after the April bill was issued (AFTER_MONTH)
AFTER_DUE = datetime(2026, 5, 11, 9, 0)  # the April bill is due on 10 May
MAY = [date(2026, 5, 1) + timedelta(days=n) for n in range(31)]


@pytest.fixture
def billed(db, system, make_user, milk, subscribe, deliver):
    """What build_billed makes, built once per worker (conftest.built_once)."""
    return built_once("bill_questions.billed", [db],
                      lambda: build_billed(db, system, make_user, milk, subscribe, deliver))


def build_billed(db, system, make_user, milk, subscribe, deliver):
    """A customer's login and his April bill of three days of milk (₹50.00 a day), issued on 1 May."""
    owner = make_user("customer")
    customer = db.customers.find_one({"_id": owner["customer_id"]})
    subscription = subscribe(customer, milk)
    deliver(subscription, APRIL[:3])
    with clock.frozen(AFTER_MONTH):
        billing.run_month(MONTH, actor=system)
    return owner, subscription, db.bills.find_one({"customer_id": customer["_id"]})


@pytest.fixture
def staff(make_user):
    return {role: Actor.for_user(make_user(role)) for role in ("admin", "marketing", "support")}


def ask(bill, owner, line=1, note="Not delivered that day", at=ASKING):
    with clock.frozen(at):
        return bill_questions.ask(bill["_id"], line, note, actor=Actor.for_user(owner))


def audit_actions(db, bill_id):
    return [entry["action"] for entry in db.audit_log.find({"entity": "bill", "entity_id": bill_id}).sort("at", 1)]


# ---------------------------------------------------------------- the cycle

def test_ask_answer_credit_and_the_credit_lands_on_the_next_bill(db, system, billed, staff, deliver):
    owner, subscription, bill = billed
    question = ask(bill, owner)
    assert (question["status"], question["line"]["date"], question["line_index"]) == ("OPEN", "2026-04-02", 1)
    assert db.bills.find_one({"_id": bill["_id"]})["open_questions"] == 1
    assert [q["_id"] for q in bill_questions.open_questions(actor=staff["marketing"])] == [question["_id"]]

    with clock.frozen(datetime(2026, 5, 3, 10, 0)):
        bill_questions.answer(question["_id"], "Checking with the delivery boy.", actor=staff["marketing"])
        seen = bill_questions.for_bill(bill["_id"], actor=Actor.for_user(owner))["questions"]
        assert (seen[0]["status"], seen[0]["answer"]["text"]) == ("ANSWERED", "Checking with the delivery boy.")
        closed = bill_questions.resolve_with_credit(question["_id"], 5000, "milk not delivered on 2 April",
                                                    actor=staff["support"])
    assert closed["status"] == "ADJUSTED"
    adjustment = db.adjustments.find_one({"_id": closed["resolution"]["adjustment_id"]})
    assert adjustment["customer_id"] == bill["customer_id"] and adjustment["amount_paise"] == -5000
    assert adjustment["reason"] == f"Bill {bill['_id']} query: milk not delivered on 2 April"
    assert adjustment["bill_id"] is None
    assert db.bills.find_one({"_id": bill["_id"]})["open_questions"] == 0
    assert bill_questions.open_questions(actor=staff["admin"]) == []
    assert audit_actions(db, bill["_id"]) == ["bill_question.ask", "bill_question.answer", "bill_question.credit"]
    assert db.audit_log.count_documents({"action": "billing.adjust", "entity_id": bill["customer_id"]}) == 1

    deliver(subscription, MAY[:2], at=datetime(2026, 6, 1, 7, 0))
    with clock.frozen(datetime(2026, 6, 1, 8, 0)):
        billing.run_month("2026-05", actor=system)
    may_bill = db.bills.find_one({"customer_id": bill["customer_id"], "month": "2026-05"})
    assert [a["adjustment_id"] for a in may_bill["adjustments"]] == [adjustment["_id"]]
    assert may_bill["total_paise"] == may_bill["lines_paise"] - 5000
    assert db.adjustments.find_one({"_id": adjustment["_id"]})["bill_id"] == may_bill["_id"]


def test_ask_and_reject_with_a_reason_the_customer_reads(db, billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner, line=0, note="Only one packet came")
    with clock.frozen(datetime(2026, 5, 3, 10, 0)):
        bill_questions.reject(question["_id"], "The delivery boy has your signature for 1 litre.",
                              actor=staff["admin"])
    seen = bill_questions.for_bill(bill["_id"], actor=Actor.for_user(owner))["questions"][0]
    assert seen["status"] == "REJECTED"
    assert seen["resolution"]["reason"] == "The delivery boy has your signature for 1 litre."
    assert db.adjustments.count_documents({}) == 0
    assert db.bills.find_one({"_id": bill["_id"]})["open_questions"] == 0
    assert audit_actions(db, bill["_id"]) == ["bill_question.ask", "bill_question.reject"]


def test_a_closed_question_cannot_be_closed_or_answered_again(billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner)
    bill_questions.reject(question["_id"], "Delivered.", actor=staff["admin"])
    with pytest.raises(Conflict):
        bill_questions.resolve_with_credit(question["_id"], 100, "late", actor=staff["admin"])
    with pytest.raises(Conflict):
        bill_questions.answer(question["_id"], "More", actor=staff["admin"])
    with pytest.raises(NotFound):
        bill_questions.reject("BQ-nope", "x", actor=staff["admin"])


def test_the_credit_and_the_resolution_are_one_unit_of_work(db, billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner)
    closed, writes = assert_all_or_nothing(db, lambda: bill_questions.resolve_with_credit(
        question["_id"], 5000, "not delivered", actor=staff["admin"]))
    assert writes >= 3 and closed["status"] == "ADJUSTED"
    assert db.adjustments.count_documents({}) == 1


def test_a_credit_is_more_than_zero_and_at_most_the_line(billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner)
    for amount in (0, -100, 5001, "50"):
        with pytest.raises(ValidationError) as refused:
            bill_questions.resolve_with_credit(question["_id"], amount, "note", actor=staff["admin"])
        assert refused.value.field == "amount"
    with pytest.raises(ValidationError) as refused:
        bill_questions.resolve_with_credit(question["_id"], 100, "   ", actor=staff["admin"])
    assert refused.value.field == "note"


def test_only_admin_and_support_close_a_question_every_staff_role_answers(billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner)
    with pytest.raises(Forbidden):
        bill_questions.resolve_with_credit(question["_id"], 100, "x", actor=staff["marketing"])
    with pytest.raises(Forbidden):
        bill_questions.reject(question["_id"], "x", actor=staff["marketing"])
    with pytest.raises(Forbidden):
        bill_questions.answer(question["_id"], "x", actor=Actor.for_user(owner))
    assert bill_questions.answer(question["_id"], "Looking", actor=staff["marketing"])["status"] == "ANSWERED"


# ---------------------------------------------------------------- who, which line, when

def test_the_window_closes_after_the_configured_days(app, billed, monkeypatch):
    owner, _, bill = billed
    assert app.config["BILL_QUESTION_DAYS"] == 7
    last_moment = AFTER_MONTH + timedelta(days=7, minutes=-1)
    assert ask(bill, owner, line=0, at=last_moment)["status"] == "OPEN"
    with pytest.raises(Conflict):
        ask(bill, owner, line=1, at=AFTER_MONTH + timedelta(days=7))
    with clock.frozen(AFTER_MONTH + timedelta(days=7)):
        assert bill_questions.for_bill(bill["_id"], actor=Actor.for_user(owner))["can_question"] is False
    monkeypatch.setitem(app.config, "BILL_QUESTION_DAYS", 2)
    with pytest.raises(Conflict):
        ask(bill, owner, line=2, at=AFTER_MONTH + timedelta(days=2))
    with clock.frozen(AFTER_MONTH + timedelta(days=1)):
        assert bill_questions.for_bill(bill["_id"], actor=Actor.for_user(owner))["can_question"] is True


def test_one_customer_cannot_question_another_customers_bill(billed, make_user, staff):
    _, _, bill = billed
    with pytest.raises(NotFound):
        ask(bill, make_user("customer"))
    with pytest.raises(Forbidden):
        with clock.frozen(ASKING):
            bill_questions.ask(bill["_id"], 0, "x", actor=staff["admin"])
    with clock.frozen(ASKING):
        assert bill_questions.for_bill(bill["_id"], actor=staff["admin"])["can_question"] is False


@pytest.mark.parametrize("line", [3, -1, "abc", "1.5", "", None, True, "９", "99999999999"])
def test_a_line_the_bill_does_not_have_is_refused_by_the_line(billed, line):
    owner, _, bill = billed
    with pytest.raises(ValidationError) as refused:
        ask(bill, owner, line=line)
    assert refused.value.field == "line" and "no such line" in refused.value.message


def test_one_open_question_per_line_and_a_new_one_after_it_closed(billed, staff):
    owner, _, bill = billed
    first = ask(bill, owner)
    with pytest.raises(Conflict) as refused:
        ask(bill, owner, note="Again")
    assert refused.value.field == "note"
    assert ask(bill, owner, line=0)["status"] == "OPEN"  # another line may be questioned
    bill_questions.reject(first["_id"], "Delivered.", actor=staff["support"])
    assert ask(bill, owner, note="Still not delivered")["status"] == "OPEN"


def test_an_empty_or_long_note_is_refused(billed):
    owner, _, bill = billed
    for note in ("  ", "x" * 501):
        with pytest.raises(ValidationError) as refused:
            ask(bill, owner, note=note)
        assert refused.value.field == "note"


# ---------------------------------------------------------------- overdue

def test_not_overdue_while_a_question_is_open(billed, staff):
    owner, _, bill = billed
    with clock.frozen(AFTER_DUE):
        assert bill_queries.get_bill(bill["_id"], actor=staff["admin"])["status"] == "OVERDUE"
    question = ask(bill, owner)
    with clock.frozen(AFTER_DUE):
        assert bill_queries.get_bill(bill["_id"], actor=staff["admin"])["status"] == "PENDING"
        bill_questions.reject(question["_id"], "Delivered.", actor=staff["admin"])
        assert bill_queries.get_bill(bill["_id"], actor=staff["admin"])["status"] == "OVERDUE"


def test_effective_status_with_open_questions():
    bill = {"status": "PARTIAL", "due_date": "2026-05-10", "open_questions": 1}
    assert bill_builder.effective_status(bill, date(2026, 5, 11)) == "PARTIAL"
    assert bill_builder.effective_status({**bill, "open_questions": 0}, date(2026, 5, 11)) == "OVERDUE"
    assert bill_builder.effective_status({**bill, "open_questions": 0}, date(2026, 5, 10)) == "PARTIAL"


# ---------------------------------------------------------------- pages

def assert_valid_page(html):
    full_page, errors, duplicates, h1s = parse_problems(html)
    assert full_page and errors == [] and duplicates == [] and h1s == 1


def test_the_customer_asks_from_the_page(client, db, login_as, billed):
    owner, _, bill = billed
    login_as(owner)
    url = f"/me/bills/{bill['_id']}/questions/new?line=1"
    with clock.frozen(ASKING):
        page = client.get(url)
        assert page.status_code == 200 and "2 April 2026" in page.text and "₹50.00" in page.text
        assert_valid_page(page.text)
        response = client.post(url, data={"line": "1", "note": "Not delivered that day"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/me/bills/{bill['_id']}#bill-questions")
    assert db.bill_questions.find_one({"bill_id": bill["_id"]})["line_index"] == 1


def test_the_ask_page_refuses_with_a_message(client, db, login_as, billed, make_user):
    owner, _, bill = billed
    login_as(owner)
    with clock.frozen(ASKING):
        missing_line = client.get(f"/me/bills/{bill['_id']}/questions/new?line=9")
        assert missing_line.status_code == 422 and "no such line" in missing_line.text
        empty_note = client.post(f"/me/bills/{bill['_id']}/questions/new?line=1", data={"line": "1", "note": ""},
                                 htmx=True)
        assert empty_note.status_code == 422 and "<html" not in empty_note.text
        assert 'id="question-note-error"' in empty_note.text
    with clock.frozen(AFTER_MONTH + timedelta(days=8)):
        late = client.get(f"/me/bills/{bill['_id']}/questions/new?line=1")
        assert late.status_code == 409 and "closed 7 days after" in late.text
    login_as(make_user("customer"))
    with clock.frozen(ASKING):
        assert client.get(f"/me/bills/{bill['_id']}/questions/new?line=1").status_code == 404
        assert client.post(f"/me/bills/{bill['_id']}/questions/new?line=1",
                           data={"line": "1", "note": "mine?"}).status_code == 404
    assert db.bill_questions.count_documents({}) == 0


@pytest.mark.parametrize("role, status", [("admin", 200), ("marketing", 200), ("support", 200),
                                          ("customer", 403), ("delivery_boy", 403), ("supplier", 403)])
def test_staff_pages_per_role(client, login_as, billed, role, status):
    owner, _, bill = billed
    question = ask(bill, owner, note="Only one packet came")
    login_as(role)
    queue = client.get("/staff/billing/questions")
    page = client.get(f"/staff/billing/questions/{question['_id']}")
    assert (queue.status_code, page.status_code) == (status, status)
    if status == 200:
        assert "Only one packet came" in queue.text and "Only one packet came" in page.text
        assert_valid_page(queue.text)
        assert_valid_page(page.text)
        assert ('id="credit-form"' in page.text) == (role in ("admin", "support"))


@pytest.mark.parametrize("role, status", [("admin", 303), ("support", 303), ("marketing", 403), ("customer", 403)])
def test_credit_and_reject_by_role(client, db, login_as, billed, role, status):
    owner, _, bill = billed
    first, second = ask(bill, owner, line=0), ask(bill, owner, line=1)
    login_as(role)
    credit = client.post(f"/staff/billing/questions/{first['_id']}/credit", data={"amount": "50.00", "note": "sorry"})
    reject = client.post(f"/staff/billing/questions/{second['_id']}/reject", data={"reason": "Delivered"})
    assert (credit.status_code, reject.status_code) == (status, status)
    assert db.adjustments.count_documents({"amount_paise": -5000}) == (1 if status == 303 else 0)
    assert db.bill_questions.count_documents({"status": {"$in": ["ADJUSTED", "REJECTED"]}}) == (
        2 if status == 303 else 0)


def test_staff_forms_answer_and_refuse_by_the_field(client, db, login_as, billed):
    owner, _, bill = billed
    question = ask(bill, owner)
    login_as("marketing")
    answered = client.post(f"/staff/billing/questions/{question['_id']}/answer", data={"answer": "On it"})
    assert answered.status_code == 303
    assert db.bill_questions.find_one({"_id": question["_id"]})["answer"]["text"] == "On it"
    login_as("support")
    too_much = client.post(f"/staff/billing/questions/{question['_id']}/credit",
                           data={"amount": "60.00", "note": "x"}, htmx=True)
    assert too_much.status_code == 422 and "<html" not in too_much.text
    assert "more than the line" in too_much.text and 'id="credit-amount-error"' in too_much.text
    client.post(f"/staff/billing/questions/{question['_id']}/reject", data={"reason": "Delivered"})
    again = client.post(f"/staff/billing/questions/{question['_id']}/reject", data={"reason": "Delivered"})
    assert again.status_code == 409 and "already been closed" in again.text
    assert client.get("/staff/billing/questions/BQ-nope").status_code == 404


def test_the_partial_shows_questions_answers_and_the_form(app, billed, staff):
    owner, _, bill = billed
    first, second = ask(bill, owner, line=0, note="Only one packet came"), ask(bill, owner, line=1)
    bill_questions.answer(first["_id"], "We are checking.", actor=staff["admin"])
    bill_questions.reject(second["_id"], "Signed for by you.", actor=staff["admin"])
    with clock.frozen(ASKING), app.test_request_context():
        context = bill_questions.for_bill(bill["_id"], actor=Actor.for_user(owner))
        products = bill_queries.products_for([bill])
        html = render_template("bills/_questions.html", bill=bill, products=products, **context,
                               question_form=BillQuestionForm(formdata=None).set_lines(bill, products))
    full_page, errors, duplicates, _ = parse_problems(html)
    assert not full_page and errors == [] and duplicates == []
    assert "We are checking." in html and "Not accepted: Signed for by you." in html
    assert 'action="/me/bills/' in html and "Send my question" in html


def test_the_bill_pages_show_the_questions_and_link_each_line(client, login_as, billed, staff):
    owner, _, bill = billed
    question = ask(bill, owner, line=0, note="Only one packet came")
    bill_questions.answer(question["_id"], "We are checking.", actor=staff["admin"])
    login_as(owner)
    with clock.frozen(ASKING):
        page = client.get(f"/me/bills/{bill['_id']}")
    assert page.status_code == 200 and "We are checking." in page.text
    assert f"/me/bills/{bill['_id']}/questions/new?line=2" in page.text
    assert_valid_page(page.text)
    with clock.frozen(AFTER_MONTH + timedelta(days=8)):
        assert "questions/new" not in client.get(f"/me/bills/{bill['_id']}").text
    login_as("support")
    staff_page = client.get(f"/staff/billing/bills/{bill['_id']}")
    assert "Only one packet came" in staff_page.text and f"/staff/billing/questions/{question['_id']}" in staff_page.text
