"""Pay a bill by UPI: the payment intent (`upi://pay?...`, NPCI's deep-link format) and its QR code, drawn here
as SVG by segno so that the page, the print and the PDF carry it without a script or an image request.

Pure: nothing here reads the database."""
import io
from decimal import Decimal
from urllib.parse import quote, urlencode

import segno
from flask_babel import gettext

# Medium error correction: the code survives a crease or a smudge on a printed bill.
QR_ERROR = "m"
QR_SCALE = 4
QR_BORDER = 4  # the quiet zone QR readers need, in modules


def rupees_text(paise):
    """The amount as UPI wants it: rupees with two decimals, no grouping or symbol (12345 → '123.45')."""
    return str(Decimal(int(paise)).scaleb(-2))


def payment_uri(*, upi_id, payee_name, amount_paise, note):
    """`upi://pay?pa=…&pn=…&am=…&cu=INR&tn=…`: pay `amount_paise` to `upi_id`, with `note` (the bill number)
    shown in the payer's app and on the dairy's statement. Values are percent-encoded; '@' stays as it is."""
    params = {"pa": upi_id, "pn": payee_name, "am": rupees_text(amount_paise), "cu": "INR", "tn": note}
    return "upi://pay?" + urlencode(params, quote_via=quote, safe="@")


def qr_svg(uri, *, title):
    """The QR code of `uri` as inline SVG markup (no XML declaration, no ids), titled for screen readers."""
    out = io.BytesIO()
    segno.make(uri, error=QR_ERROR).save(out, kind="svg", xmldecl=False, svgns=True, nl=False, title=title,
                                         svgclass="upi-qr", lineclass=None, scale=QR_SCALE, border=QR_BORDER)
    return out.getvalue().decode("utf-8")


def due_now_paise(bill):
    """What is left to pay on this bill: its total less what was paid towards it (never below zero)."""
    return max(bill["total_paise"] - bill.get("paid_paise", 0), 0)


def for_bill(bill, business):
    """{uri, svg, amount_paise} to pay what is due now on `bill` to the dairy's UPI ID; None when nothing is due
    or the dairy has no UPI ID yet."""
    amount_paise = due_now_paise(bill)
    if amount_paise <= 0 or not business.get("upi_id"):
        return None
    uri = payment_uri(upi_id=business["upi_id"], payee_name=business.get("payee_name") or business["name"],
                      amount_paise=amount_paise, note=bill["_id"])
    return {"uri": uri, "svg": qr_svg(uri, title=gettext("UPI QR code to pay bill %(id)s", id=bill["_id"])),
            "amount_paise": amount_paise}
