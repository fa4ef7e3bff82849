"""Booking a course: every session in one transaction, or none, with the rules of one booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Booking, BookingSource, BookingStatus, Clearance, Course
from booking.services import bookings, courses
from booking.services.audit import Actor
from booking.services.clinic_settings import load_policy, use_policy
from booking.services.errors import BookingError
from tests.support.builders import make_booking, make_room, make_service, make_therapist
from tests.support.screens import fine, severe

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 10, 5, 8, 0, tzinfo=UTC)  # Monday
# Thursday 8 October 2026, 10:00 BST; the clocks go back on Sunday 25 October.
FIRST = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)


@pytest.fixture
def clinic(app):
    service = make_service(durations=((60, 5000),), course_sessions=6)
    therapist = make_therapist(services=[service])
    make_room()
    return service, therapist


def weekly(first=FIRST, n=6, every=1):
    return [
        (first.astimezone(LONDON) + timedelta(weeks=every * i)).replace(tzinfo=None)
        for i in range(n)
    ]


def wanted(first=FIRST, n=6, every=1):
    from booking.scheduling.courses import wanted_starts

    return wanted_starts(first, every_weeks=every, sessions=n, tz=LONDON)


def request(
    service,
    therapist,
    starts=None,
    *,
    screen=None,
    email="pat@example.org",
    key=None,
    every=1,
    first=FIRST,
    source=BookingSource.ONLINE,
):
    starts = tuple(starts if starts is not None else wanted(first, every=every))
    return courses.CourseRequest(
        booking=bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=first,
            therapist_id=therapist.id if therapist is not None else None,
            name="Pat Smith",
            email=email,
            phone="+447700900123",
            screen=screen or fine(),
            form_key=key,
            source=source,
        ),
        every_weeks=every,
        starts=starts,
    )


def book(*args, now=NOW, **kwargs):
    return courses.book_course(request(*args, **kwargs), actor=Actor.patient(), now=now)


def course_bookings() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Booking).where(Booking.course_id.is_not(None))
    )


def local(instant):
    return instant.astimezone(LONDON).strftime("%a %d %b %H:%M")


def test_a_course_books_every_session_at_ten_local_across_the_clock_change(clinic):
    service, therapist = clinic
    result = book(service, therapist)
    assert result.created and result.manage_token
    sessions = result.bookings
    assert [b.course_session for b in sessions] == [1, 2, 3, 4, 5, 6]
    assert [local(b.starts_at) for b in sessions] == [
        "Thu 08 Oct 10:00",
        "Thu 15 Oct 10:00",
        "Thu 22 Oct 10:00",
        "Thu 29 Oct 10:00",
        "Thu 05 Nov 10:00",
        "Thu 12 Nov 10:00",
    ]
    assert [b.starts_at.hour for b in sessions] == [9, 9, 9, 10, 10, 10]  # UTC
    assert {b.status for b in sessions} == {BookingStatus.CONFIRMED}
    assert {b.therapist_id for b in sessions} == {therapist.id}
    assert {b.course_id for b in sessions} == {result.course.id}
    course = db.session.get(Course, result.course.id)
    assert (course.sessions, course.every_weeks, course.duration_minutes) == (6, 1, 60)
    assert course.patient_id == sessions[0].patient_id
    # The one manage link opens the first session.
    assert bookings.find_by_token(result.manage_token).id == sessions[0].id


def test_later_sessions_may_lie_past_the_booking_horizon(clinic, app):
    service, therapist = clinic
    app.config["BOOKING_HORIZON_DAYS"] = 30
    use_policy(load_policy())  # the policy is read once per request
    result = book(service, therapist, every=4, starts=wanted(every=4))
    assert local(result.bookings[-1].starts_at) == "Thu 25 Feb 10:00"
    with pytest.raises(BookingError) as refused:  # the first session still may not
        book(
            service,
            therapist,
            first=FIRST + timedelta(weeks=5),
            starts=wanted(FIRST + timedelta(weeks=5)),
            email="other@example.org",
        )
    assert refused.value.reason == "taken"


def test_the_plan_shows_which_weeks_are_free_and_the_nearest_time_in_the_others(clinic):
    service, therapist = clinic
    third = wanted()[2]
    make_booking(starts_at=third, service=service, therapist=therapist, room=None)
    plan = courses.plan(service, 60, FIRST, every_weeks=1, now=NOW, therapist_id=therapist.id)
    assert [s.free for s in plan.sessions] == [True, True, False, True, True, True]
    moved = plan.sessions[2]
    assert moved.slot is not None and moved.therapist_id == therapist.id
    # Nearest free: 11:15 that Thursday (the other booking and its buffer end then) or
    # 08:45 is outside hours, so the same day later.
    assert local(moved.slot.start) == "Thu 22 Oct 11:15"
    assert moved.alternatives[0] == moved.slot


def test_a_taken_week_books_no_session_and_names_it_with_fresh_alternatives(clinic):
    service, therapist = clinic
    starts = wanted()
    make_booking(starts_at=starts[3], service=service, therapist=therapist)
    with pytest.raises(courses.CourseTaken) as refused:
        book(service, therapist, starts)
    assert refused.value.reason == "taken"
    assert refused.value.sessions == [4]
    assert course_bookings() == 0
    assert db.session.scalar(select(func.count()).select_from(Course)) == 0
    fresh = refused.value.plan
    assert not fresh.sessions[3].free
    # The patient accepts the alternative for that week: now every session is booked.
    accepted = list(starts)
    accepted[3] = fresh.sessions[3].slot.start
    result = book(service, therapist, accepted)
    assert [b.starts_at for b in result.bookings] == accepted
    assert course_bookings() == 6


def test_a_replayed_form_returns_the_same_course(clinic):
    service, therapist = clinic
    first = book(service, therapist, key="k" * 32)
    again = book(service, therapist, key="k" * 32)
    assert not again.created and again.manage_token is None
    assert again.course.id == first.course.id
    assert [b.id for b in again.bookings] == [b.id for b in first.bookings]
    assert course_bookings() == 6


def test_a_severe_pain_course_is_held_as_a_whole(clinic):
    service, therapist = clinic
    result = book(service, therapist, screen=severe())
    assert {b.status for b in result.bookings} == {BookingStatus.HELD}
    assert all(b.hold_expires_at <= NOW + timedelta(hours=48) for b in result.bookings)


def test_the_online_caps_count_a_course_as_one_booking(clinic, app):
    service, therapist = clinic
    app.config["BOOKING_MAX_FUTURE_PER_EMAIL"] = 2
    use_policy(load_policy())  # the policy is read once per request
    book(service, therapist)
    # Six sessions to come, yet one booking more is within a cap of two.
    single = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=FIRST + timedelta(days=1),
            therapist_id=therapist.id,
            name="Pat Smith",
            email="pat@example.org",
            phone="+447700900123",
            screen=fine(),
        ),
        actor=Actor.patient(),
        now=NOW,
    )
    assert single.created
    with pytest.raises(BookingError) as refused:
        book(
            service,
            therapist,
            starts=wanted(FIRST + timedelta(hours=2)),
            first=FIRST + timedelta(hours=2),
        )
    assert refused.value.reason == "too_many"


def test_a_clearance_covers_the_sessions_that_start_before_it_runs_out(clinic, app):
    service, therapist = clinic
    starts = wanted()
    clearance = _clearance_for("pat@example.org", service, therapist)
    # Valid until exactly the fourth session's start: the fourth is no longer covered.
    clearance.valid_until = starts[3]
    db.session.commit()
    result = book(service, therapist, starts, screen=severe())
    statuses = [b.status for b in result.bookings]
    assert statuses == [BookingStatus.CONFIRMED] * 3 + [BookingStatus.HELD] * 3
    before = timedelta(hours=app.config["HOLD_HOURS_BEFORE_START"])
    # Held until shortly before each one's own start, not 48 hours after booking.
    assert [b.hold_expires_at for b in result.bookings[3:]] == [s - before for s in starts[3:]]


def test_the_number_of_sessions_is_the_services_setting(clinic):
    service, therapist = clinic
    with pytest.raises(BookingError) as refused:
        book(service, therapist, wanted(n=4))
    assert refused.value.reason == "invalid" and refused.value.field == "starts"
    no_course = make_service(durations=((60, 5000),))
    therapist.services.append(no_course)
    db.session.commit()
    with pytest.raises(BookingError) as refused:
        book(no_course, therapist)
    assert refused.value.reason == "no_course"
    assert course_bookings() == 0


def test_a_session_outside_its_week_is_refused(clinic):
    service, therapist = clinic
    starts = wanted()
    starts[2] = starts[2] + timedelta(days=4)
    with pytest.raises(BookingError) as refused:
        book(service, therapist, starts)
    assert refused.value.reason == "invalid" and "Session 3" in refused.value.message


def test_reception_books_a_course_for_a_caller_without_email(clinic):
    service, therapist = clinic
    result = book(service, therapist, email="", source=BookingSource.RECEPTION)
    assert len(result.bookings) == 6


def _clearance_for(email, service, therapist) -> Clearance:
    """A clearance recorded for an earlier held booking of the patient with ``email``."""
    from booking.models import ClearanceOutcome, ClinicianKind
    from booking.services import clearance

    held = bookings.book(
        bookings.BookingRequest(
            service_id=service.id,
            minutes=60,
            start=datetime(2026, 10, 7, 13, 0, tzinfo=UTC),
            therapist_id=therapist.id,
            name="Pat Smith",
            email=email,
            phone="+447700900123",
            screen=severe(),
        ),
        actor=Actor.patient(),
        now=NOW,
    ).booking
    result = clearance.attest(
        held.id,
        clearance.ClearanceStatement(
            outcome=ClearanceOutcome.CLEARED,
            clinician_name="Dr Jones",
            clinician_kind=ClinicianKind.GP,
            consultation_date=NOW.date(),
            truthful=True,
        ),
        actor=Actor.patient(),
        now=NOW,
    )
    return result.clearance


@pytest.mark.committed
def test_two_courses_racing_for_the_same_weeks_one_gets_them(app):
    from tests.support.races import race

    service = make_service(durations=((60, 5000),), course_sessions=6)
    therapist = make_therapist(services=[service])
    make_room()
    make_room()  # rooms to spare: only the therapist is contested
    db.session.commit()
    service_id, therapist_id = service.id, therapist.id
    db.session.remove()

    def work(i):
        courses.book_course(
            courses.CourseRequest(
                booking=bookings.BookingRequest(
                    service_id=service_id,
                    minutes=60,
                    start=FIRST,
                    therapist_id=therapist_id,
                    name=f"Patient {i}",
                    email=f"racer{i}@example.org",
                    phone="+447700900123",
                    screen=fine(),
                ),
                every_weeks=1,
                starts=tuple(wanted()),
            ),
            actor=Actor.patient(),
            now=NOW,
        )

    outcomes = race(app, work, 2)
    assert outcomes == {"ok": 1, "taken": 1}
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    assert course_bookings() == 6


def test_the_policy_given_is_the_one_applied(clinic):
    from dataclasses import replace

    from booking.services.clinic_settings import current_policy

    service, therapist = clinic
    starts = wanted()
    clearance = _clearance_for("pat@example.org", service, therapist)
    clearance.valid_until = starts[3]
    db.session.commit()
    policy = replace(current_policy(), hold_hours_before_start=48)
    result = courses.book_course(
        request(service, therapist, starts, screen=severe()),
        actor=Actor.patient(),
        now=NOW,
        policy=policy,
    )
    assert [b.hold_expires_at for b in result.bookings[3:]] == [
        s - timedelta(hours=48) for s in starts[3:]
    ]


def test_a_patients_export_lists_their_course_and_each_sessions_place_in_it(clinic):
    from booking.services import privacy

    service, therapist = clinic
    result = book(service, therapist)
    data = privacy.export_patient(result.course.patient_id, actor=Actor.system(), now=NOW)
    (course,) = data["courses"]
    assert course["reference"] == result.course.public_id
    assert (course["sessions"], course["every_weeks"], course["minutes"]) == (6, 1, 60)
    assert course["bookings"] == [b.public_id for b in result.bookings]
    by_reference = {b["reference"]: b["course_session"] for b in data["bookings"]}
    assert [by_reference[b.public_id] for b in result.bookings] == [1, 2, 3, 4, 5, 6]
