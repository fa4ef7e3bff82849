"""Staff sign-in (``/staff/...``): the password step, then the TOTP step and its set-up.

Every route is listed here, once; the view modules never see the blueprint:

- ``password``: sign in with email and password, sign out;
- ``totp``: the second step's code, its set-up, and the guard that sends a half-finished
  sign-in back to the step it owes.
"""

from __future__ import annotations

from flask import Blueprint
from werkzeug.exceptions import TooManyRequests

from booking.web.auth import password, totp

GET_POST = ["GET", "POST"]
ROUTES = (
    ("/login", password.login, GET_POST),
    ("/logout", password.logout, ["POST"]),
    ("/login/code", totp.login_code, GET_POST),
    ("/totp/setup", totp.totp_setup, GET_POST),
)

bp = Blueprint("auth", __name__, url_prefix="/staff")
bp.register_error_handler(TooManyRequests, password.too_many_attempts)
bp.before_app_request(totp.staff_pages_need_every_step)
for rule, view, methods in ROUTES:
    bp.add_url_rule(rule, view_func=view, methods=methods)
