"""What every step of the flow reads from the draft, and the gates it passes first.

The draft holds what the patient chose and answered so far; each step checks again that
it still fits (a service retired, a screen answered under older rules) rather than trust
what an earlier step saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, url_for

from booking import clock
from booking.intake import Assessment, ScreenAnswers, ScreenError, assess, parse_answers
from booking.models import BookingSource, Service
from booking.services import availability, bookings, catalog, screening
from booking.web import picker


@dataclass(frozen=True)
class Step:
    endpoint: str
    title: str


STEPS = (
    Step("book.choose", "Treatment"),
    Step("book.health", "Health questions"),
    Step("book.time", "Time"),
    Step("book.details", "Your details"),
    Step("book.review", "Check and book"),
)


def step_info(endpoint: str) -> dict:
    number = next(i for i, step in enumerate(STEPS, 1) if step.endpoint == endpoint)
    return {"number": number, "total": len(STEPS), "title": STEPS[number - 1].title}


@dataclass(frozen=True)
class Choice:
    service: Service
    minutes: int
    therapist_id: int | None
    therapist_name: str | None


def chosen(data: dict) -> Choice | None:
    """Return the draft's treatment choice if it is still bookable, else None."""
    service = catalog.service_by_slug(data.get("service", ""))
    minutes = data.get("minutes")
    if service is None or not isinstance(minutes, int) or service.duration(minutes) is None:
        return None
    therapist_slug = data.get("therapist") or ""
    therapist = catalog.therapist_by_slug(therapist_slug) if therapist_slug else None
    if therapist_slug and (therapist is None or therapist not in service.therapists):
        return None
    return Choice(
        service, minutes, therapist.id if therapist else None, therapist.name if therapist else None
    )


def booking_request(
    data: dict, choice: Choice, start: datetime, details: dict
) -> bookings.BookingRequest:
    """The booking the draft asks for, as the review step submits it (one session, or the
    first of a course, whose ``start`` sets its weekday and time)."""
    return bookings.BookingRequest(
        service_id=choice.service.id,
        minutes=choice.minutes,
        start=start,
        therapist_id=choice.therapist_id,
        name=details["name"],
        email=details["email"],
        phone=details["phone"],
        note=details.get("note", ""),
        over_18=details.get("over_18", True),
        form_key=data["form_key"],
        source=BookingSource.ONLINE,
        screen=screen(data),
    )


def screen(data: dict) -> ScreenAnswers | None:
    """Return the draft's screen answers (validated again), or None if not answered."""
    try:
        return parse_answers(data["screen"]) if data.get("screen") else None
    except ScreenError:
        return None


def assessment(data: dict) -> Assessment | None:
    answers = screen(data)
    return assess(answers, screening.settings()) if answers is not None else None


def hold_bound(data: dict, now: datetime) -> datetime | None:
    """A booking the screen will hold must leave time to obtain clearance."""
    found = assessment(data)
    held = found is not None and found.needs_clearance
    return availability.hold_start_bound(now) if held else None


def email(data: dict) -> str | None:
    """The email given on the details step, if the patient got that far."""
    return (data.get("details") or {}).get("email")


def needs_screen(data: dict):
    """Redirect to the health questions when they are unanswered or rule the choice out."""
    found = assessment(data)
    if found is None or not found.makes_booking:
        return redirect(url_for("book.health"))
    service = catalog.service_by_slug(data.get("service", ""))
    if service is None:
        return None
    why = screening.unsuitable(service, found, email(data), now=clock.now())
    if why is None:
        return None
    if why == "restrictions":
        flash(bookings.RESTRICTED_MESSAGE.format(service=service.name), "error")
    return redirect(url_for("book.choose"))


def start(data: dict) -> datetime | None:
    return picker.parse_start(data.get("start", "")) if data.get("start") else None


@dataclass(frozen=True)
class CourseChoice:
    """A course the draft asks for: ``sessions`` sessions, one every ``every_weeks`` weeks."""

    every_weeks: int
    sessions: int


NO_COURSE_MESSAGE = (
    "{service} is no longer offered as a course. Nothing is booked: choose a single session "
    "or another treatment."
)
BAD_CADENCE_MESSAGE = "Please choose a session every 1, 2, 3 or 4 weeks. Nothing is booked."


def course(data: dict, choice: Choice) -> CourseChoice | None:
    """Return the draft's course, or None for a single session.

    Raises ValueError with a message for the patient when the draft asks for a course that
    cannot be booked (the treatment no longer offers one, a cadence outside 1-4 weeks).
    """
    wanted = data.get("course")
    if not wanted:
        return None
    if not choice.service.offers_course:
        raise ValueError(NO_COURSE_MESSAGE.format(service=choice.service.name))
    every = wanted.get("every_weeks") if isinstance(wanted, dict) else None
    if not isinstance(every, int) or isinstance(every, bool) or not 1 <= every <= 4:
        raise ValueError(BAD_CADENCE_MESSAGE)
    return CourseChoice(every, int(choice.service.course_sessions))


def needs_course_fix(data: dict, choice: Choice):
    """Send the patient back to the treatment step when their course can't be booked."""
    try:
        course(data, choice)
    except ValueError as why:
        flash(str(why), "error")
        return redirect(url_for("book.choose"))
    return None


def accepted_sessions(
    data: dict, course_choice: CourseChoice
) -> list[tuple[datetime, int | None]] | None:
    """The course's sessions as the patient accepted them: (start, therapist) each.

    None unless they were accepted for the draft's current first time and cadence, one per
    session of the course as it is now.
    """
    accepted = data.get("course_plan")
    if not isinstance(accepted, dict) or not data.get("start"):
        return None
    if accepted.get("first") != data["start"]:
        return None
    if accepted.get("every_weeks") != course_choice.every_weeks:
        return None
    rows = accepted.get("sessions")
    if not isinstance(rows, list) or len(rows) != course_choice.sessions:
        return None
    sessions = []
    for row in rows:
        if not isinstance(row, list) or len(row) != 2 or not isinstance(row[0], str):
            return None
        when = picker.parse_start(row[0])
        therapist = row[1]
        if when is None or not (therapist is None or isinstance(therapist, int)):
            return None
        sessions.append((when, therapist))
    return sessions
