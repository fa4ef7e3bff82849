"""Queueing messages: one outbox row per thing a patient should hear about.

:func:`queue` adds the row to the caller's session and never commits: the message is part
of the change it reports, so it exists exactly when that change is committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking import deferred
from booking.extensions import db
from booking.ics import clean_line
from booking.models import Booking, MessageKind, OutboxMessage, OutboxStatus
from booking.notify.settings import clinic_domain

# Kinds that happen at most once in a booking's life. They get a dedupe key by default, so
# two code paths reporting the same event (a verb and the worker's expiry job, say) queue
# one message. Rescheduling and reminders can happen more than once and choose their own.
ONCE_PER_BOOKING = frozenset(
    {
        MessageKind.BOOKED,
        MessageKind.HELD,
        MessageKind.CLEARANCE_CONFIRMED,
        MessageKind.CANCELLED,
        MessageKind.HOLD_RELEASED,
        MessageKind.HOLD_EXPIRED,
    }
)


def new_message_id() -> str:
    """Return a fresh ``<uuid@clinic-domain>`` Message-ID."""
    return f"<{uuid.uuid4().hex}@{clinic_domain()}>"


def snapshot_of(
    booking: Booking,
    *,
    now: datetime,
    service_name: str | None = None,
    therapist_name: str | None = None,
) -> dict[str, Any]:
    """Return the facts an email about ``booking`` may state, as they are at ``now``.

    Only what the email and its invitation need: no note, no screen answers, no clearance
    details, no manage token (a fresh link is minted when the email is sent). Names the
    caller already holds are used as given instead of loading the service and therapist.
    """
    return {
        "public_id": booking.public_id,
        "service_name": service_name if service_name is not None else booking.service.name,
        "therapist_name": (
            therapist_name if therapist_name is not None else booking.therapist.name
        ),
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "duration_minutes": booking.duration_minutes,
        "status": str(booking.status),
        "ics_sequence": booking.ics_sequence,
        # The invitation's DTSTAMP: when the change happened, so it rises with SEQUENCE
        # whatever order (or however late) the worker sends in.
        "dtstamp": now.isoformat(),
        "patient_name": clean_line(booking.contact_name or booking.patient.name),
        "hold_expires_at": (
            booking.hold_expires_at.isoformat() if booking.hold_expires_at else None
        ),
        "cancel_cutoff_hours": (booking.policy_snapshot or {}).get("cancel_cutoff_hours"),
        "reschedule_cutoff_hours": (booking.policy_snapshot or {}).get("reschedule_cutoff_hours"),
        "price_pence": booking.price_pence,
    }


def queue(
    kind: MessageKind,
    booking: Booking,
    *,
    now: datetime,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Add a ``kind`` message about ``booking`` to the current transaction and return it.

    Call it inside the verb's transaction, after the change is written: pending changes are
    flushed and the booking is reloaded, so the snapshot states what will be committed
    (status, times, SEQUENCE), even after a bulk UPDATE. Never commits.

    Returns None, and adds nothing, when the patient has no email address (booked by phone)
    or when a message with the same ``dedupe_key`` already
    exists (kinds in :data:`ONCE_PER_BOOKING` default to ``"<kind>:<booking id>"``).
    """
    kind = MessageKind(kind)
    if not (booking.contact_email or booking.patient.email):
        # A phone-only patient (booked by reception without an address): nothing to send,
        # and reception's pages say so.
        return None
    if dedupe_key is None and kind in ONCE_PER_BOOKING:
        dedupe_key = f"{kind}:{booking.id}"
    db.session.flush()
    db.session.refresh(booking)
    message = OutboxMessage(
        booking_id=booking.id,
        kind=kind,
        to_address=booking.contact_email or booking.patient.email,
        message_id=new_message_id(),
        snapshot=snapshot_of(booking, now=now),
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    if dedupe_key is None:
        db.session.add(message)
        db.session.flush()
        return message
    return add_once(message)


def add_once(message: OutboxMessage) -> OutboxMessage | None:
    """Add ``message`` unless one with its ``dedupe_key`` exists; return it, or None.

    A concurrent transaction may insert the same key between the check and the insert
    (two workers running the same job): the savepoint keeps the loser's transaction
    usable, and the unique index makes sure only one row exists. Never commits.
    """
    if db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key == message.dedupe_key)
    ):
        return None
    try:
        with db.session.begin_nested():
            db.session.add(message)
    except IntegrityError:
        return None
    return message


