"""Bench: the delivery boy's round page of 300 stops as a phone receives it: bytes raw and on the wire (gzip,
brotli), elements the browser builds (Lighthouse's DOM size), and the time to answer it.

    PYTHONPATH=. python bench/bench_round_page.py
"""
import gzip
import statistics
import time
from datetime import datetime

import html5lib

from seed import BENCH_DAY, BIG_ROUND, bench_app, seed
from webapp import clock
from webapp.db import get_db

RUNS = 10


def elements(body):
    return sum(1 for _ in html5lib.parse(body, namespaceHTMLElements=False).iter())


def main():
    with bench_app() as app:
        made = seed(get_db(), customers=BIG_ROUND, subscriptions=BIG_ROUND, one_time=0)
        boy = made["boys"][0]
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = f"{boy['_id']}|{boy['session_epoch']}"
        url = f"/delivery/round?date={BENCH_DAY.isoformat()}"
        with clock.frozen(datetime.combine(BENCH_DAY, datetime.min.time()).replace(hour=6)):
            raw = client.get(url, headers={"Accept-Encoding": "identity"}).get_data()
            wire = {encoding: len(client.get(url, headers={"Accept-Encoding": encoding}).get_data())
                    for encoding in ("gzip", "br")}
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                client.get(url, headers={"Accept-Encoding": "gzip"})
                times.append(time.perf_counter() - started)
        stops = raw.count(b'class="card stop')
        print(f"round page, {stops} stops: {len(raw):,} bytes raw, {wire['gzip']:,} gzip on the wire "
              f"({len(gzip.compress(raw)):,} by gzip -9 here), {wire['br']:,} brotli; {elements(raw):,} elements; "
              f"{statistics.median(times) * 1000:.0f} ms median over {RUNS} requests")


if __name__ == "__main__":
    main()
