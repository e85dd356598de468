"""Browser tests: Debian's Chromium driven by Playwright against the app served in a thread."""
import socket
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import free_port

CHROMIUM = "/usr/bin/chromium"
VIEWPORTS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


@pytest.fixture(scope="session")
def browser_type_launch_args():
    """pytest-playwright launches Debian's Chromium, never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"],
    }


@pytest.fixture(scope="session")
def live_server(app):
    """Base URL of the session app served on 127.0.0.1 in a background thread."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


class Signal:
    """A TCP relay in front of the live server that a test can cut, as a lane without signal cuts a phone.

    Chromium's offline emulation (`context.set_offline`) does not reach the requests a service worker makes, so a
    reload "without signal" would still reach the server through the round's worker; through the relay nothing does.
    """

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.up = True
        self.open_sockets = set()
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed at the end of the test
            if not self.up:
                client.close()
                continue
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.open_sockets.update((client, upstream))
            threading.Thread(target=self.pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self.pump, args=(upstream, client), daemon=True).start()

    def pump(self, source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self.drop(source, sink)

    def drop(self, *sockets):
        for sock in sockets:
            with self.lock:
                self.open_sockets.discard(sock)
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self, page):
        """No signal: the page knows it (navigator.onLine, the offline event) and nothing reaches the server."""
        self.up = False
        with self.lock:
            sockets = list(self.open_sockets)
        self.drop(*sockets)
        page.context.set_offline(True)

    def restore(self, page):
        self.up = True
        page.context.set_offline(False)

    def close(self):
        self.up = False
        self.listener.close()


@pytest.fixture
def signal(live_server):
    """The live server reached through a relay the test can cut: `signal.url`, `signal.cut(page)`,
    `signal.restore(page)`."""
    relay = Signal(int(live_server.rsplit(":", 1)[1]))
    yield relay
    relay.close()


@pytest.fixture
def new_page(browser):
    """new_page("phone" | "desktop") → a page in a fresh context (own cookies), closed after the test."""
    contexts = []

    def open_page(viewport="phone"):
        context = browser.new_context(**VIEWPORTS[viewport])
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def sign_in(page, base_url, login, password):
    """Fill the login form as a person would."""
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
