"""Staff sign-in throttling that slows a guesser down and cannot be aimed at staff.

Refusals are counted per (account, source address). After ``STAFF_LOGIN_FREE_FAILURES``
within ``STAFF_LOGIN_WINDOW_MINUTES``, that pair is blocked for ``STAFF_LOGIN_BLOCK_SECONDS``,
doubling with every further refusal up to ``STAFF_LOGIN_MAX_BLOCK_MINUTES``. The account
itself is never locked: the staff member signing in from anywhere else (or anyone with the
right password from an address that has not been guessing) gets in as usual. When refusals
for one account add up to ``STAFF_LOGIN_ALERT_FAILURES`` within an hour, from any number of
addresses, the staff member is emailed through the outbox, at most once an hour. Admins see
the current blocks and can clear them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from booking.extensions import db
from booking.models import MessageKind, OutboxMessage, OutboxStatus, SignInThrottle, StaffUser
from booking.notify import outbox
from booking.services.audit import Actor, record

log = logging.getLogger(__name__)

ALERT_WINDOW = timedelta(hours=1)


def _setting(name: str) -> int:
    return int(current_app.config[name])


@dataclass(frozen=True)
class Entry:
    """What an admin sees of one throttled (account, source) pair."""

    id: int
    account: str
    source: str
    failures: int
    last_failure_at: datetime
    blocked_until: datetime | None


def _pair(account_key: str, source: str):
    return (SignInThrottle.account_key == account_key) & (SignInThrottle.source == source[:64])


def seconds_blocked(account_key: str, source: str, *, now: datetime) -> int:
    """Return how many seconds this pair must still wait (0: it may try now)."""
    query = select(SignInThrottle.blocked_until).where(_pair(account_key, source))
    until = db.session.scalar(query)
    if until is None or until <= now:
        return 0
    return max(1, int((until - now).total_seconds() + 0.999))


def _block_for(failures: int) -> timedelta | None:
    # The refusal that uses up the allowance starts the first wait.
    extra = failures - _setting("STAFF_LOGIN_FREE_FAILURES") + 1
    if extra <= 0:
        return None
    longest = timedelta(minutes=_setting("STAFF_LOGIN_MAX_BLOCK_MINUTES"))
    seconds = _setting("STAFF_LOGIN_BLOCK_SECONDS") * 2 ** min(extra - 1, 20)
    return min(timedelta(seconds=seconds), longest)


def record_failure(account_key: str, source: str, *, now: datetime) -> None:
    """Count one refused sign-in of ``account_key`` from ``source``; may email its owner.

    Commits. Two refusals at once from one pair both count (an atomic increment).
    """
    source = source[:64]
    window = timedelta(minutes=_setting("STAFF_LOGIN_WINDOW_MINUTES"))
    row = db.session.scalar(select(SignInThrottle).where(_pair(account_key, source)))
    if row is None:
        try:
            with db.session.begin_nested():
                db.session.add(
                    SignInThrottle(
                        account_key=account_key,
                        source=source,
                        failures=0,
                        first_failure_at=now,
                        last_failure_at=now,
                    )
                )
        except IntegrityError:  # the same pair's other refusal inserted it first
            pass
        row = db.session.scalar(select(SignInThrottle).where(_pair(account_key, source)))
    elif row.last_failure_at < now - window and (row.blocked_until or now) <= now:
        # A quiet spell: the count starts again.
        db.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.id == row.id)
            .values(failures=0, first_failure_at=now)
        )
    db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.id == row.id)
        .values(failures=SignInThrottle.failures + 1, last_failure_at=now)
    )
    failures = db.session.scalar(select(SignInThrottle.failures).where(SignInThrottle.id == row.id))
    block = _block_for(failures)
    if block is not None:
        db.session.execute(
            update(SignInThrottle)
            .where(SignInThrottle.id == row.id)
            .values(blocked_until=now + block)
        )
    _alert_if_burst(account_key, now=now)
    db.session.commit()


def record_success(account_key: str, source: str) -> None:
    """Forget this pair's refusals after a correct password. Commits."""
    db.session.execute(delete(SignInThrottle).where(_pair(account_key, source)))
    db.session.commit()


def _alert_if_burst(account_key: str, *, now: datetime) -> None:
    recent = db.session.execute(
        select(func.coalesce(func.sum(SignInThrottle.failures), 0), func.count())
        .where(SignInThrottle.account_key == account_key)
        .where(SignInThrottle.last_failure_at >= now - ALERT_WINDOW)
    ).one()
    failures, sources = int(recent[0]), int(recent[1])
    if failures < _setting("STAFF_LOGIN_ALERT_FAILURES"):
        return
    staff = db.session.scalar(
        select(StaffUser).where(StaffUser.email == account_key, StaffUser.active.is_(True))
    )
    if staff is None:
        return
    # One alert per account per clock hour, however long the burst goes on.
    dedupe_key = f"sign-in-alert:{staff.id}:{now:%Y%m%d%H}"
    if db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return
    message = OutboxMessage(
        booking_id=None,
        kind=MessageKind.STAFF_SIGN_IN_ALERT,
        to_address=staff.email,
        message_id=outbox.new_message_id(),
        snapshot={
            "dtstamp": now.isoformat(),
            "patient_name": staff.name,  # the To: display name, as for every message
            "failures": failures,
            "sources": sources,
        },
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:  # another worker's refusal queued it first
        return
    log.warning("burst of refused staff sign-ins", extra={"event": "login.burst"})


def current(*, now: datetime) -> list[Entry]:
    """Every pair blocked now or with refusals inside the window, newest first."""
    window = timedelta(minutes=_setting("STAFF_LOGIN_WINDOW_MINUTES"))
    rows = db.session.scalars(
        select(SignInThrottle)
        .where(
            (SignInThrottle.blocked_until > now) | (SignInThrottle.last_failure_at >= now - window)
        )
        .order_by(SignInThrottle.last_failure_at.desc(), SignInThrottle.id.desc())
    ).all()
    return [
        Entry(r.id, r.account_key, r.source, r.failures, r.last_failure_at, r.blocked_until)
        for r in rows
    ]


def clear(entry_id: int, *, actor: Actor, now: datetime) -> bool:
    """Remove one pair's count and block. Commits; False when it was already gone."""
    row = db.session.get(SignInThrottle, entry_id)
    if row is None:
        db.session.rollback()
        return False
    staff_id = db.session.scalar(select(StaffUser.id).where(StaffUser.email == row.account_key))
    db.session.delete(row)
    record("staff.sign_in_throttle_cleared", actor=actor, now=now, staff_id=staff_id)
    db.session.commit()
    return True
