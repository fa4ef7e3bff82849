"""A patient books a course online, with JavaScript off: choose, plan, accept, book, done."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingDraft, BookingStatus, Closure, Course, Room, Service
from tests.support.builders import make_booking
from tests.support.database import DEFAULT_NOW
from tests.support.flows import DETAILS, FORM_KEY_RE, MANAGE_RE, answer_screen, offered_starts
from tests.support.screens import severe

LONDON = ZoneInfo("Europe/London")
OPTION = "therapeutic-back-massage:60"  # 6 sessions in the demo, £58 each


@pytest.fixture(autouse=True)
def frozen_clock():
    with clock.frozen(DEFAULT_NOW):
        yield


@pytest.fixture
def service(demo) -> Service:
    return db.session.scalar(select(Service).where(Service.slug == "therapeutic-back-massage"))


@pytest.fixture
def therapist(service):
    return service.therapists[0]


def course_bookings() -> list[Booking]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Booking).where(Booking.course_id.is_not(None)).order_by(Booking.course_session)
        )
    )


def start_course(client, *, every="1", therapist="", screen=None, pick=0) -> datetime:
    """Choose a course, answer the screen, pick the first time; return that time."""
    response = client.post(
        "/book/",
        data={"option": OPTION, "therapist": therapist, "kind": "course", "every_weeks": every},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    assert answer_screen(client, screen).status_code == 303
    start = offered_starts(client)[pick]
    response = client.post("/book/time", data={"start": start})
    assert response.status_code == 303 and response.location.endswith("/book/course")
    return datetime.fromisoformat(start)


def wanted(first: datetime, every: int = 1, n: int = 6) -> list[datetime]:
    from booking.scheduling.courses import wanted_starts

    return wanted_starts(first, every_weeks=every, sessions=n, tz=LONDON)


def to_review(client, plan=None) -> str:
    """Accept the plan (``plan``: what the plan form posts), give details; return the form key."""
    response = client.post("/book/course", data=plan or {})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert client.post("/book/details", data=DETAILS).status_code == 303
    page = client.get("/book/review").get_data(as_text=True)
    return FORM_KEY_RE.search(page).group(1)


def radios(page: str, name: str) -> list[tuple[str, bool]]:
    """The (value, checked) of each radio button called ``name`` on ``page``."""
    found = []
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', page):
        found.append((html.unescape(re.search(r'value="([^"]*)"', tag).group(1)), "checked" in tag))
    return found


def book(client, key):
    return client.post("/book/review", data={"form_key": key})


def block(service, therapist, starts_at):
    """Another patient's booking with ``therapist`` at ``starts_at``."""
    room = db.session.scalars(select(Room).order_by(Room.id)).first()
    return make_booking(starts_at=starts_at, service=service, therapist=therapist, room=room)


def test_the_treatment_step_explains_a_course_and_its_price(client, demo):
    page = client.get("/book/").get_data(as_text=True)
    assert "A course of sessions" in page and "A single session" in page
    assert "60 minutes, £58 a session; a course of 6: £348" in page
    assert "the same weekday and time as the first" in page
    assert radios(page, "kind") == [("single", True), ("course", False)]
    assert radios(page, "every_weeks") == [("1", True), ("2", False), ("3", False), ("4", False)]


