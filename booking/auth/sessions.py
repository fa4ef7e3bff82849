"""The signed-in staff session: Flask-Login wiring, versions, idle and absolute timeouts.

Signing in is a sequence of steps. The password is always the first; later steps (the
TOTP code of ``booking.web.auth.totp``) register a :class:`LoginStep` in
:data:`LOGIN_STEPS` and call :func:`pending_login`, :func:`mark_step_done` and
:func:`complete_login` from their view. Until every step required for the account has
passed, nobody is signed in: the session holds only a short-lived *pending* login, which
no guarded page accepts.

A signed-in session carries the account's ``session_version`` and two UTC timestamps (epoch
seconds, from :func:`booking.clock.now`): when the person signed in and when they were
last seen. The user loader refuses the session when the version has moved on (sign-out,
password change, deactivation), after ``STAFF_IDLE_TIMEOUT_MINUTES`` without a request, or
``STAFF_SESSION_MAX_HOURS`` after signing in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, g, session
from flask_login import UserMixin, login_user, logout_user

from booking import clock
from booking.extensions import db, login_manager
from booking.models import StaffRole, StaffUser

VERSION_KEY = "staff_session_version"
SIGNED_IN_AT_KEY = "staff_signed_in_at"
LAST_SEEN_KEY = "staff_last_seen_at"
PENDING_KEY = "staff_pending_login"

# Flask-Login's own keys, dropped when a session is refused inside the user loader (where
# logout_user() cannot be called: it would load the user again).
_FLASK_LOGIN_KEYS = ("_user_id", "_fresh", "_id", "_remember")

# Refresh "last seen" at most this often, so not every response rewrites the cookie.
_SEEN_RESOLUTION_SECONDS = 60
PENDING_LOGIN_SECONDS = 300


class SignedInStaff(UserMixin):
    """The current staff member as Flask-Login sees them; ``staff`` is the database row."""

    def __init__(self, staff: StaffUser) -> None:
        self.staff = staff

    def get_id(self) -> str:
        return str(self.staff.id)

    @property
    def is_active(self) -> bool:
        return bool(self.staff.active)

    @property
    def id(self) -> int:
        return self.staff.id

    @property
    def name(self) -> str:
        return self.staff.name

    @property
    def email(self) -> str:
        return self.staff.email

    @property
    def role(self) -> StaffRole:
        return self.staff.role

    @property
    def therapist_id(self) -> int | None:
        return self.staff.therapist_id

    def has_role(self, *roles: StaffRole | str) -> bool:
        return self.staff.role in {StaffRole(r) for r in roles}


@dataclass(frozen=True)
class LoginStep:
    """A step after the password. ``endpoint`` serves it; ``required_for`` picks accounts."""

    name: str
    endpoint: str
    required_for: Callable[[StaffUser], bool]


def owes_totp(staff: StaffUser) -> bool:
    """A TOTP code is required of every admin, and of any staff member who set one up."""
    return staff.role is StaffRole.ADMIN or staff.totp_enrolled


TOTP_STEP = LoginStep("totp", "auth.login_code", owes_totp)

# In the order they are asked. The TOTP view (booking.web.auth.totp) sends an admin who has
# not set one up yet to the set-up page first.
LOGIN_STEPS: list[LoginStep] = [TOTP_STEP]


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.user_loader(_load_signed_in_staff)
    # Anonymous visitors to staff pages are redirected by the reception guard, which keeps
    # the ``next`` path; Flask-Login's own redirect is not used.
    login_manager.login_view = None
    app.before_request(_forget_cached_user)


def begin_login(staff: StaffUser, *, next_url: str, now: datetime) -> LoginStep | None:
    """Start a login whose password step has passed; return the next step, if any.

    Replaces the whole session (the CSRF token with it), so nothing an attacker planted
    before sign-in survives it.
    """
    session.clear()
    session[PENDING_KEY] = {
        "staff_id": staff.id,
        "version": staff.session_version,
        "started_at": _epoch(now),
        "next": next_url,
        "done": ["password"],
    }
    return next_step(staff)


def pending_login(*, now: datetime) -> StaffUser | None:
    """Return the account whose login is under way, or None if there is none or it lapsed."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    if _epoch(now) - int(pending.get("started_at", 0)) > PENDING_LOGIN_SECONDS:
        session.pop(PENDING_KEY, None)
        return None
    staff = db.session.get(StaffUser, pending.get("staff_id"))
    if staff is None or not staff.active or staff.session_version != pending.get("version"):
        session.pop(PENDING_KEY, None)
        return None
    return staff


def mark_step_done(name: str) -> None:
    pending = session[PENDING_KEY]
    pending["done"] = [*pending["done"], name]
    session.modified = True


def next_step(staff: StaffUser) -> LoginStep | None:
    """Return the first step ``staff`` still owes in the pending login, or None."""
    done = set((session.get(PENDING_KEY) or {}).get("done", ()))
    for step in LOGIN_STEPS:
        if step.name not in done and step.required_for(staff):
            return step
    return None


def complete_login(staff: StaffUser, *, now: datetime) -> str:
    """Sign ``staff`` in once every step has passed; return where to go next.

    Raises RuntimeError if a required step is still owed: no view can skip one.
    """
    if next_step(staff) is not None:
        raise RuntimeError("a required login step has not been passed")
    pending = session.get(PENDING_KEY) or {}
    next_url = pending.get("next", "")
    session.clear()
    login_user(SignedInStaff(staff))
    session[VERSION_KEY] = staff.session_version
    session[SIGNED_IN_AT_KEY] = _epoch(now)
    session[LAST_SEEN_KEY] = _epoch(now)
    return next_url


def end_session() -> None:
    """Forget the signed-in session in this browser (the caller bumps the version)."""
    logout_user()
    session.clear()


def _forget_cached_user() -> None:
    # Flask-Login caches the user on ``g``, which lives as long as the application context.
    # A request normally gets a fresh one, but not when a context is already pushed (tests,
    # CLI-driven requests): load the user again so every request checks the session anew.
    g.pop("_login_user", None)


def _load_signed_in_staff(user_id: str) -> SignedInStaff | None:
    try:
        staff = db.session.get(StaffUser, int(user_id))
    except (TypeError, ValueError):
        staff = None
    now = _epoch(clock.now())
    if staff is None or not staff.active or session.get(VERSION_KEY) != staff.session_version:
        _forget()
        return None
    config = current_app.config
    signed_in_at = session.get(SIGNED_IN_AT_KEY)
    last_seen_at = session.get(LAST_SEEN_KEY)
    if not isinstance(signed_in_at, int) or not isinstance(last_seen_at, int):
        _forget()
        return None
    if now - signed_in_at > config["STAFF_SESSION_MAX_HOURS"] * 3600:
        _forget()
        return None
    if now - last_seen_at > config["STAFF_IDLE_TIMEOUT_MINUTES"] * 60:
        _forget()
        return None
    if now - last_seen_at >= _SEEN_RESOLUTION_SECONDS:
        session[LAST_SEEN_KEY] = now
    return SignedInStaff(staff)


def _forget() -> None:
    for key in (*_FLASK_LOGIN_KEYS, VERSION_KEY, SIGNED_IN_AT_KEY, LAST_SEEN_KEY):
        session.pop(key, None)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
