"""Amounts of money in words, the Indian way (lakh and crore), as written on a receipt or a cheque:
12_000_050 paise → "One lakh twenty thousand rupees and fifty paise"."""

ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
# Largest first; below a thousand the hundreds are spelt by `_below_thousand`.
SCALES = ((10_000_000, "crore"), (100_000, "lakh"), (1_000, "thousand"))


def _below_hundred(number):
    if number < 20:
        return ONES[number]
    tens, ones = divmod(number, 10)
    return TENS[tens] + (f"-{ONES[ones]}" if ones else "")


def _below_thousand(number):
    hundreds, rest = divmod(number, 100)
    words = [f"{ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        words.append(_below_hundred(rest))
    return " ".join(words)


def number_in_words(number):
    """A whole number ≥ 0 in Indian words: 120000 → "one lakh twenty thousand"; crores may count past 99."""
    if number == 0:
        return ONES[0]
    words = []
    for scale, name in SCALES:
        count, number = divmod(number, scale)
        if count:
            words.append(f"{number_in_words(count)} {name}")
    if number:
        words.append(_below_thousand(number))
    return " ".join(words)


def rupees_in_words(paise):
    """Paise in words with a capital first letter: 100 → "One rupee", 50 → "Fifty paise",
    12_000_050 → "One lakh twenty thousand rupees and fifty paise"; a negative amount starts with "Minus"."""
    sign, paise = ("minus ", -paise) if paise < 0 else ("", paise)
    rupees, rest = divmod(paise, 100)
    parts = []
    if rupees or not rest:
        parts.append(f"{number_in_words(rupees)} {'rupee' if rupees == 1 else 'rupees'}")
    if rest:
        parts.append(f"{number_in_words(rest)} {'paisa' if rest == 1 else 'paise'}")
    text = sign + " and ".join(parts)
    return text[0].upper() + text[1:]
