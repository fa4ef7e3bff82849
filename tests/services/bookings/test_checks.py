"""The rules a new booking passes before its re-check: the online caps, counted per person."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import literal, select, text

from booking.extensions import db
from booking.models import BookingStatus, Course
from booking.services.bookings.checks import _cap_counts, _refuse_hold_squatting
from booking.services.bookings.making import _Facts
from booking.services.errors import BookingError
from tests.support.builders import (
    make_booking,
    make_patient,
    make_room,
    make_service,
    make_therapist,
)
from tests.support.policy import shipped_policy

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def caps(email: str) -> tuple[int, int]:
    row = db.session.execute(select(_cap_counts(email, NOW))).one()
    return row.future, row.holds_now


@pytest.fixture
def place(app):
    service = make_service()
    return {
        "service": service,
        "therapist": make_therapist(services=[service]),
        "room": make_room(),
    }


def booked(place, patient, days, **fields):
    return make_booking(
        starts_at=NOW + timedelta(days=days),
        service=place["service"],
        therapist=place["therapist"],
        room=place["room"],
        patient=patient,
        **fields,
    )


def test_one_person_is_counted_whatever_case_or_tag_the_address_was_typed_with(place):
    pat = make_patient(email="pat@example.org")
    booked(place, pat, 1)
    booked(place, pat, 2, contact_email="Pat+back@Example.org")
    booked(place, pat, 3, status=BookingStatus.HELD, hold_expires_at=NOW + timedelta(hours=5))
    # Not counted: past, cancelled, and a hold that has run out.
    booked(place, pat, -1)
    booked(place, pat, 4, status=BookingStatus.CANCELLED)
    booked(place, pat, 5, status=BookingStatus.HELD, hold_expires_at=NOW - timedelta(hours=1))
    db.session.commit()
    assert caps("PAT+anything@example.org") == (3, 1)
    assert caps("someone.else@example.org") == (0, 0)


def test_a_course_counts_once_however_many_sessions_are_to_come(place):
    pat = make_patient(email="course@example.org")
    course = Course(
        patient_id=pat.id,
        service_id=place["service"].id,
        duration_minutes=60,
        sessions=3,
        every_weeks=1,
        created_at=NOW,
    )
    db.session.add(course)
    db.session.commit()
    for n in (1, 2, 3):
        booked(place, pat, 7 * n, course_id=course.id, course_session=n)
    booked(place, pat, 1)  # and one single booking
    db.session.commit()
    assert caps("course@example.org") == (2, 0)


def facts(future: int, holds_now: int) -> _Facts:
    return _Facts(None, None, False, future, holds_now, False)


def test_the_caps_refuse_only_at_their_limits(app):
    policy = shipped_policy()
    under = facts(policy.max_future_per_email - 1, policy.max_holds_per_email - 1)
    _refuse_hold_squatting(under, hold=True, policy=policy)  # room for one more of each
    # Holds only count against a booking that will itself be held.
    _refuse_hold_squatting(facts(0, policy.max_holds_per_email), hold=False, policy=policy)
    for full, hold in (
        (facts(policy.max_future_per_email, 0), False),
        (facts(0, policy.max_holds_per_email), True),
    ):
        with pytest.raises(BookingError) as refused:
            _refuse_hold_squatting(full, hold=hold, policy=policy)
        assert refused.value.reason == "too_many"


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("a@d.org", "a@d.org"),
        ("A+b@D.org", "a@d.org"),
        ("a+b+c@d.org", "A+x@d.org"),
        ("+x@d.org", "+X@d.org"),
        ("a_b@d.org", "a_b+1@d.org"),
        ("50%@d.org", "50%+x@d.org"),
    ],
)
def test_the_database_and_python_agree_on_one_person(app, stored, typed):
    from booking import validation
    from booking.services.bookings.checks import _same_person, same_person_patterns

    assert validation.canonical_email(stored) == validation.canonical_email(typed)
    matches = select(_same_person(literal(stored), None))
    assert db.session.scalar(matches, same_person_patterns(typed)) is True
    others = ("ab@d.org", "a@d.org.uk", "xa+b@d.org")
    for other in others:
        assert validation.canonical_email(other) != validation.canonical_email(typed)
        assert db.session.scalar(select(_same_person(literal(other), typed))) is False


def test_the_facts_count_a_tagged_address_through_the_shared_statement(app, place):
    from booking.services.bookings.common import BookingRequest
    from booking.services.bookings.making import _facts

    make_booking(
        **place,
        patient=make_patient(email="jo@example.org"),
        contact_email="Jo+Spa@Example.org",
        starts_at=NOW + timedelta(days=2),
    )
    db.session.commit()
    for typed in ("jo@example.org", "JO+other@example.org", "jo+spa@example.org"):
        request = BookingRequest(
            service_id=place["service"].id, minutes=60, start=NOW, name="Jo", email=typed,
            phone="1", therapist_id=None,
        )  # fmt: skip
        assert _facts(request, NOW).future == 1
    stranger = BookingRequest(
        service_id=place["service"].id, minutes=60, start=NOW, name="Al",
        email="al@example.org", phone="1", therapist_id=None,
    )  # fmt: skip
    assert _facts(stranger, NOW).future == 0


def _caps_plan(email: str) -> str:
    """PostgreSQL's plan for counting the caps of ``email``."""
    statement = select(_cap_counts(email, NOW)).compile(
        db.session.get_bind(), compile_kwargs={"literal_binds": True}
    )
    return "\n".join(row[0] for row in db.session.execute(text(f"EXPLAIN {statement}")))


def test_on_postgresql_the_caps_use_the_index_of_the_same_expression(app, place):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite's caps use the lower-cased address and a LIKE")
    # Without a sequential scan to fall back on, the plan names the index only if the
    # query's expression is exactly the one the migration indexed.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = _caps_plan("jo@example.org")
    assert "ix_bookings_contact_email_person" in plan
    assert "ix_patients_email_person" in plan


def test_on_postgresql_the_matching_patients_are_found_once_whatever_the_statistics(app, place):
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's planner: SQLite runs an uncorrelated IN once anyway")
    # The test tables have never been analysed, as a new clinic's in its first minute: a
    # join would then match every patient's address against every future booking.
    plan = _caps_plan("jo@example.org")
    assert "InitPlan" in plan and "Nested Loop" not in plan, plan
