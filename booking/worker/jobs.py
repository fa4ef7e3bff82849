"""The worker's timed jobs: hold expiry, reminders, follow-ups, waitlist offers and the
retention purge.

Each is idempotent: every message it queues has a dedupe key, and the verbs it calls
compare and set, so a rerun or a second worker does nothing twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind, OutboxMessage
from booking.notify import outbox
from booking.services import holds, retention
from booking.services.clinic_settings import current_policy
from booking.services.followup import sending as follow_ups
from booking.services.locking import write_transaction
from booking.services.waitlist.offering import offer_free_times


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
    policy = current_policy()
    after = timedelta(hours=policy.hold_reminder_after_booking_hours)
    before = timedelta(hours=policy.hold_reminder_before_expiry_hours)
    wanted = []
    held = db.session.scalars(
        select(Booking)
        .where(Booking.status == BookingStatus.HELD, Booking.hold_expires_at > now)
        .order_by(Booking.course_id, Booking.course_session, Booking.id)
    )
    # A course's held sessions wait on one clearance: one reminder for the course (its first
    # held session), and one per deadline where sessions are held until different times.
    reminded: set[tuple] = set()
    for booking in held:
        expiry = booking.hold_expires_at
        assert expiry is not None  # the CHECK constraint held_has_expiry
        if now >= expiry - before:
            if booking.course_id is not None and (booking.course_id, expiry) in reminded:
                continue
            reminded.add((booking.course_id, expiry))
            # Keyed by the expiry: a hold extended by reception gets its own last reminder.
            wanted.append((booking, f"hold_reminder:{booking.id}:before:{_compact(expiry)}"))
        elif now >= booking.created_at + after:
            if booking.course_id is not None and (booking.course_id, None) in reminded:
                continue
            reminded.add((booking.course_id, None))
            wanted.append((booking, f"hold_reminder:{booking.id}:after_booking"))
    return wanted


def _appointment_reminders(now: datetime) -> list[tuple[Booking, str]]:
    offsets = list(current_policy().reminder_offsets_hours)
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


def expire_holds(now: datetime) -> int:
    """Mark overdue holds expired (each queues its own notice); commit; return how many."""
    return len(holds.expire_holds(now=now))


def run_jobs(now: datetime) -> Counter[str]:
    """Expire overdue holds and queue the reminders that are due; return counts queued.

    Idempotent: every message has a dedupe key, so a rerun (or a second worker) queues
    nothing twice.
    """
    counts: Counter[str] = Counter()
    counts["hold_expired"] = expire_holds(now)
    counts["waitlist_offered"] = offer_waitlist(now)
    counts["follow_up"] = follow_ups.queue_due(now)
    with write_transaction():
        counts["hold_reminder"] = _queue_missing(
            MessageKind.HOLD_REMINDER, _hold_reminders(now), now
        )
        counts["appointment_reminder"] = _queue_missing(
            MessageKind.APPOINTMENT_REMINDER, _appointment_reminders(now), now
        )
    return counts


def offer_waitlist(now: datetime) -> int:
    """Offer free times to waiting entries, one each (``services.waitlist.offering``)."""
    return offer_free_times(now=now)


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
    report = retention.purge(now=now)
    counts["answers_purged"] = report.answers_removed
    counts["drafts_purged"] = report.drafts_removed
    _last_purge = now
    return counts
