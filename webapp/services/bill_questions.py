"""A customer questions a line of his bill before it is final; staff answer, then credit it or reject it.

For `BILL_QUESTION_DAYS` after a bill is issued its customer may question any of its lines with a note ("not
delivered that day", "only one packet came"). Staff answer (the question stays open), then close it: with a credit
that lands on the customer's next bill (an `adjustments` record of payments.add_adjustment's shape, written in the
same unit of work) or with a rejection and its reason. The bill keeps the count of its open questions
(`open_questions`, moved in the same unit of work): while it is above zero the bill is not OVERDUE.
One open question per line: `open_key` ("<bill_id>:<line index>") is set only while open, with a unique index.
"""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from webapp import clock
from webapp.db import get_db
from webapp.services import STAFF_ROLES, Conflict, NotFound, ValidationError, bill_queries, uow, \
    validate
from webapp.services.payments import MONEY_ROLES, clean_amount

DEFAULT_QUESTION_DAYS = 7  # config BILL_QUESTION_DAYS
OPEN_STATUSES = ("OPEN", "ANSWERED")
MAX_NOTE = 500
MAX_ANSWER = 500
MAX_ADJUSTMENT_NOTE = 150  # "Bill BI-YYYYMM-NNNN query: " + this fits an adjustment's 200-character reason
MAX_LIST = 300


def question_days():
    return current_app.config.get("BILL_QUESTION_DAYS", DEFAULT_QUESTION_DAYS)


def closes_at(bill):
    """When questions on this bill close: `BILL_QUESTION_DAYS` after it was issued."""
    return bill["issued_at"] + timedelta(days=question_days())


def _is_open_for_questions(bill):
    return bool(bill.get("lines")) and clock.now() < closes_at(bill)


def _is_bill_customer(actor, bill):
    return actor.has_role("customer") and actor.customer_id == bill["customer_id"]


def for_bill(bill_id, *, actor):
    """What a bill page shows: {"questions": [...] oldest first, each with its line, "can_question": bool,
    "closes_at"}. The bill's visibility is bill_queries.get_bill's (NotFound otherwise)."""
    bill = bill_queries.get_bill(bill_id, actor=actor)
    questions = list(get_db().bill_questions.find({"bill_id": bill["_id"]}).sort([("created_at", 1), ("_id", 1)]))
    return {"questions": questions, "closes_at": closes_at(bill),
            "can_question": _is_bill_customer(actor, bill) and _is_open_for_questions(bill)}


def _own_bill(bill_id, actor):
    """The customer's own bill (another's, or none, is NotFound); staff and others may not ask (Forbidden)."""
    actor.require("customer")
    return bill_queries.get_bill(bill_id, actor=actor)


def _line_index(bill, line):
    """The index of an existing line of the bill, from an int or the digits of the URL's ?line=."""
    text = line.strip() if isinstance(line, str) else line
    if isinstance(text, str) and text.isascii() and text.isdigit() and len(text) < 6:
        text = int(text)
    if isinstance(text, bool) or not isinstance(text, int) or not 0 <= text < len(bill.get("lines") or []):
        raise ValidationError(gettext("This bill has no such line. Choose “Question this” beside a line of the bill."),
                              field="line")
    return text


def question_line(bill_id, line, *, actor):
    """The ask page: {bill, line, line_index, products, closes_at} for the customer's own bill while questions are
    open. Another's bill: NotFound; a line it does not have: ValidationError on "line"; too late: Conflict."""
    bill = _own_bill(bill_id, actor)
    index = _line_index(bill, line)
    if not _is_open_for_questions(bill):
        raise Conflict(gettext("Questions on this bill closed %(days)s days after it was issued. Please call the dairy.",
                               days=question_days()))
    return {"bill": bill, "line": bill["lines"][index], "line_index": index,
            "products": bill_queries.products_for([bill]), "closes_at": closes_at(bill)}


def ask(bill_id, line, note, *, actor):
    """The customer questions one line of his bill with a note; one open question per line. Returns it."""
    context = question_line(bill_id, line, actor=actor)
    bill, index, bill_line = context["bill"], context["line_index"], context["line"]
    note = validate.text(note, "note", label="What went wrong", max_length=MAX_NOTE, multiline=True)

    def work(u):
        question = {
            "_id": u.new_id("BQ"),
            "bill_id": bill["_id"],
            "customer_id": bill["customer_id"],
            "line_index": index,
            "line": bill_line,
            "note": note,
            "status": "OPEN",
            "open_key": f"{bill['_id']}:{index}",
            "answer": None,
            "resolution": None,
            "asked_by": actor.as_doc(),
            "created_at": clock.now(),
        }
        u.db.bill_questions.insert_one(question)
        u.db.bills.update_one({"_id": bill["_id"]}, {"$inc": {"open_questions": 1}})
        u.record("bill_question.ask", "bill", bill["_id"],
                 f"Questioned the line of {bill_line['date']} ({bill_line['product_id']}): {note}",
                 changes={"question_id": question["_id"], "line_index": index})
        return question

    try:
        return uow.run(actor, work)
    except DuplicateKeyError:  # the unique open_key: this line already has an open question
        raise Conflict(gettext("This line already has an open question; its answer will show on the bill."),
                       field="note") from None


