"""Bench: the morning rush over HTTP. gunicorn with the project's settings (webapp/serving.py: 3 gevent workers,
as `make run`) on a fresh embedded server holding the bench business (bench/seed.py), seeded for today's
business date:

  - 20 delivery boys sign in (login form + CSRF token, session cookie), open their round and confirm
    150 stops each "delivered in full" as the round page does (htmx POST, X-CSRFToken), back to back;
  - meanwhile 2 staff poll the day overview (every 30 s, as a staff page polls) and 20 customers open
    their calendar (a few seconds apart, as a person reads it), until the boys are done.

Then it checks the database holds exactly one delivery per order due at each confirmed stop, and runs
the same load shape against /bench/floor (bench/rush_app.py: one find_one on the same stack) to
compare. Each client is one thread with its own keep-alive http.client connection. Everything on
127.0.0.1; each phase is time-bounded.
Target: 0 errors, confirm p95 <= 300 ms. Also printed: each endpoint alone (one request at a time) and the
CPU the database server, the gunicorn workers and this client used, to say what bounds the figures.

    python bench/bench_rush.py [--boys 20 --stops 150 --staff 2 --customers 20 --seconds 150 --gap 0 --poll 30 --think 5
                                --workers 3]
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

from seed import BENCH_PASSWORD, BENCH_PASSWORD_HASH, bench_app, free_port, seed
from webapp import clock, serving
from webapp.db import get_db

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 300
STARTUP_SECONDS = 60
FLOOR_SECONDS = 30
# What the bench reads from the pages (base.html, delivery/round/_stop.html), as htmx would.
META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
STOP_ARTICLE = re.compile(r'<article\b[^>]*\bid="stop-([^"]+)"[^>]*>')
STOP_STATE = re.compile(r'\bdata-state="([^"]+)"')
CONFIRM_URL = re.compile(r'\bhx-post="([^"]+/confirm)"')
QTY_INPUT = re.compile(r'<input\b[^>]*\bname="qty:[^"]+"[^>]*>')
NAME = re.compile(r'\bname="(qty:([^:"]+):[^"]+)"')
VALUE = re.compile(r'\bvalue="([^"]*)"')


class Stats:
    """Latencies and statuses per endpoint, shared by every client thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = defaultdict(list)
        self.errors = Counter()  # (endpoint, status) of every answer that was not the expected one

    def add(self, endpoint, seconds, status, ok):
        with self.lock:
            self.latencies[endpoint].append(seconds)
            if not ok:
                self.errors[(endpoint, status)] += 1

    def count(self):
        return sum(len(values) for values in self.latencies.values())


