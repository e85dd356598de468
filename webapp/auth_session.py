"""Flask-Login: the session names the user and his session epoch, so deactivation ends it."""
from flask_login import UserMixin

from webapp.extensions import login_manager


class LoginUser(UserMixin):
    def __init__(self, doc):
        self.doc = doc

    def get_id(self):
        return f"{self.doc['_id']}|{self.doc.get('session_epoch', 0)}"

    @property
    def is_active(self):
        return bool(self.doc.get("active"))

    def __getattr__(self, name):
        # user.name, user.role, user.customer_id … read from the document.
        try:
            return self.doc["_id"] if name == "id" else self.doc[name]
        except KeyError:
            raise AttributeError(name) from None


def init_login(app):
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(session_id):
        from webapp.services.accounts import user_for_session

        user_id, _, epoch = session_id.partition("|")
        if not epoch.isdigit():
            return None
        doc = user_for_session(user_id, int(epoch))
        return LoginUser(doc) if doc else None

    @login_manager.unauthorized_handler
    def unauthorized():
        from webapp.security import login_redirect

        return login_redirect()
