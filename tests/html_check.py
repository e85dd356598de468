"""Checking a page's HTML the way a browser parses it (html5lib): parse errors, duplicate ids, h1s."""
from collections import Counter

import html5lib


def parse_problems(html):
    """(is a full page, parse errors, ids used more than once, number of h1s) of a page or an htmx fragment."""
    parser = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
    full_page = html.lstrip().lower().startswith("<!doctype")
    tree = parser.parse(html) if full_page else parser.parseFragment(html)
    ids = Counter(element.get("id") for element in tree.iter() if isinstance(element.tag, str) and element.get("id"))
    h1s = sum(1 for element in tree.iter() if element.tag == "h1")
    errors = [html5lib.constants.E.get(code, code) % (data or {}) for _, code, data in parser.errors]
    return full_page, errors, sorted(name for name, count in ids.items() if count > 1), h1s