class Client:
    """One simulated user: one connection, one cookie jar."""

    def __init__(self, port, stats):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies = {}
        self.stats = stats

    def send(self, endpoint, method, path, form=None, headers=None, expect=(200,)):
        """(status, body text); status None when the connection failed. Timed into stats."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            response, data = self._exchange(method, path, body, headers)
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.stats.add(endpoint, time.perf_counter() - started, type(error).__name__, False)
            return None, ""
        self.stats.add(endpoint, time.perf_counter() - started, response.status, response.status in expect)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            if value and "expires=thu, 01 jan 1970" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        return response.status, data.decode("utf-8", "replace")

    def _exchange(self, method, path, body, headers):
        """One request and its response. A kept-alive connection the server has closed while this user was
        idle (the workers keep an idle connection a few seconds) is opened again once, as a browser
        does; a request that was answered is never sent twice."""
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                return response, response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                if attempt == 2:
                    raise

    def sign_in(self, login):
        status, page = self.send("login", "GET", "/auth/login")
        token = META_CSRF.search(page) if status == 200 else None
        if token is None:
            return False
        status, _ = self.send("login", "POST", "/auth/login", expect=(303,),
                              form={"csrf_token": token.group(1), "login": login, "password": BENCH_PASSWORD})
        return status == 303

    def close(self):
        self.connection.close()


def parse_round(page):
    """(csrf token, [(customer_id, confirm url, {form fields but the button}, {order ids})]) of the to-do stops."""
    token = META_CSRF.search(page)
    stops = []
    articles = list(STOP_ARTICLE.finditer(page))
    for n, article in enumerate(articles):
        end = articles[n + 1].start() if n + 1 < len(articles) else len(page)
        chunk = page[article.start():end]
        url = CONFIRM_URL.search(chunk)
        state = STOP_STATE.search(article.group(0))
        if url is None or state is None or state.group(1) != "todo":
            continue
        fields, orders = {}, set()
        for field in QTY_INPUT.findall(chunk):
            name, value = NAME.search(field), VALUE.search(field)
            fields[name.group(1)] = value.group(1) if value else ""
            orders.add(name.group(2))
        stops.append((article.group(1), url.group(1).replace("&amp;", "&"), fields, orders))
    return (token.group(1) if token else None), stops


class Rush:
    """One phase: boys doing their taps, staff and customers looping their pages until the boys finish."""

    def __init__(self, port, users, deadline_seconds, clients=None):
        self.port = port
        self.users = users
        self.stats = Stats()
        self.deadline = None
        self.deadline_seconds = deadline_seconds
        self.boys_done = threading.Event()
        self.clients = clients or {}  # user id -> signed-in Client (a later phase reuses the earlier's)
        for client in self.clients.values():
            client.stats = self.stats
        self.confirmed = defaultdict(list)  # boy id -> [(customer id, {order ids})] answered 200
        self.cut_short = False
        self.problems = []

    def client_for(self, user):
        if user["_id"] not in self.clients:
            client = Client(self.port, self.stats)
            if not client.sign_in(user["email"]):
                self.problems.append(f"{user['email']} could not sign in")
                return None
            self.clients[user["_id"]] = client
        return self.clients[user["_id"]]

    def run(self, boy_work, staff_work, customer_work):
        """Run every user's thread; returns the phase's wall time in seconds."""
        self.deadline = time.monotonic() + self.deadline_seconds
        self.boys_done.clear()
        boys = [threading.Thread(target=self.guarded, args=(boy_work, user)) for user in self.users["boys"]]
        loopers = [threading.Thread(target=self.guarded, args=(work, user))
                   for work, key in ((staff_work, "staff"), (customer_work, "customers")) for user in self.users[key]]
        started = time.perf_counter()
        for thread in boys + loopers:
            thread.start()
        for thread in boys:
            thread.join()
        self.boys_done.set()
        for thread in loopers:
            thread.join()
        return time.perf_counter() - started

    def guarded(self, work, user):
        try:
            client = self.client_for(user)
            if client is not None:
                work(client, user)
        except Exception as error:  # a bench thread reports, it does not die silently
            self.problems.append(f"{user['email']}: {type(error).__name__}: {error}")

    def out_of_time(self):
        if time.monotonic() > self.deadline:
            self.cut_short = True
            return True
        return False

    def loop(self, client, endpoint, path, pause):
        while not self.boys_done.is_set() and not self.out_of_time():
            client.send(endpoint, "GET", path)
            self.boys_done.wait(pause)

    def close(self):
        for client in self.clients.values():
            client.close()


def open_round(client, boy, day, problems):
    """The boy opens his round: (csrf token, to-do stops) from the page, as htmx would post them."""
    status, page = client.send("round page", "GET", f"/delivery/round?date={day.isoformat()}")
    token, stops = parse_round(page) if status == 200 else (None, [])
    if token is None or not stops:
        problems.append(f"{boy['email']}: round page {status}, {len(stops)} stops to do")
        return None, []
    return token, stops


def tap(client, token, stop):
    """Tap "Delivered in full" on one stop; True when it answered 200."""
    _, url, fields, _ = stop
    form = {"csrf_token": token, **fields, "reason": "", "outcome": "full"}
    status, _ = client.send("confirm", "POST", url, form=form, headers={"HX-Request": "true", "X-CSRFToken": token})
    return status == 200


def confirm_round(rush, stops_per_boy, day, gap=0):
    """Each boy's taps, back to back (`gap` 0) or `gap` seconds apart (walking to the next door)."""
    def work(client, boy):
        token, stops = open_round(client, boy, day, rush.problems)
        if stops and len(stops) < stops_per_boy:
            rush.problems.append(f"{boy['email']}: only {len(stops)} stops to do")
        boy["stops"] = stops[:stops_per_boy]
        for stop in boy["stops"]:
            if rush.out_of_time():
                return
            if tap(client, token, stop):
                rush.confirmed[boy["_id"]].append((stop[0], stop[3]))
            if gap:
                time.sleep(gap)
    return work


