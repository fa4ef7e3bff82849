"""The booking's life as data: exactly these status changes are allowed, every other refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from booking.models import BookingStatus, MessageKind
from booking.scheduling import STATUSES, moves
from booking.services.errors import Reason

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)
LIVE = NOW + timedelta(hours=1)
LAPSED = NOW - timedelta(minutes=1)

# The whole life of a booking, written out by hand: the table must say exactly this.
ALLOWED = {
    ("held", "confirmed"),  # cleared, or restrictions approved
    ("expired", "confirmed"),  # cleared after the hold ran out, the time still free
    ("held", "released"),  # not cleared, or restrictions refused
    ("held", "expired"),  # nobody confirmed clearance in time
    ("held", "cancelled"),
    ("confirmed", "cancelled"),
    ("confirmed", "arrived"),
    ("confirmed", "no_show"),
    ("arrived", "completed"),
}
PAIRS = sorted(product(STATUSES, STATUSES))


def test_the_model_and_the_core_name_the_same_statuses():
    assert {s.value for s in BookingStatus} == STATUSES


@pytest.mark.parametrize(("old", "new"), sorted(ALLOWED))
def test_every_allowed_move_is_in_the_table(old, new):
    assert moves.allows_move(old, new)


@pytest.mark.parametrize(("old", "new"), [p for p in PAIRS if p not in ALLOWED])
def test_every_other_move_is_refused(old, new):
    assert not moves.allows_move(old, new)


def test_nothing_leaves_a_final_state():
    for final in ("completed", "no_show", "cancelled", "released"):
        assert not any(old == final for old, _ in moves.MOVES)
        assert not any(final in step.sources for step in moves.STEPS.values())


def test_an_offers_reservation_never_changes_status():
    # The row reserving an offer's time is deleted when the offer ends, never moved on.
    assert not any("offered" in pair for pair in moves.MOVES)
    assert not any("offered" in step.sources for step in moves.STEPS.values())


@pytest.mark.parametrize(("name", "step"), sorted(moves.STEPS.items()))
def test_each_step_refuses_every_status_it_does_not_start_from(name, step):
    for status in sorted(STATUSES - step.sources):
        assert moves.refusal(step, status, LIVE, NOW) == step.refusal
    for status in sorted(step.sources - {"held"}):
        assert moves.refusal(step, status, None, NOW) is None


@pytest.mark.parametrize(
    ("step", "live_ok", "lapsed_ok"),
    [
        (moves.CONFIRM, True, False),
        (moves.RELEASE, True, False),
        (moves.EXTEND_HOLD, True, False),
        (moves.EXPIRE, False, True),
        (moves.CANCEL, True, True),
        (moves.RESCHEDULE, True, True),
    ],
)
def test_what_a_step_needs_of_a_holds_expiry(step, live_ok, lapsed_ok):
    assert (moves.refusal(step, "held", LIVE, NOW) is None) is live_ok
    assert (moves.refusal(step, "held", LAPSED, NOW) is None) is lapsed_ok
    # A hold expiring exactly now has run out (it blocks only while its expiry is later).
    assert (moves.refusal(step, "held", NOW, NOW) is None) is lapsed_ok


def test_steps_name_real_events_messages_and_reasons():
    kinds = {k.value for k in MessageKind}
    for step in moves.STEPS.values():
        assert step.event.startswith("booking.")
        assert step.message is None or step.message in kinds
        assert Reason(step.refusal[0])
        assert step.refusal[1].endswith(".")


def test_only_what_the_patient_sees_changes_their_calendar_or_tells_them():
    quiet = {name for name, step in moves.STEPS.items() if step.message is None}
    assert quiet == {"arrive", "complete", "no_show", "extend_hold"}
    assert all(not moves.STEPS[name].new_sequence for name in quiet)


def test_the_time_comes_free_exactly_when_the_booking_gives_it_up():
    frees = {name: step.frees for name, step in moves.STEPS.items() if step.frees}
    assert frees == {
        "cancel": "cancelled",
        "expire": "expired",
        "release": "released",
        "reschedule": "moved",
    }
