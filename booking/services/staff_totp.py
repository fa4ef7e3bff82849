"""Staff second factor: enrol, check a sign-in code, reset. Each verb commits and audits.

An account is *enrolled* once a first code has proved the secret reached an authenticator
app (``StaffUser.totp_enrolled``): until then the secret waits on the row, encrypted, so
a set-up interrupted by a lapsed sign-in shows the same key again. ``totp_last_step`` is the
time step of the last accepted code; a code is accepted only for a newer step, and that is
a compare-and-set in the database, so two requests racing with one code cannot both pass.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, update

from booking.auth import totp
from booking.extensions import db
from booking.models import StaffUser
from booking.services.audit import Actor, record
from booking.services.errors import StaffError
from booking.services.locking import write_transaction

WRONG_CODE = "That code is not right, or it has already been used. Please try the next one."


def enrolment_secret(staff: StaffUser) -> str:
    """Return the secret ``staff`` should add to their app, making one if needed. Commits.

    Raises StaffError("already_enrolled") for an enrolled account: its secret is never
    shown again (an admin resets it with ``flask booking staff-totp-reset``).
    """
    if staff.totp_enrolled:
        raise StaffError("already_enrolled", "Two-step sign-in is already set up.")
    if staff.totp_secret is None:
        with write_transaction():
            if staff.totp_secret is None:  # re-read under the lock: one secret, never two
                staff.totp_secret = totp.new_secret()
    return staff.totp_secret


def enrol(staff: StaffUser, code: str | None, *, now: datetime) -> None:
    """Finish enrolment with the first code from the app. Commits.

    Raises StaffError("already_enrolled" | "no_secret" | "wrong_code").
    """
    if staff.totp_enrolled:
        raise StaffError("already_enrolled", "Two-step sign-in is already set up.")
    if staff.totp_secret is None:
        raise StaffError("no_secret", "Please start the set-up again.")
    step = totp.accepted_step(staff.totp_secret, code, now=now, last_step=None)
    with write_transaction():
        claimed = step is not None and _claim_step(staff, step)
        if claimed:
            record("staff.totp_enrolled", actor=Actor.staff(staff.id), now=now, staff_id=staff.id)
    if not claimed:
        _failed(staff, now, stage="enrolment")
        raise StaffError("wrong_code", WRONG_CODE, field="code")
    db.session.refresh(staff)


def check_code(staff: StaffUser, code: str | None, *, now: datetime) -> bool:
    """Return whether ``code`` is a fresh, valid code of an enrolled ``staff``. Commits.

    A refusal writes ``staff.totp_failed`` (never the code).
    """
    if not staff.totp_enrolled:
        return False
    step = totp.accepted_step(staff.totp_secret, code, now=now, last_step=staff.totp_last_step)
    with write_transaction():
        claimed = step is not None and _claim_step(staff, step)
    if not claimed:
        _failed(staff, now, stage="login")
        return False
    db.session.refresh(staff)
    return True


def reset(staff: StaffUser, *, actor: Actor, now: datetime) -> None:
    """Forget the second factor of ``staff`` and end their sessions. Commits.

    An admin must enrol again at their next sign-in; other staff sign in with the password
    alone until they choose to enrol.
    """
    with write_transaction():
        staff.totp_secret = None
        staff.totp_last_step = None
        staff.session_version += 1
        record("staff.totp_reset", actor=actor, now=now, staff_id=staff.id)


def _claim_step(staff: StaffUser, step: int) -> bool:
    # Compare-and-set: only a step newer than the stored one is taken, once.
    claimed = db.session.execute(
        update(StaffUser)
        .where(
            StaffUser.id == staff.id,
            or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def _failed(staff: StaffUser, now: datetime, *, stage: str) -> None:
    with write_transaction():
        record("staff.totp_failed", actor=Actor.system(), now=now, staff_id=staff.id, stage=stage)