def unloaded(port, boy, staff, customer, day, confirmed, taps=10):
    """One request at a time, nothing else running: the service time of each endpoint."""
    stats = Stats()
    clients = [Client(port, stats) for _ in range(3)]
    problems = []
    signed_in = all(client.sign_in(user["email"]) for client, user in zip(clients, (boy, staff, customer)))
    if signed_in:
        token, stops = open_round(clients[0], boy, day, problems)
        for stop in stops[:taps]:
            if tap(clients[0], token, stop):
                confirmed[boy["_id"]].append((stop[0], stop[3]))
        for _ in range(2):
            clients[1].send("day overview", "GET", f"/staff/day?date={day}")
            clients[2].send("calendar", "GET", "/me/calendar")
        for stop in stops[:taps]:
            clients[0].send("floor", "GET", f"/bench/floor?customer={stop[0]}")
    for client in clients:
        client.close()
    print("\nunloaded (one request at a time), median ms: " + ", ".join(
        f"{endpoint} {percentile(values, 0.5) * 1000:.0f} (x{len(values)})"
        for endpoint, values in sorted(stats.latencies.items()))
        + ("" if signed_in else "  ! could not sign in") + "".join(f"  ! {problem}" for problem in problems))


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid):
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            pass
    return found


def listening_pid(port):
    """The pid of the embedded database server started for this bench (by its --port), or None."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            words = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"secantus" in b" ".join(words) and str(port).encode() in words:
            return int(cmdline.parent.name)
    return None


class CpuMeter:
    """CPU used by the database server, the gunicorn processes and this client over a phase."""

    def __init__(self, db_pid, gunicorn_pid):
        self.pids = {"database server": [db_pid] if db_pid else [],
                     "gunicorn workers": [gunicorn_pid] + children_of(gunicorn_pid)}
        self.start = self.sample()

    def sample(self):
        times = os.times()
        used = {label: sum(cpu_seconds(pid) for pid in pids) for label, pids in self.pids.items() if pids}
        used["bench client"] = times.user + times.system
        return used

    def report(self, seconds):
        end = self.sample()
        print(f"CPU over those {seconds:.0f} s ({os.cpu_count()} cores, shared with whatever else runs): " + ", ".join(
            f"{label} {end[label] - self.start[label]:.0f} s ({(end[label] - self.start[label]) / seconds:.0%} of a core)"
            for label in end))


def floor_taps(rush):
    def work(client, boy):
        for customer_id, _, _, _ in boy.get("stops", []):
            if rush.out_of_time():
                return
            client.send("floor", "GET", f"/bench/floor?customer={customer_id}")
    return work


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def print_table(title, rush, seconds):
    stats = rush.stats
    print(f"\n{title}: {stats.count()} requests in {seconds:.1f} s = {stats.count() / seconds:.1f} requests/s"
          + ("  (CUT SHORT by the time limit)" if rush.cut_short else ""))
    print(f"{'endpoint':<14} {'count':>6} {'per s':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for endpoint, values in sorted(stats.latencies.items()):
        print(f"{endpoint:<14} {len(values):>6} {len(values) / seconds:>6.1f} " + " ".join(
            f"{percentile(values, f) * 1000:>8.0f}" for f in (0.50, 0.95, 0.99, 1.0)))
    errors = sum(stats.errors.values())
    print(f"errors: {errors}" + ("" if not errors else "  " + ", ".join(
        f"{endpoint} {status} x{count}" for (endpoint, status), count in sorted(stats.errors.items(), key=str))))
    for problem in rush.problems[:10]:
        print(f"  ! {problem}")
    if len(rush.problems) > 10:
        print(f"  ! … and {len(rush.problems) - 10} more")


def add_logins(db, made, staff_count, customer_count):
    """Staff and customer logins next to the seeded delivery boys (same password)."""
    now = datetime.now(timezone.utc)
    staff = [{"_id": f"US-BENCH-S{n:03d}", "email": f"staff{n}@bench.test", "name": f"Staff {n}", "phone": None,
              "role": "admin", "password_hash": BENCH_PASSWORD_HASH, "active": True, "customer_id": None,
              "session_epoch": 0, "created_at": now, "created_by": "bench"} for n in range(1, staff_count + 1)]
    # customers spread over the rounds, each with a subscription (the first 2,000 have two)
    chosen = made["customers"][:2000:max(1, 2000 // max(1, customer_count))][:customer_count]
    customers = [{"_id": f"US-BENCH-C{n:03d}", "email": f"customer{n}@bench.test", "name": customer["name"],
                  "phone": None, "role": "customer", "password_hash": BENCH_PASSWORD_HASH, "active": True,
                  "customer_id": customer["_id"], "session_epoch": 0, "created_at": now, "created_by": "bench"}
                 for n, customer in enumerate(chosen, start=1)]
    db.users.insert_many(staff + customers)
    for user in customers:
        db.customers.update_one({"_id": user["customer_id"]}, {"$set": {"user_id": user["_id"]}})
    return staff, customers


def start_gunicorn(app, workdir, workers):
    """gunicorn serving bench/rush_app.py on the bench database, as `make run` serves; returns (process, port)."""
    port = free_port()
    env = dict(os.environ, MONGO_URI=app.config["MONGO_URI"], MONGO_DBNAME=app.config["MONGO_DBNAME"],
               SECRET_KEY=app.config["SECRET_KEY"], EARLYBIRD_INSTANCE_DIR=str(workdir),
               LOGIN_RATE_LIMIT="10000 per minute")  # 42 sign-ins from one address in a few seconds
    with open(workdir / "gunicorn.log", "ab") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-c", "python:webapp.serving", "--workers", str(workers),
             "--bind", f"127.0.0.1:{port}", "--access-logfile", "/dev/null",
             "--pythonpath", f"{ROOT},{ROOT / 'bench'}", "rush_app:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        probe = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            probe.request("GET", "/bench/floor")
            if probe.getresponse().status == 200:
                return process, port
        except (OSError, http.client.HTTPException):
            pass
        finally:
            probe.close()
        time.sleep(0.3)
    stop(process)
    tail = (workdir / "gunicorn.log").read_text(errors="replace").splitlines()[-25:]
    raise RuntimeError("gunicorn did not serve rush_app (the app may be broken right now):\n  " + "\n  ".join(tail))


def server_exceptions(workdir, limit=5):
    """The distinct exceptions the app logged (last line of each traceback), most frequent first."""
    found = Counter()
    in_traceback = False
    for line in (workdir / "gunicorn.log").read_text(errors="replace").splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line.startswith((" ", "\t", "During handling", "The above")):
            found[line[:200]] += 1
            in_traceback = False
    return found.most_common(limit)


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def check_deliveries(db, boys, confirmed, day):
    """Exactly one delivery per order due at each confirmed stop, per boy; no duplicate (order, date)."""
    ok = True
    for boy in boys:
        expected = {order_id for _, orders in confirmed.get(boy["_id"], []) for order_id in orders}
        found = [d["order_id"] for d in db.deliveries.find({"date": day.isoformat(), "delivery_boy_id": boy["_id"]},
                                                            {"order_id": 1})]
        if len(found) != len(expected) or set(found) != expected:
            ok = False
            print(f"  {boy['email']}: {len(found)} deliveries recorded, {len(expected)} orders confirmed "
                  f"({len(set(found) - expected)} unexpected, {len(expected - set(found))} missing)")
    duplicates = list(db.deliveries.aggregate([
        {"$match": {"date": day.isoformat()}}, {"$group": {"_id": "$order_id", "n": {"$sum": 1}}},
        {"$match": {"n": {"$gt": 1}}}]))
    if duplicates:
        ok = False
        print(f"  {len(duplicates)} orders with more than one delivery on {day}")
    stops = sum(len(taps) for taps in confirmed.values())
    orders = sum(len(o) for taps in confirmed.values() for _, o in taps)
    print(f"database check: {stops} stops confirmed ({orders} orders) -> "
          f"{db.deliveries.count_documents({'date': day.isoformat()})} deliveries for {day}; "
          f"one per confirmed order, no duplicates: {'yes' if ok else 'NO'}")
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boys", type=int, default=20)
    parser.add_argument("--stops", type=int, default=150, help="stops each boy confirms")
    parser.add_argument("--staff", type=int, default=2)
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=150, help="time limit of the rush phase")
    parser.add_argument("--gap", type=float, default=0, help="seconds between a boy's taps (0: back to back)")
    parser.add_argument("--poll", type=float, default=30, help="seconds between a staff member's day overviews")
    parser.add_argument("--think", type=float, default=5, help="seconds between a customer's calendar views")
    parser.add_argument("--workers", type=int, default=serving.workers, help="gunicorn workers (gevent)")
    args = parser.parse_args()

    with bench_app() as app, tempfile.TemporaryDirectory(prefix="earlybird-rush-") as tmp:
        db = get_db()
        day = clock.today()
        started = time.perf_counter()
        made = seed(db, day=day)
        staff, customers = add_logins(db, made, args.staff, args.customers)
        users = {"boys": made["boys"][:args.boys], "staff": staff, "customers": customers}
        print(f"seeded {len(made['customers'])} customers, {made['subscriptions']} subscriptions, "
              f"{made['one_time']} one-time orders for {day} in {time.perf_counter() - started:.1f} s; "
              f"{len(users['boys'])} boys x {args.stops} stops, {len(staff)} staff, {len(customers)} customers, "
              f"{args.workers} gunicorn gevent workers")

        try:
            process, port = start_gunicorn(app, Path(tmp), args.workers)
        except RuntimeError as error:
            print(error)
            sys.exit(1)
        try:
            # a boy outside the rush (the seed makes 40), so that the rush boys' rounds stay whole
            lone_boy = made["boys"][-1]
            rush = Rush(port, users, args.seconds)
            unloaded(port, lone_boy, staff[0], customers[0], day, rush.confirmed)
            db_pid = listening_pid(app.config["MONGO_URI"].rpartition(":")[2].split("/")[0])

            meter = CpuMeter(db_pid, process.pid)
            seconds = rush.run(confirm_round(rush, args.stops, day, args.gap),
                               lambda client, _: rush.loop(client, "day overview", f"/staff/day?date={day}", args.poll),
                               lambda client, _: rush.loop(client, "calendar", "/me/calendar", args.think))
            print_table("rush", rush, seconds)
            meter.report(seconds)
            for exception, count in server_exceptions(Path(tmp)):
                print(f"  server log: {exception} (x{count})")
            data_ok = check_deliveries(db, users["boys"] + [lone_boy], rush.confirmed, day)

            floor = Rush(port, users, FLOOR_SECONDS, clients=rush.clients)
            meter = CpuMeter(db_pid, process.pid)
            floor_seconds = floor.run(floor_taps(floor),
                                      lambda client, _: floor.loop(client, "floor", "/bench/floor", args.poll),
                                      lambda client, _: floor.loop(client, "floor", "/bench/floor", args.think))
            print_table("floor (same load shape, /bench/floor: one find_one)", floor, floor_seconds)
            meter.report(floor_seconds)
            rush.close()
        finally:
            stop(process)

    confirms = rush.stats.latencies.get("confirm")
    floors = floor.stats.latencies.get("floor")
    if not confirms or not floors:
        print("\nno confirm or no floor request was timed: nothing to compare (see the errors above)")
        sys.exit(1)
    confirm_p95, floor_p95 = percentile(confirms, 0.95) * 1000, percentile(floors, 0.95) * 1000
    errors = sum(rush.stats.errors.values())
    print(f"\nconfirm p95 {confirm_p95:.0f} ms / floor p95 {floor_p95:.0f} ms = {confirm_p95 / floor_p95:.1f}x")
    if floor_p95 > TARGET_P95_MS:
        clients = sum(len(group) for group in users.values())
        print(f"the floor alone is over {TARGET_P95_MS} ms at p95: {clients} clients on {args.workers} "
              f"workers queue behind each other, whatever the route costs")
    met = errors == 0 and confirm_p95 <= TARGET_P95_MS and not rush.cut_short
    print(f"target (0 errors, confirm p95 <= {TARGET_P95_MS} ms): {'met' if met else 'NOT met'} "
          f"({errors} errors, p95 {confirm_p95:.0f} ms{', cut short' if rush.cut_short else ''})")
    if not data_ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
