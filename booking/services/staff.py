"""Staff accounts: create, authenticate, change password, deactivate, sign out.

Each verb owns its transaction and writes its audit event. A session stops working when
``session_version`` moves on, so signing out, a password change and deactivation all bump it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from booking import validation
from booking.auth import passwords
from booking.extensions import db
from booking.models import StaffRole, StaffUser, Therapist
from booking.services.audit import Actor, record
from booking.services.errors import StaffError
from booking.services.locking import write_transaction


def login_key(email: str | None) -> str:
    """Return the form of a typed address used to find the account (never raises).

    The rate limiter keys on it too, so ``Ann@Clinic`` and ``ann@clinic`` share a budget.
    """
    try:
        return validation.normalise_email(email)
    except validation.InvalidInput:
        return (email or "").strip().lower()[:254]


def find_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == login_key(email)))


def check_password_rules(password: str) -> None:
    """Raise StaffError("weak_password") unless ``password`` is long enough to keep."""
    if len(password) < passwords.MIN_PASSWORD_LENGTH:
        raise StaffError(
            "weak_password",
            f"Please use a password of at least {passwords.MIN_PASSWORD_LENGTH} characters.",
            field="password",
        )
    if len(password) > passwords.MAX_PASSWORD_LENGTH:
        raise StaffError(
            "weak_password",
            f"Please use a password of at most {passwords.MAX_PASSWORD_LENGTH} characters.",
            field="password",
        )


def create_staff(
    *,
    email: str,
    name: str,
    role: StaffRole | str,
    password: str,
    therapist_id: int | None = None,
    actor: Actor,
    now: datetime,
) -> StaffUser:
    """Create an active account and commit.

    Raises StaffError: ``invalid_email``, ``invalid_name``, ``invalid_role``,
    ``weak_password``, ``therapist_required`` (a therapist account must link to its
    Therapist), ``therapist_not_allowed`` (other roles must not), ``unknown_therapist``,
    ``duplicate_email``.
    """
    try:
        email = validation.normalise_email(email)
    except validation.InvalidInput as error:
        raise StaffError("invalid_email", str(error), field="email") from None
    try:
        name = validation.clean_name(name)
    except validation.InvalidInput as error:
        raise StaffError("invalid_name", str(error), field="name") from None
    try:
        role = StaffRole(role)
    except ValueError:
        choices = ", ".join(r.value for r in StaffRole)
        raise StaffError("invalid_role", f"Role must be one of: {choices}.") from None
    if role is StaffRole.THERAPIST and therapist_id is None:
        raise StaffError("therapist_required", "A therapist account must name its therapist.")
    if role is not StaffRole.THERAPIST and therapist_id is not None:
        raise StaffError("therapist_not_allowed", "Only a therapist account links to one.")
    if therapist_id is not None and db.session.get(Therapist, therapist_id) is None:
        raise StaffError("unknown_therapist", "There is no such therapist.")
    check_password_rules(password)
    if _email_taken(email):
        raise StaffError(
            "duplicate_email", f"A staff account for {email} already exists.", field="email"
        )
    password_hash = passwords.hash_password(password)  # slow: before taking the write lock
    with write_transaction():
        staff = StaffUser(
            email=email,
            name=name,
            role=role,
            password_hash=password_hash,
            active=True,
            therapist_id=therapist_id,
            session_version=0,
            created_at=now,
        )
        db.session.add(staff)
        try:
            db.session.flush()
        except IntegrityError:  # created by someone else since the check above
            raise StaffError(
                "duplicate_email", f"A staff account for {email} already exists.", field="email"
            ) from None
        record("staff.created", actor=actor, now=now, staff_id=staff.id, role=role.value)
    return staff


def authenticate(email: str, password: str, *, now: datetime) -> StaffUser | None:
    """Return the active account ``email`` belongs to if ``password`` is its password.

    An unknown address, a wrong password and a deactivated account all return None after
    the same work (one argon2 verification), and each writes ``staff.login_failed`` with
    the staff id or a hash of the address, never the password. Commits. A hash made with
    weaker parameters than today's is replaced on success.
    """
    key = login_key(email)
    staff = db.session.scalar(select(StaffUser).where(StaffUser.email == key)) if key else None
    if staff is None:
        passwords.verify_against_dummy(password)
        _login_failed(now, reason="unknown_email", email_hash=_email_hash(key))
        return None
    if not passwords.verify_password(staff.password_hash, password):
        _login_failed(now, reason="wrong_password", staff_id=staff.id)
        return None
    if not staff.active:
        _login_failed(now, reason="inactive", staff_id=staff.id)
        return None
    if passwords.needs_rehash(staff.password_hash):
        rehashed = passwords.hash_password(password)
        with write_transaction():
            staff.password_hash = rehashed
    return staff


def record_login(staff: StaffUser, *, now: datetime) -> None:
    """Write ``staff.login`` once every sign-in step has passed. Commits."""
    with write_transaction():
        record("staff.login", actor=Actor.staff(staff.id), now=now)


def sign_out(staff: StaffUser, *, now: datetime) -> None:
    """End every session of ``staff`` (a copied cookie included) and commit.

    The session cookie lives in the browser, so forgetting it there is not enough: the
    version bump makes any saved copy useless. Other devices are signed out too.
    """
    with write_transaction():
        staff.session_version += 1
        record("staff.logout", actor=Actor.staff(staff.id), now=now)


def change_password(staff: StaffUser, new_password: str, *, actor: Actor, now: datetime) -> None:
    """Set a new password and end every existing session. Raises StaffError("weak_password")."""
    check_password_rules(new_password)
    password_hash = passwords.hash_password(new_password)
    with write_transaction():
        staff.password_hash = password_hash
        staff.session_version += 1
        record("staff.password_changed", actor=actor, now=now, staff_id=staff.id)


def deactivate(staff: StaffUser, *, actor: Actor, now: datetime) -> None:
    """Stop ``staff`` signing in and end every existing session. Commits."""
    with write_transaction():
        staff.active = False
        staff.session_version += 1
        record("staff.deactivated", actor=actor, now=now, staff_id=staff.id)


def _email_taken(email: str) -> bool:
    return (
        db.session.scalar(
            select(func.count()).select_from(StaffUser).where(func.lower(StaffUser.email) == email)
        )
        > 0
    )


def _email_hash(key: str) -> str:
    # Enough to see repeated attempts at one address in the audit log, without storing it.
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _login_failed(now: datetime, **details: object) -> None:
    with write_transaction():
        record("staff.login_failed", actor=Actor.system(), now=now, **details)
