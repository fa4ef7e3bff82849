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
from booking.models import Service
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
