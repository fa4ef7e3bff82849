"""The delivery worker: claim due messages, send them, record the outcome; run the jobs.

Delivery is at least once. A batch is claimed in one short write transaction (PostgreSQL:
``SELECT ... FOR UPDATE SKIP LOCKED``, so parallel workers take different rows; SQLite:
``BEGIN IMMEDIATE`` serialises the claims) by setting a lease, ``claimed_until``. Each
message is then built and sent outside any transaction, and only afterwards marked sent,
together with the manage token minted for its link, in one transaction. A worker killed
in between leaves the row claimed; when the lease runs out another pass sends it again. If
the SMTP server had already accepted the first copy, the patient receives two emails with
the same Message-ID, which mail clients show as one; the invitation inside is the same
UID and SEQUENCE, so calendars change nothing. Nothing is ever lost.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind, OutboxMessage, OutboxStatus
from booking.notify import outbox, transport
from booking.notify.compose import ComposeError, QueuedEmail, compose
from booking.notify.settings import setting
from booking.services import holds, manage_links
from booking.services.audit import Actor
from booking.services.locking import write_transaction

log = logging.getLogger(__name__)

DUE = (OutboxStatus.PENDING, OutboxStatus.FAILED)
ERROR_LENGTH = 1000


# --------------------------------------------------------------------------------------------
# Delivery
# --------------------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """Return the wait after the ``attempts``-th failure: base, 2 x base, 4 x base, ... capped."""
    base = int(setting("MAIL_RETRY_BASE_SECONDS"))
    cap = int(setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=min(cap, base * 2 ** max(attempts - 1, 0)))


def claim(now: datetime, *, batch: int) -> list[int]:
    """Reserve up to ``batch`` due messages for this worker; return their ids, oldest first."""
    lease = now + timedelta(seconds=int(setting("MAIL_CLAIM_LEASE_SECONDS")))
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
                .values(claimed_until=lease)
                .execution_options(synchronize_session=False)
            )
    return ids


def deliver_due(now: datetime, *, batch: int | None = None) -> Counter[str]:
    """Send every due message (up to ``batch``); return counts by outcome.

    Outcomes: ``sent``, ``failed`` (will be retried), ``dead`` (given up), ``skipped`` (a
    reminder made pointless by a later change). Never raises for a failed send.
    """
    counts: Counter[str] = Counter()
    for message_id in claim(now, batch=batch or int(setting("WORKER_BATCH_SIZE"))):
        counts[deliver_one(message_id, now=now)] += 1
    return counts


@dataclass(frozen=True)
class _BookingRef:
    """All ``manage_links.mint`` reads of a booking: its id.

    Minting from this plain value (not the ORM row, which the rollback expires) adds the
    token to the session without a query, so nothing touches the database until the
    token is committed together with the sent mark.
    """

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


def deliver_one(message_id: int, *, now: datetime) -> str:
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
    booking_ref = _BookingRef(booking.id) if booking is not None else None
    # End the read transaction before the send: no lock or snapshot is held while talking
    # to the mail server, and the sent mark below starts a fresh write transaction.
    session.rollback()

    token = manage_links.mint(booking_ref, now=now) if booking_ref is not None else None  # type: ignore[arg-type]
    try:
        email = compose(item, manage_token=token, now=now)
    except ComposeError as error:
        session.rollback()  # the minted link goes with it
        log.error("outbox message %s cannot be built, giving up: %s", message_id, error)
        _finish(message_id, status=OutboxStatus.DEAD, error=error, attempts=attempts + 1)
        return "dead"
    try:
        where = transport.send(item, email)
    except transport.TRANSIENT_ERRORS as error:
        session.rollback()
        return _record_failure(message_id, attempts + 1, error, now=now)

    _mark_sent(message_id, now=now, attempts=attempts + 1)
    log.info("sent outbox message %s (%s) via %s", message_id, item.kind, where)
    return "sent"


def _mark_sent(message_id: int, *, now: datetime, attempts: int) -> None:
    """Commit the minted manage token and the sent mark in one transaction."""
    session = db.session()
    try:
        if session.get_bind().dialect.name == "sqlite":
            # Take the write lock first (see services.locking); the pending token is flushed
            # by the UPDATE below, inside this same transaction.
            session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=OutboxStatus.SENT,
                sent_at=now,
                attempts=attempts,
                claimed_until=None,
                last_error=None,
            )
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except BaseException:
        session.rollback()
        # Sent but not recorded: the lease runs out and it is sent again (at least once).
        log.exception("outbox message %s was sent but could not be marked sent", message_id)
        raise


def _record_failure(message_id: int, attempts: int, error: BaseException, *, now: datetime) -> str:
    dead = attempts >= int(setting("MAIL_MAX_ATTEMPTS"))
    status = OutboxStatus.DEAD if dead else OutboxStatus.FAILED
    _finish(
        message_id,
        status=status,
        error=error,
        attempts=attempts,
        next_attempt_at=None if dead else now + retry_delay(attempts),
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
) -> None:
    values: dict = {"status": status, "last_error": _describe(error), "claimed_until": None}
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


# --------------------------------------------------------------------------------------------
# Jobs: hold expiry and reminders (idempotent: each message has a dedupe key)
# --------------------------------------------------------------------------------------------


def _compact(value: datetime) -> str:
    return value.strftime("%Y%m%dT%H%MZ")


def _queue_missing(kind: MessageKind, wanted: list[tuple[Booking, str]], now: datetime) -> int:
    """Queue ``kind`` for each (booking, dedupe key) whose key is not in the outbox yet."""
    if not wanted:
        return 0
    keys = [key for _, key in wanted]
    existing = set(
        db.session.scalars(
            select(OutboxMessage.dedupe_key).where(OutboxMessage.dedupe_key.in_(keys))
        )
    )
    queued = 0
    for booking, key in wanted:
        if key not in existing and outbox.queue(kind, booking, now=now, dedupe_key=key):
            queued += 1
    return queued


def _hold_reminders(now: datetime) -> list[tuple[Booking, str]]:
    after = timedelta(hours=int(setting("HOLD_REMINDER_AFTER_BOOKING_HOURS")))
    before = timedelta(hours=int(setting("HOLD_REMINDER_BEFORE_EXPIRY_HOURS")))
    wanted = []
    held = db.session.scalars(
        select(Booking)
        .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now)
        .order_by(Booking.id)
    )
    for booking in held:
        expiry = booking.hold_expires_at
        assert expiry is not None  # the CHECK constraint held_has_expiry
        if now >= expiry - before:
            # Keyed by the expiry: a hold extended by reception gets its own last reminder.
            wanted.append((booking, f"hold_reminder:{booking.id}:before:{_compact(expiry)}"))
        elif now >= booking.created_at + after:
            wanted.append((booking, f"hold_reminder:{booking.id}:after_booking"))
    return wanted


def _appointment_reminders(now: datetime) -> list[tuple[Booking, str]]:
    offsets = sorted({int(h) for h in setting("REMINDER_OFFSETS_HOURS")})
    if not offsets:
        return []
    upcoming = db.session.scalars(
        select(Booking)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Booking.starts_at > now,
            Booking.starts_at <= now + timedelta(hours=offsets[-1]),
        )
        .order_by(Booking.starts_at, Booking.id)
    )
    wanted = []
    for booking in upcoming:
        # Only the nearest reminder that is due: a worker back after a pause sends one, not
        # every reminder it missed.
        hours = next(h for h in offsets if booking.starts_at <= now + timedelta(hours=h))
        if booking.created_at > booking.starts_at - timedelta(hours=hours):
            continue  # booked inside the window: the confirmation was the reminder
        # Keyed by the start: a booking moved after its reminder gets one for the new time.
        key = f"reminder:{booking.id}:{hours}h:{_compact(booking.starts_at)}"
        wanted.append((booking, key))
    return wanted


def _recently_expired_without_notice(now: datetime) -> list[Booking]:
    """Expired holds whose CANCEL was never queued (e.g. expired by a verb's clean-up)."""
    notice_key = select(OutboxMessage.id).where(
        OutboxMessage.booking_id == Booking.id, OutboxMessage.kind == MessageKind.HOLD_EXPIRED
    )
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.status == BookingStatus.EXPIRED,
                Booking.hold_expires_at > now - timedelta(days=1),
                ~notice_key.exists(),
            )
            .order_by(Booking.id)
        )
    )


