"""The page's language: English, Hindi or Gujarati (Flask-Babel, catalogues in webapp/translations).

A signed-in person's language is kept on his login (`accounts.set_language`); anyone else's — a link holder, a
visitor on the sign-in page — in the `lang` cookie, which `?lang=hi` on any page sets (the link pages' switch is
such a GET form). Nothing chosen: English.
"""
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

# Each language named in itself, as the language switch offers it.
LANGUAGES = {"en": "English", "hi": "हिन्दी", "gu": "ગુજરાતી"}
DEFAULT_LANGUAGE = "en"
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_DAYS = 365
# Money groups digits the Indian way in every language (₹1,00,000.00): Babel's rules for each language in India.
MONEY_LOCALES = {"en": "en_IN", "hi": "hi_IN", "gu": "gu_IN"}
TRANSLATIONS = Path(__file__).parent / "translations"

babel = Babel()


def asked_language():
    """The language asked for on this request's URL (`?lang=`), if it is one we speak."""
    asked = request.args.get(LANGUAGE_COOKIE)
    return asked if asked in LANGUAGES else None


def select_language():
    """The signed-in person's own choice, else this request's `?lang=`, else the cookie's, else English."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if current_user.is_authenticated and current_user.doc.get("language") in LANGUAGES:
        return current_user.doc["language"]
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    return asked_language() or (cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE)


def language():
    """The current page's language code ("en", "hi", "gu"); English outside a request."""
    locale = get_locale()
    return locale.language if locale is not None and locale.language in LANGUAGES else DEFAULT_LANGUAGE


def money_locale():
    """The Babel locale money is formatted in for the current page."""
    return MONEY_LOCALES[language()]


def remember_asked_language(response):
    """`?lang=` chosen on a page (the link pages' switch) is remembered in the cookie for the next pages."""
    asked = asked_language()
    if asked and request.cookies.get(LANGUAGE_COOKIE) != asked:
        response.set_cookie(LANGUAGE_COOKIE, asked, max_age=LANGUAGE_COOKIE_DAYS * 24 * 3600,
                            secure=request.is_secure, httponly=True, samesite="Lax")
    return response


def compile_catalogs(directory=TRANSLATIONS):
    """Compile each catalogue (messages.po, wtforms.po) to its .mo (what `pybabel compile` does at setup); returns
    the .mo files."""
    written = []
    for po_path in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        # Written beside and renamed into place: a process reading the catalogue meanwhile sees the old or the new.
        partial = mo_path.with_name(f".{mo_path.name}.{os.getpid()}")
        with partial.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(partial, mo_path)
        written.append(mo_path)
    return written


def page_language_context():
    """`page_language` for base.html's `<html lang>` and the language switches."""
    return {"page_language": language(), "languages": LANGUAGES}


def init_app(app):
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, locale_selector=select_language)
    app.after_request(remember_asked_language)
    app.context_processor(page_language_context)