def open_questions(*, actor):
    """Staff: the open questions, oldest first, each with its customer and product."""
    actor.require(*STAFF_ROLES)
    questions = list(get_db().bill_questions.find({"status": {"$in": list(OPEN_STATUSES)}})
                     .sort([("created_at", 1), ("_id", 1)]).limit(MAX_LIST))
    return _with_names(questions)


def _with_names(questions):
    db = get_db()
    customers = {c["_id"]: c for c in db.customers.find(
        {"_id": {"$in": list({q["customer_id"] for q in questions})}}, {"name": 1, "phone": 1, "area": 1})}
    products = {p["_id"]: p for p in db.products.find(
        {"_id": {"$in": list({q["line"]["product_id"] for q in questions})}}, {"name": 1, "unit": 1})}
    for question in questions:
        question["customer"] = customers.get(question["customer_id"], {"name": question["customer_id"]})
        question["product"] = products.get(question["line"]["product_id"], {"name": question["line"]["product_id"]})
    return questions


def get_question(question_id, *, actor):
    """Staff: one question with its customer and product."""
    actor.require(*STAFF_ROLES)
    question = get_db().bill_questions.find_one({"_id": question_id}) if isinstance(question_id, str) else None
    if question is None:
        raise NotFound("No such question.")
    return _with_names([question])[0]


def _update_open(u, question_id, update):
    """Change an open question (two clicks decide once); Conflict when it was closed, NotFound when unknown."""
    updated = u.db.bill_questions.find_one_and_update(
        {"_id": question_id, "status": {"$in": list(OPEN_STATUSES)}}, update,
        return_document=ReturnDocument.AFTER) if isinstance(question_id, str) else None
    if updated is None:
        if isinstance(question_id, str) and u.db.bill_questions.find_one({"_id": question_id}, {"_id": 1}):
            raise Conflict("This question has already been closed.")
        raise NotFound("No such question.")
    return updated


def answer(question_id, text, *, actor):
    """Staff answer a question (it stays open until credited or rejected; a new answer replaces the last)."""
    actor.require(*STAFF_ROLES)
    text = validate.text(text, "answer", label="Answer", max_length=MAX_ANSWER, multiline=True)

    def work(u):
        question = _update_open(u, question_id, {"$set": {
            "status": "ANSWERED", "answer": {"text": text, "by": actor.as_doc(), "at": clock.now()}}})
        u.record("bill_question.answer", "bill", question["bill_id"], f"Answered question {question_id}: {text}",
                 changes={"question_id": question_id})
        return question

    return uow.run(actor, work)


def _close(u, question_id, status, resolution):
    question = _update_open(u, question_id, {
        "$set": {"status": status, "resolution": resolution, "resolved_at": clock.now(),
                 "resolved_by": u.actor.as_doc()},
        "$unset": {"open_key": ""}})
    u.db.bills.update_one({"_id": question["bill_id"]}, {"$inc": {"open_questions": -1}})
    return question


def resolve_with_credit(question_id, credit_paise, note, *, actor):
    """Staff accept a question: close it and credit `credit_paise` (at most the line's amount) on the customer's
    next bill, as one unit of work. The adjustment's reason is "Bill <id> query: <note>"."""
    actor.require(*MONEY_ROLES)
    question = get_question(question_id, actor=actor)
    errors = validate.Errors()
    credit_paise = errors.check("amount", clean_amount, credit_paise)
    if credit_paise and credit_paise > question["line"]["amount_paise"]:
        errors.add("amount", "A credit cannot be more than the line's amount.")
    note = errors.check("note", validate.text, note, "note", label="Note on the next bill",
                        max_length=MAX_ADJUSTMENT_NOTE)
    errors.raise_if_any()
    reason = f"Bill {question['bill_id']} query: {note}"

    def work(u):
        adjustment = {"_id": u.new_id("AD"), "customer_id": question["customer_id"], "amount_paise": -credit_paise,
                      "reason": reason, "bill_id": None, "created_by": actor.as_doc(), "created_at": clock.now()}
        closed = _close(u, question_id, "ADJUSTED", {
            "kind": "credit", "adjustment_id": adjustment["_id"], "amount_paise": credit_paise, "note": note})
        u.db.adjustments.insert_one(adjustment)
        u.record("billing.adjust", "customer", question["customer_id"],
                 f"Adjustment of {-credit_paise} paise for {question['customer']['name']}: {reason}",
                 changes={"adjustment_id": adjustment["_id"], "amount_paise": -credit_paise})
        u.record("bill_question.credit", "bill", question["bill_id"],
                 f"Question {question_id} credited {credit_paise} paise on the next bill",
                 changes={"question_id": question_id, "adjustment_id": adjustment["_id"]})
        return closed

    return uow.run(actor, work)


def reject(question_id, reason, *, actor):
    """Staff reject a question with the reason the customer reads."""
    actor.require(*MONEY_ROLES)
    reason = validate.text(reason, "reason", label="Reason", max_length=MAX_ANSWER, multiline=True)

    def work(u):
        question = _close(u, question_id, "REJECTED", {"kind": "rejection", "reason": reason})
        u.record("bill_question.reject", "bill", question["bill_id"], f"Rejected question {question_id}: {reason}",
                 changes={"question_id": question_id})
        return question

    return uow.run(actor, work)
