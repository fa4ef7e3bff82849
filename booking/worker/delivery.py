"""Delivery: claim due messages, send them, record the outcome.

Delivery is at least once, and every copy's link works. A batch is claimed in one short
write transaction (PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED``, so parallel workers
take different rows; SQLite: ``BEGIN IMMEDIATE`` serialises the claims) by setting a lease,
``claimed_until``, and the claim's owner, ``claimed_by``. Before each message is sent, one
more transaction checks the claim is still this worker's, renews the lease and commits the
manage token minted for the message's link: the link is valid before the bytes leave the
machine. While the mail server is talked to, a thread renews the lease every third of it,
so a slow send is never overtaken by another worker; only after it is the message marked
sent. A worker killed in between leaves the row claimed; when the short lease runs out
another pass sends it again. If the mail server had already accepted the first copy, the
patient receives two emails with the same Message-ID, which mail clients show as one, and
both links open the booking; the invitation inside is the same UID and SEQUENCE, so
calendars change nothing. Nothing is ever lost.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Engine

from booking import clock
from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    ClinicianLinkToken,
    ManageToken,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    WaitlistToken,
)
from booking.notify import clinician_mail, transport, waitlist_mail
from booking.notify.compose import ComposeError, QueuedEmail, compose
from booking.notify.settings import setting
from booking.services import clinician_links
from booking.services.clinic_settings import current_policy
from booking.services.locking import write_transaction
from booking.tokens import new_token, token_hash
from booking.worker import links

log = logging.getLogger(__name__)

DUE = (OutboxStatus.PENDING, OutboxStatus.FAILED)
ERROR_LENGTH = 1000


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the ``attempts``-th failure: base, 2 x base, 4 x base, ... capped."""
    base = int(setting("MAIL_RETRY_BASE_SECONDS"))
    cap = int(setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def _lease() -> timedelta:
    return timedelta(seconds=int(setting("MAIL_CLAIM_LEASE_SECONDS")))


def _lease_from(now: datetime) -> datetime:
    # The wall clock, when it is ahead of the pass's ``now`` (a long pass): a lease is real
    # time that another worker measures with its own clock.
    return max(now, clock.now()) + _lease()


def new_claim() -> str:
    """Return a fresh claim owner: the value that says which worker holds a lease."""
    return secrets.token_hex(16)


def claim(now: datetime, *, batch: int, owner: str | None = None) -> list[int]:
    """Reserve up to ``batch`` due messages for ``owner``; return their ids, oldest first."""
    with write_transaction():
        ids = list(
            db.session.scalars(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.status.in_(DUE),
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
                )
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        )
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(claimed_until=now + _lease(), claimed_by=owner or new_claim())
                .execution_options(synchronize_session=False)
            )
    return ids


def deliver_due(now: datetime, *, batch: int | None = None) -> Counter[str]:
    """Send every due message (up to ``batch``); return counts by outcome.

    Outcomes: ``sent``, ``failed`` (will be retried), ``dead`` (given up), ``skipped`` (a
    reminder made pointless by a later change), ``gone`` (another worker has it now).
    Never raises for a failed send.
    """
    counts: Counter[str] = Counter()
    owner = new_claim()
    for message_id in claim(now, batch=batch or int(setting("WORKER_BATCH_SIZE")), owner=owner):
        counts[deliver_one(message_id, now=now, owner=owner)] += 1
    return counts


@dataclass(frozen=True)
class _BookingRef:
    """All ``manage_links.mint`` reads of a booking: its id (no ORM row across commits)."""

    id: int


def _stale_reminder(message: OutboxMessage, booking: Booking | None, now: datetime) -> bool:
    if message.kind is MessageKind.HOLD_REMINDER:
        return booking is None or not (
            booking.status is BookingStatus.HELD and booking.blocks_at(now)
        )
    if message.kind is MessageKind.APPOINTMENT_REMINDER:
        return (
            booking is None
            or booking.status is not BookingStatus.CONFIRMED
            or booking.ics_sequence != message.snapshot.get("ics_sequence")
            or booking.starts_at <= now
        )
    return False


class _ClaimLost(Exception):
    """Internal: the lease is no longer this worker's; another worker sends the message."""


def _renew(message_id: int, owner: str | None, now: datetime) -> None:
    """Renew this worker's lease on ``message_id`` (inside the caller's transaction).

    With no owner (a staff test send of a message this request queued), take the claim.
    Raises _ClaimLost when the message is no longer due or another claim holds it.
    """
    where = [OutboxMessage.id == message_id, OutboxMessage.status.in_(DUE)]
    if owner is not None:
        where.append(OutboxMessage.claimed_by == owner)
    renewed = db.session.execute(
        update(OutboxMessage)
        .where(*where)
        .values(claimed_until=_lease_from(now), claimed_by=owner or new_claim())
        .execution_options(synchronize_session=False)
    ).rowcount
    if renewed != 1:
        raise _ClaimLost


class _LeaseKeeper:
    """Renew one message's lease every third of it while the mail server is talked to.

    Its own connection (the request's session stays out of it), and failures are only
    logged: the worst a missed renewal can do is let the lease run out during a very slow
    send, and another worker send the message again (at least once, never lost).
    """

    def __init__(self, engine: Engine, message_id: int, owner: str, now: datetime) -> None:
        self._engine = engine
        self._message_id = message_id
        self._owner = owner
        self._now = now
        self._lease = _lease()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-lease", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._lease.total_seconds() / 3):
            try:
                with (
                    self._engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn,
                    conn.begin(),
                ):
                    conn.execute(
                        update(OutboxMessage)
                        .where(
                            OutboxMessage.id == self._message_id,
                            OutboxMessage.claimed_by == self._owner,
                        )
                        .values(claimed_until=max(self._now, clock.now()) + self._lease)
                    )
            except Exception:
                log.warning("could not renew the lease of outbox message %s", self._message_id)