def test_a_weekly_course_is_booked_at_the_same_local_time_across_the_clock_change(client, service):
    first = start_course(client)
    page = client.get("/book/course").get_data(as_text=True)
    assert page.count("course-session") >= 6 and page.count(">Free<") == 6
    local = first.astimezone(LONDON).strftime("%H:%M")
    for when in wanted(first):
        assert when.astimezone(LONDON).strftime(f"%a %-d %b %Y, {local}") in page
    key = to_review(client)
    review = client.get("/book/review").get_data(as_text=True)
    assert "Check your course" in review and "£58 a session; £348 for the course" in review
    response = book(client, key)
    assert response.status_code == 303 and "/book/course/done/" in response.location
    done = client.get(response.location).get_data(as_text=True)
    booked = course_bookings()
    assert [b.course_session for b in booked] == [1, 2, 3, 4, 5, 6]
    assert {b.status for b in booked} == {BookingStatus.CONFIRMED}
    assert [b.starts_at for b in booked] == wanted(first)
    # The clocks go forward on 28 March 2027: the same wall time, a different UTC hour.
    assert {b.starts_at.astimezone(LONDON).strftime("%H:%M") for b in booked} == {local}
    assert len({b.starts_at.astimezone(ZoneInfo("UTC")).hour for b in booked}) == 2
    assert "Your course is booked" in done and "£58 a session; £348 for the course" in done
    assert done.count("Confirmed") == 6
    manage = MANAGE_RE.search(done).group(1)
    assert client.get(manage).status_code == 200
    course = db.session.scalar(select(Course))
    assert (course.sessions, course.every_weeks, course.form_key) == (6, 1, key)


def test_a_course_every_three_weeks_plans_its_sessions_three_weeks_apart(client, service):
    first = start_course(client, every="3")
    key = to_review(client)
    assert book(client, key).status_code == 303
    assert [b.starts_at for b in course_bookings()] == wanted(first, every=3)


def test_a_taken_week_offers_the_nearest_time_and_books_only_once_accepted(
    client, service, therapist
):
    first = start_course(client, therapist=therapist.slug)
    third = wanted(first)[2]
    block(service, therapist, third)
    page = client.get("/book/course").get_data(as_text=True)
    assert "Moved to the nearest free time" in page and page.count(">Free<") == 5
    assert (
        third.astimezone(LONDON).strftime("Your usual time, %A %-d %B, %H:%M, is not free") in page
    )
    offered = [value for value, _ in radios(page, "session_3")]
    assert radios(page, "session_3")[0][1]  # the nearest, until the patient picks another
    assert len(offered) >= 2
    # Without the tick nothing is kept: the details step sends the patient back.
    refused = client.post("/book/course", data={"session_3": offered[1]})
    assert refused.status_code == 400
    assert "Please tick the box to accept the changed times" in refused.get_data(as_text=True)
    assert client.get("/book/details").location.endswith("/book/course")
    key = to_review(client, {"session_3": offered[1], "accept": "y"})
    assert book(client, key).status_code == 303
    booked = course_bookings()
    assert booked[2].starts_at == datetime.fromisoformat(offered[1])
    assert [b.starts_at for i, b in enumerate(booked) if i != 2] == [
        w for i, w in enumerate(wanted(first)) if i != 2
    ]


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2027-01-01T10:00:00+00:00",
        "not a time",
        "\x00",
        "x" * 5000,
        "2099-01-01T09:00:00+00:00",
    ],
)
def test_a_moved_session_accepts_only_a_time_of_its_week(client, service, therapist, value):
    first = start_course(client, therapist=therapist.slug)
    block(service, therapist, wanted(first)[2])
    response = client.post("/book/course", data={"session_3": value, "accept": "y"})
    assert response.status_code == 400
    assert "choose one of the times shown" in response.get_data(as_text=True)
    assert client.get("/book/details").location.endswith("/book/course")


def test_a_week_without_any_time_is_said_and_nothing_can_be_booked(client, service):
    first = start_course(client)
    fourth = wanted(first)[3]
    db.session.add(
        Closure(
            starts_at=fourth - timedelta(days=4), ends_at=fourth + timedelta(days=4), reason="Works"
        )
    )
    db.session.commit()
    page = client.get("/book/course")
    text = page.get_data(as_text=True)
    assert "No time that week" in text
    assert "There is no free time in the week of session 4. Nothing is booked." in text
    assert "Choose a different first time" in text and "Change how often" in text
    assert 'type="submit"' not in text.split("course-sessions", 1)[1]
    assert client.post("/book/course", data={"accept": "y"}).status_code == 400
    assert client.get("/book/details").location.endswith("/book/course")


