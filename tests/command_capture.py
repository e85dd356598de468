"""Every database command a piece of service code sends, recorded by a pymongo CommandListener on a client swapped
in for the app's own (tests of round trips and query plans)."""
import contextlib

from flask import current_app
from pymongo import MongoClient, monitoring

HANDSHAKE = {"hello", "isMaster", "ismaster", "ping", "endSessions", "saslStart", "saslContinue"}


class Commands(monitoring.CommandListener):
    """(command name, collection or None, command document) of every command sent, handshakes left out."""

    def __init__(self):
        self.sent = []

    def started(self, event):
        if event.command_name in HANDSHAKE:
            return
        collection = event.command.get(event.command_name)
        self.sent.append((event.command_name, collection if isinstance(collection, str) else None,
                          dict(event.command)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    def on(self, collection):
        """[(command name, command)] sent to `collection`."""
        return [(name, command) for name, on, command in self.sent if on == collection]


@contextlib.contextmanager
def listening():
    """Inside an app context: the app's database client swapped for one that records every command sent."""
    app = current_app._get_current_object()
    commands = Commands()
    client = MongoClient(app.config["MONGO_URI"], event_listeners=[commands], tz_aware=True)
    original, app.extensions["mongo"] = app.extensions["mongo"], client
    try:
        yield commands
    finally:
        app.extensions["mongo"] = original
        client.close()
