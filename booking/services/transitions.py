"""Changing an existing booking: the one place a booking's status is written.

:func:`apply` runs one ``Step`` of ``booking.scheduling.moves`` inside the caller's write
transaction: it checks the step is allowed from the state the verb read, writes the change
as a compare-and-set (``WHERE status = <what was read>``, and for a hold whose expiry
matters, the expiry too), then records the freed time, the audit event and the patient's
message, each once. Two verbs racing for one booking (a clearance and the expiry, two
clicks at the desk, a cancel and a move) therefore make exactly one change: the loser's
UPDATE matches no row and it is refused, having written nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import update

from booking.extensions import db
from booking.models import Booking, BookingStatus, MessageKind
from booking.notify import outbox
from booking.scheduling import moves
from booking.scheduling.moves import HoldRule, Step
from booking.services import audit, freed
from booking.services.audit import Actor
from booking.services.errors import BookingError


def refused(step: Step, *, field: str | None = None) -> BookingError:
    """The refusal ``step`` gives when the booking's state does not allow it."""
    reason, message = step.refusal
    return BookingError(reason, message, field=field)


def check(booking: Booking, step: Step, *, now: datetime, field: str | None = None) -> None:
    """Raise the step's refusal unless ``step`` may start from ``booking``'s state at ``now``.

    For a verb with rules of its own to check after the state (too early, already
    extended): :func:`apply` checks the same again, then writes only if nothing changed.
    """
    if moves.refusal(step, booking.status, booking.hold_expires_at, now) is not None:
        raise refused(step, field=field)


def apply(
    booking: Booking,
    step: Step,
    *,
    actor: Actor,
    now: datetime,
    values: Mapping[str, Any] | None = None,
    conditions: tuple = (),
    notify: bool = True,
    strict: bool = True,
    freed_from: Mapping[str, Any] | None = None,
    field: str | None = None,
    **details: Any,
) -> bool:
    """Apply ``step`` to ``booking`` as the verb read it in this transaction.

    ``values`` are written with the step's own (new status, ``updated_at``, the calendar
    SEQUENCE, the time stamps of its new status); ``conditions`` are further WHERE clauses
    for the compare-and-set. The audit event carries ``details``; the patient's message is
    queued unless ``notify`` is False. ``freed_from`` gives the time that came free when it
    is not the booking's own (a move: the old start, end and therapist).

    Returns True once the change is written. When the state does not allow the step, or
    changed since it was read, nothing is written: raises the step's refusal
    (BookingError, naming ``field`` if given), or returns False when ``strict`` is False.
    """
    expected = BookingStatus(booking.status)
    why = moves.refusal(step, expected, booking.hold_expires_at, now)
    if why is None:
        written = _compare_and_set(booking, step, expected, now, values or {}, conditions)
    else:
        written = False
    if not written:
        if strict:
            raise refused(step, field=field)
        return False
    if step.frees is not None:
        freed.record(booking, step.frees, now=now, **(freed_from or {}))
    audit.record(step.event, actor=actor, now=now, booking=booking, **details)
    if step.message is not None and notify:
        outbox.queue(MessageKind(step.message), booking, now=now)
    return True


def _compare_and_set(
    booking: Booking,
    step: Step,
    expected: BookingStatus,
    now: datetime,
    values: Mapping[str, Any],
    conditions: tuple,
) -> bool:
    changes: dict[str, Any] = {"updated_at": now}
    if step.new_sequence:
        changes["ics_sequence"] = Booking.ics_sequence + 1
    if step.target is not None:
        target = BookingStatus(step.target)
        changes["status"] = target
        changes.update(_stamps(target, now))
    changes.update(values)
    where = [Booking.id == booking.id, Booking.status == expected, *conditions]
    if expected is BookingStatus.HELD and step.hold is HoldRule.LIVE:
        where.append(Booking.hold_expires_at > now)
    elif expected is BookingStatus.HELD and step.hold is HoldRule.LAPSED:
        where.append(Booking.hold_expires_at <= now)
    changed = db.session.execute(
        update(Booking).where(*where).values(**changes).execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return False
    # The row changed under the object: what it shows of those columns is reloaded on use.
    db.session.expire(booking, list(changes))
    return True


def _stamps(target: BookingStatus, now: datetime) -> dict[str, Any]:
    """The columns that say when a booking reached ``target``."""
    if target is BookingStatus.CONFIRMED:
        # A confirmed booking holds nothing in reserve: its hold's expiry is over.
        return {"confirmed_at": now, "hold_expires_at": None}
    if target in (BookingStatus.CANCELLED, BookingStatus.RELEASED):
        return {"cancelled_at": now}
    return {}
