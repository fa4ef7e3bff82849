"""A course from any session's manage link: every session, per-session changes, cancel the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, OutboxMessage
from booking.services.clinic_settings import load_policy, use_policy
from tests.services.test_courses import NOW, book
from tests.support.builders import make_room, make_service, make_therapist
from tests.support.screens import fine


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(NOW):
        yield


@pytest.fixture
def course(app):
    service = make_service(durations=((60, 5000),), course_sessions=6, name="Back course")
    therapist = make_therapist(services=[service], name="Amira Hassan")
    make_room()
    result = book(service, therapist, screen=fine())
    return result


def statuses(course) -> list[BookingStatus]:
    db.session.expire_all()
    return [db.session.get(Booking, b.id).status for b in course.bookings]


def test_any_session_page_shows_the_whole_course_with_prices_and_total(client, course):
    page = client.get(f"/manage/{course.manage_token}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Your course: 6 sessions" in text
    for day in ("Thursday 8 October", "Thursday 15 October", "Thursday 12 November"):
        assert day in text
    assert text.count("<td>£50</td>") == 6
    assert "<td>£300</td>" in text  # the course total
    assert "Cancel the rest of the course" in text


def test_a_sessions_own_page_opens_from_the_same_link(client, course):
    third = course.bookings[2]
    page = client.get(f"/manage/{course.manage_token}~3")
    assert page.status_code == 200
    assert "Thursday 22 October 2026, 10:00" in page.get_data(as_text=True)
    # Moving or cancelling it acts on that session only.
    assert client.post(f"/manage/{course.manage_token}~3/cancel").status_code == 303
    assert (
        statuses(course)
        == [BookingStatus.CONFIRMED] * 2 + [BookingStatus.CANCELLED] + [BookingStatus.CONFIRMED] * 3
    )
    assert db.session.get(Booking, third.id).ics_sequence == 1


@pytest.mark.parametrize("suffix", ["~7", "~0", "~x", "~", "~-1", "~001"])
def test_a_session_that_is_not_in_the_course_is_the_same_404(client, course, suffix):
    assert client.get(f"/manage/{course.manage_token}{suffix}").status_code == 404


def test_a_single_bookings_link_opens_no_course_session(client, course, app):
    from tests.services.test_clearance import book as book_single

    service = db.session.get(Booking, course.bookings[0].id).service
    single = book_single(
        service.id,
        course.bookings[0].therapist_id,
        fine(),
        email="other@example.org",
        start=NOW + timedelta(days=2, hours=5),
        now=NOW,
    )
    from booking.services import manage_links

    with app.app_context():
        token = manage_links.mint(single, now=NOW)
        db.session.commit()
    assert client.get(f"/manage/{token}").status_code == 200
    assert client.get(f"/manage/{token}~1").status_code == 404


def test_cancel_the_rest_cancels_every_session_to_come_each_with_its_own_email(client, course):
    page = client.get(f"/manage/{course.manage_token}/course/cancel")
    assert page.status_code == 200 and "Cancel the rest of your course?" in page.get_data(
        as_text=True
    )
    response = client.post(f"/manage/{course.manage_token}/course/cancel")
    assert response.status_code == 303
    assert statuses(course) == [BookingStatus.CANCELLED] * 6
    cancelled = db.session.scalars(
        select(OutboxMessage.booking_id).where(OutboxMessage.kind == "cancelled")
    ).all()
    assert sorted(cancelled) == sorted(b.id for b in course.bookings)
    assert {db.session.get(Booking, b.id).ics_sequence for b in course.bookings} == {1}


def test_cancel_the_rest_leaves_a_session_inside_the_cutoff_and_says_call(client, course):
    first = course.bookings[0]
    with clock.frozen(first.starts_at - timedelta(hours=23)):
        page = client.get(f"/manage/{course.manage_token}/course/cancel").get_data(as_text=True)
        assert "too close to cancel online" in page
        client.post(f"/manage/{course.manage_token}/course/cancel")
        followed = client.get(f"/manage/{course.manage_token}").get_data(as_text=True)
    assert "Please call us about the ones too close" in followed
    assert statuses(course) == [BookingStatus.CONFIRMED] + [BookingStatus.CANCELLED] * 5


def test_cancelling_the_rest_is_one_transaction(client, course, monkeypatch):
    """A failure cancelling the fifth session leaves all six booked."""
    from booking.services import transitions

    real = transitions.apply
    calls = {"n": 0}

    def failing(booking, step, **kwargs):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("the database went away")
        return real(booking, step, **kwargs)

    monkeypatch.setattr(transitions, "apply", failing)
    from booking.services import courses

    with pytest.raises(RuntimeError):
        courses.cancel_rest(course.bookings[0].id, actor=_patient(), now=NOW)
    db.session.rollback()
    assert statuses(course) == [BookingStatus.CONFIRMED] * 6
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "cancelled")
        )
        == 0
    )


def _patient():
    from booking.services.audit import Actor

    return Actor.patient()


def test_a_session_past_the_clearance_says_why_it_is_still_held(client, app):
    from datetime import UTC, datetime

    from booking.services import clearance
    from tests.services.test_course_clearance import statement
    from tests.services.test_courses import wanted
    from tests.support.screens import severe

    service = make_service(durations=((60, 5000),), course_sessions=6)
    therapist = make_therapist(services=[service])
    make_room()
    booked_at = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
    first = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
    result = book(service, therapist, wanted(first), first=first, screen=severe(), now=booked_at)
    app.config["CLEARANCE_VALID_DAYS"] = 28
    use_policy(load_policy())  # the policy is read once per request
    attested_at = result.bookings[3].starts_at - timedelta(days=28)
    clearance.attest(result.bookings[0].id, statement(), actor=_patient(), now=attested_at)
    with clock.frozen(attested_at + timedelta(hours=1)):
        page = client.get(f"/manage/{result.manage_token}~4").get_data(as_text=True)
        course_page = client.get(f"/manage/{result.manage_token}").get_data(as_text=True)
    why = "Your clearance runs out on Thursday 5 November 2026; send a new one before this session."
    assert why in page
    assert course_page.count(why) == 3  # sessions 4, 5 and 6 in the course's table


def test_one_courses_link_never_opens_another_courses_session(client, course):
    service = db.session.get(Booking, course.bookings[0].id).service
    therapist = db.session.get(Booking, course.bookings[0].id).therapist
    from tests.services.test_courses import FIRST, wanted

    later = FIRST + timedelta(hours=3)
    other = book(service, therapist, wanted(later), first=later, email="other@example.org")
    page = client.get(f"/manage/{course.manage_token}~2").get_data(as_text=True)
    assert course.bookings[1].public_id[:8].upper() in page
    assert other.bookings[1].public_id[:8].upper() not in page
    client.post(f"/manage/{course.manage_token}~2/cancel")
    assert db.session.get(Booking, other.bookings[1].id).status is BookingStatus.CONFIRMED


def test_a_single_booking_has_no_rest_to_cancel(client, course, app):
    from booking.services import manage_links
    from tests.services.test_clearance import book as book_single

    first = db.session.get(Booking, course.bookings[0].id)
    single = book_single(
        first.service_id,
        first.therapist_id,
        fine(),
        email="other@example.org",
        start=NOW + timedelta(days=2, hours=5),
        now=NOW,
    )
    token = manage_links.mint(single, now=NOW)
    db.session.commit()
    assert client.get(f"/manage/{token}/course/cancel").status_code == 409
    assert client.post(f"/manage/{token}/course/cancel").status_code == 409
    assert db.session.get(Booking, single.id).status is BookingStatus.CONFIRMED
