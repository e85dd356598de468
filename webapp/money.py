"""Money is integer paise everywhere; these turn it into ₹ text and back."""
import re
from decimal import Decimal, InvalidOperation


def format_rupees(paise):
    """12345 → '₹123.45'; -500 → '−₹5.00'."""
    if paise is None:
        return ""
    sign = "−" if paise < 0 else ""
    rupees, rest = divmod(abs(int(paise)), 100)
    return f"{sign}₹{rupees:,}.{rest:02d}"


def parse_rupees(text):
    """'123.45' / '₹1,234' → paise; ValueError for anything else (at most two decimals)."""
    cleaned = re.sub(r"[₹,\s]", "", str(text or ""))
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", cleaned):
        raise ValueError("not an amount")
    try:
        return int((Decimal(cleaned) * 100).to_integral_exact())
    except InvalidOperation:
        raise ValueError("not an amount") from None
