"""The follow-up tests send real mail through the notify tests' loopback SMTP server."""

from tests.notify.conftest import mail_app, smtp_server  # noqa: F401