def queue_created(
    kind: MessageKind,
    booking: Booking,
    *,
    now: datetime,
    service_name: str,
    therapist_name: str,
    with_commit: bool = False,
) -> bool:
    """Queue the first message about ``booking``, created and flushed in this transaction.

    The booking in memory is exactly what will be committed, so the snapshot is made from
    it (and the names the verb already read) without reloading anything, and the row is
    written in one INSERT that does nothing if the message exists already (its dedupe
    key). Returns whether a row is queued; False when the patient has no email address.
    ``with_commit``: that INSERT goes with the transaction's commit (``booking.deferred``).
    """
    kind = MessageKind(kind)
    to_address = booking.contact_email or (booking.patient.email if booking.patient else None)
    if not to_address:
        return False
    values = {
        "booking_id": booking.id,
        "kind": kind,
        "to_address": to_address,
        "message_id": new_message_id(),
        "snapshot": snapshot_of(
            booking, now=now, service_name=service_name, therapist_name=therapist_name
        ),
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "dedupe_key": f"{kind}:{booking.id}" if kind in ONCE_PER_BOOKING else None,
    }
    row = deferred.row_insert(OutboxMessage.__table__, values, on_conflict=_nothing_if_queued)
    if with_commit:
        deferred.insert(*row)
    else:
        db.session.execute(*row)
    return True


def _nothing_if_queued(statement):
    # A message with the same dedupe key is queued already: keep that one.
    return statement.on_conflict_do_nothing()


def queue_course(
    sessions: list[Booking],
    *,
    course_id: int,
    now: datetime,
    service_name: str,
    therapist_names: dict[int, str],
    clearance_runs_out: datetime | None = None,
) -> bool:
    """Queue the one email of a course booked in this transaction: every session in it.

    The row belongs to the first session (its manage link opens the whole course); its
    snapshot is the first session's, plus each session's own facts for its invitation and
    the course's lines. ``clearance_runs_out``: the patient's clearance ends before the
    sessions held for that reason. Returns False when the patient has no email address.
    """
    first = sessions[0]
    to_address = first.contact_email or (first.patient.email if first.patient else None)
    if not to_address:
        return False
    snapshot = snapshot_of(
        first,
        now=now,
        service_name=service_name,
        therapist_name=therapist_names[first.therapist_id],
    )
    # The patient's name only at the top, where erasure scrubs it (services.privacy).
    snapshot["course"] = {
        "sessions": [
            {
                key: value
                for key, value in snapshot_of(
                    session,
                    now=now,
                    service_name=service_name,
                    therapist_name=therapist_names[session.therapist_id],
                ).items()
                if key != "patient_name"
            }
            | {"number": session.course_session}
            for session in sessions
        ],
        "total_pence": sum(session.price_pence for session in sessions),
        "clearance_runs_out": clearance_runs_out.isoformat() if clearance_runs_out else None,
    }
    message = OutboxMessage(
        booking_id=first.id,
        kind=MessageKind.COURSE_BOOKED,
        to_address=to_address,
        message_id=new_message_id(),
        snapshot=snapshot,
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=f"{MessageKind.COURSE_BOOKED}:{course_id}",
    )
    return add_once(message) is not None


def queue_test(to_address: str, *, now: datetime) -> OutboxMessage:
    """Add a test message (no booking, no invitation) to the current transaction."""
    message = OutboxMessage(
        booking_id=None,
        kind=MessageKind.TEST,
        to_address=to_address,
        message_id=new_message_id(),
        snapshot={"dtstamp": now.isoformat()},
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message