def test_a_time_taken_before_the_submit_books_nothing_and_shows_the_fresh_plan(
    client, service, therapist
):
    first = start_course(client, therapist=therapist.slug)
    key = to_review(client)
    block(service, therapist, wanted(first)[1])
    response = book(client, key)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "some times of the course were just taken (session 2)" in page
    assert "Nothing is booked" in page
    assert "Moved to the nearest free time" in page and "(its time was just taken)" in page
    assert course_bookings() == []
    # The old key books nothing now; accepting the fresh plan and booking again does.
    assert book(client, key).status_code == 303 and course_bookings() == []
    nearest = next(value for value, checked in radios(page, "session_2") if checked)
    response = client.post("/book/course", data={"session_2": nearest, "accept": "y"})
    assert response.status_code == 303 and response.location.endswith("/book/review")
    new_key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    assert new_key != key
    assert book(client, new_key).status_code == 303
    assert len(course_bookings()) == 6


def test_resubmitting_the_form_key_returns_the_same_course(client, service):
    start_course(client)
    key = to_review(client)
    first = book(client, key)
    second = book(client, key)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(course_bookings()) == 6
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1
    done = client.get(second.location)
    assert done.status_code == 200 and MANAGE_RE.search(done.get_data(as_text=True))


def test_a_service_that_stops_offering_courses_books_nothing(client, service):
    start_course(client)
    key = to_review(client)
    service.course_sessions = 0
    db.session.commit()
    response = book(client, key)
    assert response.status_code == 303 and response.location.endswith("/book/")
    page = client.get("/book/").get_data(as_text=True)
    assert "Therapeutic back massage is no longer offered as a course. Nothing is booked" in page
    assert course_bookings() == []


def test_a_course_that_changed_size_is_planned_again(client, service):
    start_course(client)
    key = to_review(client)
    service.course_sessions = 4
    db.session.commit()
    response = book(client, key)
    assert response.status_code == 303 and response.location.endswith("/book/course")
    assert course_bookings() == []
    assert client.get("/book/course").get_data(as_text=True).count(">Free<") == 4


@pytest.mark.parametrize("every", [0, 5, "2", True, None, [1]])
def test_a_draft_with_a_cadence_outside_one_to_four_weeks_books_nothing(client, service, every):
    start_course(client)
    key = to_review(client)
    draft = db.session.scalar(select(BookingDraft))
    draft.data = {**draft.data, "course": {"every_weeks": every}}
    flag_modified(draft, "data")  # True == 1: without it, no change would be seen
    db.session.commit()
    response = book(client, key)
    assert response.status_code == 303 and response.location.endswith("/book/")
    if every is not None:
        assert "every 1, 2, 3 or 4 weeks" in client.get("/book/").get_data(as_text=True)
    assert course_bookings() == []


@pytest.mark.parametrize(
    "data, message",
    [
        (
            {"option": "swedish-massage:60", "kind": "course"},
            "offered as a course. Choose a single",
        ),
        ({"option": OPTION, "kind": "course", "every_weeks": "5"}, "Not a valid choice"),
        ({"option": OPTION, "kind": "course", "every_weeks": "weekly"}, "Not a valid choice"),
        ({"option": OPTION, "kind": "three"}, "Not a valid choice"),
    ],
)
def test_the_treatment_step_refuses_a_course_it_cannot_book(client, demo, data, message):
    response = client.post("/book/", data={"therapist": "", **data})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert client.get("/book/time").location.endswith("/book/")


def test_the_first_time_of_a_course_offers_no_waitlist_for_one_time(client, demo):
    client.post("/book/", data={"option": OPTION, "therapist": "", "kind": "course"})
    assert answer_screen(client).status_code == 303
    page = client.get("/book/time").get_data(as_text=True)
    assert (
        "Choose the first session&#39;s time" in page or "Choose the first session's time" in page
    )
    assert "A course of 6 sessions" in page and "every week" in page
    assert "Tell me if a time comes up" not in page and "plan the course with you" in page