def deliver_one(message_id: int, *, now: datetime, owner: str | None = None) -> str:
    """Build and send one claimed message and record the outcome; return the outcome."""
    session = db.session
    session.rollback()
    message = session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.status not in DUE:
        session.rollback()
        return "gone"
    item = QueuedEmail(
        id=message.id,
        kind=message.kind,
        to_address=message.to_address,
        message_id=message.message_id,
        snapshot=dict(message.snapshot),
        created_at=message.created_at,
    )
    attempts = message.attempts
    booking = message.booking
    if _stale_reminder(message, booking, now):
        _finish(message_id, status=OutboxStatus.SKIPPED, error="the booking changed since")
        return "skipped"
    waitlist = message.kind in waitlist_mail.WAITLIST_KINDS
    if waitlist and waitlist_mail.is_stale(message.kind, item.snapshot):
        _finish(message_id, status=OutboxStatus.SKIPPED, error="the waitlist entry changed since")
        return "skipped"
    to_clinician = message.kind is MessageKind.CLINICIAN_REQUEST
    if to_clinician and clinician_mail.is_stale(item.snapshot, now):
        # A link that would not open: the hold is over or cleared, or the link used.
        _finish(message_id, status=OutboxStatus.SKIPPED, error="the hold changed since")
        return "skipped"
    booking_ref = _BookingRef(booking.id) if booking is not None else None
    session.rollback()

    # One transaction before the send: the claim is still ours (renewed), and the link's
    # token is committed, so whatever happens after the mail server accepts the message,
    # the link in it works.
    try:
        with write_transaction():
            _renew(message_id, owner, now)
            owner = db.session.scalar(
                select(OutboxMessage.claimed_by).where(OutboxMessage.id == message_id)
            )
            if waitlist:
                token = _mint_entry_link(int(item.snapshot["entry_id"]), now)
            elif to_clinician:
                token = clinician_links.mint(int(item.snapshot["link_id"]), now=now)
            else:
                token = links.mint(item.kind, booking_ref.id, now=now) if booking_ref else None
            email = compose(item, manage_token=token, now=now, policy=current_policy())
    except _ClaimLost:
        return "gone"
    except ComposeError as error:
        log.error("outbox message %s cannot be built, giving up: %s", message_id, error)
        _finish(message_id, status=OutboxStatus.DEAD, error=error, attempts=attempts + 1)
        return "dead"
    try:
        with _LeaseKeeper(db.engine, message_id, owner, now):
            where = transport.send(item, email)
    except transport.TRANSIENT_ERRORS as error:
        return _record_failure(message_id, attempts + 1, error, now=now, unused_token=token)

    _mark_sent(message_id, now=now, attempts=attempts + 1)
    log.info("sent outbox message %s (%s) via %s", message_id, item.kind, where)
    return "sent"


def _mint_entry_link(entry_id: int, now: datetime) -> str:
    """Add a new link of a waitlist entry to the session and return its token."""
    token = new_token()
    db.session.add(WaitlistToken(entry_id=entry_id, token_hash=token_hash(token), created_at=now))
    return token


def _mark_sent(message_id: int, *, now: datetime, attempts: int) -> None:
    """Record the message as sent; if that fails, the lease runs out and it is sent again."""
    try:
        with write_transaction():
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=now,
                    attempts=attempts,
                    claimed_until=None,
                    claimed_by=None,
                    last_error=None,
                )
                .execution_options(synchronize_session=False)
            )
    except Exception:
        # Sent but not recorded: at least once. The copy's link works (committed before).
        log.exception("outbox message %s was sent but could not be marked sent", message_id)
        raise


def _record_failure(
    message_id: int,
    attempts: int,
    error: BaseException,
    *,
    now: datetime,
    unused_token: str | None = None,
) -> str:
    dead = attempts >= int(setting("MAIL_MAX_ATTEMPTS"))
    status = OutboxStatus.DEAD if dead else OutboxStatus.FAILED
    _finish(
        message_id,
        status=status,
        error=error,
        attempts=attempts,
        next_attempt_at=None if dead else now + retry_delay(attempts),
        unused_token=unused_token,
    )
    log.warning(
        "outbox message %s: attempt %s failed (%s): %s",
        message_id,
        attempts,
        status,
        _describe(error),
    )
    return str(status)


def _describe(error: BaseException | str) -> str:
    if isinstance(error, str):
        return error
    return f"{type(error).__name__}: {error}"[:ERROR_LENGTH]


def _finish(
    message_id: int,
    *,
    status: OutboxStatus,
    error: BaseException | str,
    attempts: int | None = None,
    next_attempt_at: datetime | None = None,
    unused_token: str | None = None,
) -> None:
    values: dict = {
        "status": status,
        "last_error": _describe(error),
        "claimed_until": None,
        "claimed_by": None,
    }
    if attempts is not None:
        values["attempts"] = attempts
    if next_attempt_at is not None:
        values["next_attempt_at"] = next_attempt_at
    with write_transaction():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if unused_token is not None:
            # The server refused the message: no copy carries this link, so it goes.
            for table in (ManageToken, WaitlistToken, ClinicianLinkToken):
                db.session.execute(
                    delete(table).where(table.token_hash == token_hash(unused_token))
                )
