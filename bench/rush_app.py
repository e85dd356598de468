"""The WSGI app bench_rush.py serves with gunicorn: the product, plus one bench-only public route.

`GET /bench/floor?customer=CU-…` does one `find_one` and answers a few bytes: the cost of a request
on this stack (gunicorn, Flask, session cookie, security headers, one database round trip) with
no product code in it, the floor the confirm latency is compared with. Never part of the product.
"""
from flask import request

from webapp import create_app, security
from webapp.db import get_db


@security.public
def floor():
    customer = get_db().customers.find_one({"_id": request.args.get("customer", "")}, {"_id": 1})
    return ("found" if customer else "none"), 200, {"Content-Type": "text/plain"}


app = create_app()
app.add_url_rule("/bench/floor", "bench_floor", floor)