def test_a_single_session_of_a_course_treatment_skips_the_plan(client, demo):
    response = client.post("/book/", data={"option": OPTION, "therapist": "", "kind": "single"})
    assert response.status_code == 303
    assert answer_screen(client).status_code == 303
    response = client.post("/book/time", data={"start": offered_starts(client)[0]})
    assert response.location.endswith("/book/details")
    assert client.get("/book/course").location.endswith("/book/time")


def test_a_held_course_holds_every_session_and_says_it_waits_for_clearance(client, service):
    first = start_course(client, screen=severe())
    # The first session leaves the working day needed to get cleared.
    assert first - DEFAULT_NOW >= timedelta(hours=24)
    plan = client.get("/book/course").get_data(as_text=True)
    assert "every session will be held" in plan and "call 999" in plan.lower()
    key = to_review(client)
    assert "Reserve these 6 sessions" in client.get("/book/review").get_data(as_text=True)
    response = book(client, key)
    done = client.get(response.location).get_data(as_text=True)
    booked = course_bookings()
    assert {b.status for b in booked} == {BookingStatus.HELD}
    assert "Your course is reserved" in done and "not confirmed yet" in done
    assert "One clearance covers the whole course" in done
    assert done.count(">Held<") == 6
    assert MANAGE_RE.search(done) and "Send your clearance" in done


def test_only_the_browser_that_booked_sees_the_course_done_page(client, app, service):
    start_course(client)
    response = book(client, to_review(client))
    assert client.get(response.location).status_code == 200
    assert app.test_client().get(response.location).status_code == 404
    assert client.get("/book/course/done/" + "0" * 32).status_code == 404


def test_an_unknown_outcome_is_said_honestly_and_the_retry_returns_the_course(
    client, service, monkeypatch
):
    from booking.services import courses
    from booking.services.bookings.common import UNKNOWN_MESSAGE
    from booking.services.locking import OutcomeUnknown
    from booking.web.booking_flow import course_review

    real = courses.book_course

    def commit_then_lose_the_answer(*args, **kwargs):
        real(*args, **kwargs)
        raise OutcomeUnknown(UNKNOWN_MESSAGE)

    start_course(client)
    key = to_review(client)
    monkeypatch.setattr(course_review.courses, "book_course", commit_then_lose_the_answer)
    lost = book(client, key)
    assert lost.status_code == 503
    assert "you will not be booked twice" in lost.get_data(as_text=True)
    monkeypatch.setattr(course_review.courses, "book_course", real)
    retry = book(client, key)
    assert retry.status_code == 303 and "/book/course/done/" in retry.location
    assert len(course_bookings()) == 6
    assert client.get(retry.location).status_code == 200


def test_the_course_steps_answer_hostile_posts_without_a_server_error(client, service):
    assert client.get("/book/course").location.endswith("/book/")
    start_course(client)
    for data in (
        {"session_99": "x", "accept": "\x00"},
        {"session_1": "2027-03-10T11:00:00+00:00", "accept": ["y", "n"]},
        {"csrf_token": "<script>", "accept": "y" * 10_000},
    ):
        assert client.post("/book/course", data=data).status_code in (303, 400)
    key = to_review(client)
    for form_key in ("", "<script>", "a" * 65, key[:-1] + "!", "\x00" * 20):
        assert client.post("/book/review", data={"form_key": form_key}).status_code == 400
    assert course_bookings() == []
    assert client.get("/book/course/done/<script>").status_code == 404


def test_a_patient_at_the_online_cap_is_told_to_call_and_nothing_is_booked(client, app, service):
    app.config["BOOKING_MAX_FUTURE_PER_EMAIL"] = 1
    start_course(client)
    assert book(client, to_review(client)).status_code == 303  # a course counts as one
    assert len(course_bookings()) == 6
    start_course(client, pick=5)
    response = book(client, to_review(client))
    assert response.status_code == 303
    page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert "as many appointments booked with us as we can take online" in page
    assert len(course_bookings()) == 6
