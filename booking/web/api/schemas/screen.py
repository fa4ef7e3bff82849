"""The pain screen's answers in a booking request, and the answer when the screen stops it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from booking import intake
from booking.intake import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    UrgentSymptom,
)
from booking.web.api.schemas.fields import _Request, _Response

# Field types come from booking.intake's own enums, so the document lists exactly the values
# parse_answers accepts. The model only pins the JSON types (an integer score, true/false,
# arrays); booking.intake.parse_answers then reads the answers and has the last word.

SCREEN_CONSENT_MESSAGE = (
    "Please agree, so we can use your answers to plan your visit (send true). "
    + intake.CONSENT_TEXT
)


def _question_help(name: str) -> str:
    for question in intake.QUESTIONS:
        for item in question.fields:
            if item.name == name:
                return f"Q{question.number}: {item.text} {item.help}".strip()
    raise LookupError(name)  # pragma: no cover - a field renamed in intake fails at import


def _answer(name: str, **kwargs: Any) -> Any:
    return Field(description=_question_help(name), **kwargs)


def _ticks(name: str) -> Any:
    return Field(
        default_factory=list,
        description=_question_help(name) + " An empty array (or leaving it out) means none.",
    )


class ScreenIn(_Request):
    """The pain screen's answers, as ``booking.intake.parse_answers`` reads them from JSON."""

    location: PainLocation = _answer("location")
    duration: PainDuration = _answer("duration")
    sudden_onset: bool = _answer("sudden_onset")
    pain_score: int = _answer("pain_score", ge=0, le=10)
    disturbs_sleep_or_daily_life: bool = _answer("disturbs_sleep_or_daily_life")
    recent_injury: RecentInjury = _answer("recent_injury")
    long_term_steroids: bool = _answer("long_term_steroids")
    emergency_symptoms: list[EmergencySymptom] = Field(
        default_factory=list,
        description=_question_help("emergency_symptoms")
        + " The signs answered yes. An empty array (or leaving it out) means none.",
    )
    emergency_unsure: list[EmergencySymptom] = Field(
        default_factory=list,
        description='Q6: the signs answered "not sure" (never also in emergency_symptoms). '
        "Any of them means: see a doctor today, and call 999 if one turns out to be true.",
    )
    urgent_symptoms: list[UrgentSymptom] = _ticks("urgent_symptoms")
    history: list[HistoryItem] = _ticks("history")
    under_care: bool = _answer("under_care")
    told_not_to_massage: bool = _answer("told_not_to_massage")
    seen_doctor_since_onset: bool = Field(
        default=False,
        description=_question_help("seen_doctor_since_onset")
        + " Turns an urgent outcome into a held booking that waits for clearance.",
    )


def _screen_messages() -> dict[str, str]:
    # parse_answers' own message for each answer: feed it a value no field accepts.
    names = list(ScreenIn.model_fields)
    try:
        intake.parse_answers(dict.fromkeys(names, object()))
    except intake.ScreenError as error:
        return dict(error.errors)
    raise AssertionError("parse_answers accepted nonsense")  # pragma: no cover


SCREEN_MESSAGES = _screen_messages()
if set(SCREEN_MESSAGES) != set(ScreenIn.model_fields):  # pragma: no cover - drift guard
    raise AssertionError("ScreenIn and booking.intake disagree about the screen's fields")

# Outcomes that stop a booking, as booking.intake defines them.
STOPPED_OUTCOMES = tuple(o.value for o in intake.Outcome if not intake.Assessment(o).makes_booking)
StoppedOutcome = Literal[STOPPED_OUTCOMES]  # type: ignore[valid-type]


class ScreenStopped(_Response):
    """The pain screen stopped the booking: nothing was booked and the answers were not kept."""

    outcome: StoppedOutcome = Field(
        description='"emergency" (medical help now), "urgent" (see a doctor today) or '
        '"declined" (told not to have massage).'
    )
    message: str = Field(description="What to tell the patient, with the clinic's numbers.")
    booking: None = Field(description="Always null: no booking was made.")