def expire_holds(now: datetime) -> int:
    """Mark overdue holds expired and queue their CANCEL; commit; return how many holds.

    Counts the holds this call expired plus earlier-expired ones whose notice was missing;
    each gets one hold_expired message (its dedupe key makes a second queue a no-op, so
    this works whether or not ``expire_overdue`` queues the message itself).
    """
    with write_transaction():
        expired = holds.expire_overdue(now=now, actor=Actor.system())
        for booking in expired:
            outbox.queue(MessageKind.HOLD_EXPIRED, booking, now=now)
        missed = _recently_expired_without_notice(now)
        for booking in missed:
            outbox.queue(MessageKind.HOLD_EXPIRED, booking, now=now)
        return len(expired) + len(missed)


def run_jobs(now: datetime) -> Counter[str]:
    """Expire overdue holds and queue the reminders that are due; return counts queued.

    Idempotent: every message has a dedupe key, so a rerun (or a second worker) queues
    nothing twice.
    """
    counts: Counter[str] = Counter()
    counts["hold_expired"] = expire_holds(now)
    with write_transaction():
        counts["hold_reminder"] = _queue_missing(
            MessageKind.HOLD_REMINDER, _hold_reminders(now), now
        )
        counts["appointment_reminder"] = _queue_missing(
            MessageKind.APPOINTMENT_REMINDER, _appointment_reminders(now), now
        )
    return counts


PURGE_EVERY = timedelta(hours=1)
_last_purge: datetime | None = None


def run_daily_duties(now: datetime) -> Counter[str]:
    """Retention purge (DOMAIN.md section 5), run at most hourly by each worker.

    The purge is idempotent, so several workers doing it costs a few cheap statements.
    """
    global _last_purge
    counts: Counter[str] = Counter()
    if _last_purge is not None and _last_purge <= now < _last_purge + PURGE_EVERY:
        return counts
    from booking.services.retention import purge

    report = purge(now=now)
    counts["answers_purged"] = report.answers_removed
    counts["drafts_purged"] = report.drafts_removed
    _last_purge = now
    return counts


def run_pass(now: datetime) -> Counter[str]:
    """One worker pass: the jobs, then delivery until nothing due is left."""
    counts = run_jobs(now)
    counts.update(run_daily_duties(now))
    batch = int(setting("WORKER_BATCH_SIZE"))
    while True:
        delivered = deliver_due(now, batch=batch)
        counts.update(delivered)
        if delivered.total() < batch:
            return counts
