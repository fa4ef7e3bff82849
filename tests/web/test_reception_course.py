"""Reception books a caller's course: the weekly plan with alternatives, then every session."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingStatus, Course, OutboxMessage
from booking.scheduling.courses import wanted_starts
from tests.web import test_reception_actions as actions_tests
from tests.web.test_reception_actions import TOMORROW_10, booking_for, caller

clinic = actions_tests.clinic
desk = actions_tests.desk
frozen = actions_tests.frozen


@pytest.fixture
def course_clinic(clinic):
    clinic["service"].course_sessions = 4
    db.session.commit()
    return clinic


def plan_page(client, clinic, **args):
    query = {
        "option": f"{clinic['service'].slug}:60",
        "therapist": str(clinic["therapist"].id),
        "start": TOMORROW_10.isoformat(),
        "course_every": "1",
        **args,
    }
    return client.get("/reception/book", query_string=query)


def test_the_plan_shows_each_week_and_the_nearest_time_where_one_is_taken(course_clinic, desk):
    client, _ = desk
    booking_for(course_clinic, starts_at=TOMORROW_10 + timedelta(weeks=2))
    page = plan_page(client, course_clinic)
    assert page.status_code == 200
    assert "The course: 4 sessions, every week" in page.text
    assert page.text.count('<span class="tag">not free</span>') == 1
    # The third week's nearest time is ticked (11:15: the other booking and its buffer).
    third = (TOMORROW_10 + timedelta(weeks=2, hours=1, minutes=15)).isoformat()
    assert re.search(rf'name="session_3" value="{re.escape(third)}@\d+" checked', page.text)
    assert "Course total" in page.text and "£200" in page.text


def test_reception_books_the_course_with_the_alternative_ticked(course_clinic, desk):
    client, _ = desk
    booking_for(course_clinic, starts_at=TOMORROW_10 + timedelta(weeks=2))
    therapist = course_clinic["therapist"].id
    later = (TOMORROW_10 + timedelta(weeks=2, hours=3)).isoformat()
    response = client.post(
        "/reception/book",
        data=caller(
            course_clinic,
            therapist=str(therapist),
            course_every="1",
            session_3=f"{later}@{therapist}",
        ),
    )
    assert response.status_code == 303, response.text
    course = db.session.scalar(select(Course))
    sessions = db.session.scalars(
        select(Booking).where(Booking.course_id == course.id).order_by(Booking.course_session)
    ).all()
    assert [b.starts_at for b in sessions] == [
        TOMORROW_10,
        TOMORROW_10 + timedelta(weeks=1),
        TOMORROW_10 + timedelta(weeks=2, hours=3),
        # 10:00 in London after the clocks went forward on 28 March: 09:00 UTC.
        TOMORROW_10 + timedelta(weeks=3, hours=-1),
    ]
    assert {b.status for b in sessions} == {BookingStatus.CONFIRMED}
    assert [m.kind for m in db.session.scalars(select(OutboxMessage))] == ["course_booked"]
    page = client.get(response.location).text
    assert "Course booked: 4 sessions" in page
    assert "Session 1 of 4:" in page  # the booking page links every session of the course
    for session in sessions:
        assert f"/reception/bookings/{session.public_id}" in page


def test_a_week_taken_meanwhile_books_nothing_and_shows_the_plan_again(course_clinic, desk):
    client, _ = desk
    therapist = course_clinic["therapist"].id
    page = plan_page(client, course_clinic)
    assert "not free" not in page.text
    booking_for(course_clinic, starts_at=TOMORROW_10 + timedelta(weeks=1))  # taken meanwhile
    starts = wanted_starts(TOMORROW_10, every_weeks=1, sessions=4, tz=ZoneInfo("Europe/London"))
    ticked = {f"session_{n}": f"{s.isoformat()}@{therapist}" for n, s in enumerate(starts, 1)}
    response = client.post(
        "/reception/book",
        data=caller(course_clinic, therapist=str(therapist), course_every="1", **ticked),
    )
    assert response.status_code == 409
    assert "some times of the course were just taken (session 2)" in response.text
    assert '<span class="tag">not free</span>' in response.text
    assert db.session.scalar(select(Course)) is None


def test_a_treatment_without_courses_books_one_session(clinic, desk):
    client, _ = desk
    page = plan_page(client, clinic)
    assert "not offered as a course" in page.text
    assert "The course:" not in page.text


def book_course_at_desk(client, clinic):
    therapist = clinic["therapist"].id
    response = client.post(
        "/reception/book",
        data=caller(clinic, therapist=str(therapist), course_every="1"),
    )
    assert response.status_code == 303, response.text
    return db.session.scalars(
        select(Booking).where(Booking.course_id.is_not(None)).order_by(Booking.course_session)
    ).all()


def test_reception_cancels_the_rest_of_a_course_from_a_session_in_one_step(course_clinic, desk):
    client, _ = desk
    sessions = book_course_at_desk(client, course_clinic)
    second = sessions[1]
    page = client.get(f"/reception/bookings/{second.public_id}").text
    assert "Cancel the rest of the course" in page
    url = f"/reception/bookings/{second.public_id}/course/cancel"

    refused = client.post(url, data={})  # the confirmation box left unticked
    assert refused.status_code == 400 and "Tick to confirm" in refused.text
    db.session.expire_all()
    assert {b.status for b in sessions} == {BookingStatus.CONFIRMED}

    response = client.post(url, data={"confirm": "y"})
    assert response.status_code == 303, response.text
    db.session.expire_all()
    # Every session still to come is cancelled, the one whose page it was included.
    assert {b.status for b in sessions} == {BookingStatus.CANCELLED}


def test_a_single_booking_has_no_course_to_cancel(course_clinic, desk):
    client, _ = desk
    single = booking_for(course_clinic, starts_at=TOMORROW_10)
    assert (
        "Cancel the rest of the course"
        not in client.get(f"/reception/bookings/{single.public_id}").text
    )
    response = client.post(
        f"/reception/bookings/{single.public_id}/course/cancel", data={"confirm": "y"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert single.status is not BookingStatus.CANCELLED
