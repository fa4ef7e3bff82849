"""The nine questions as a form shows them: prompts, help and options, in question order."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from booking.intake.choices import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    SignAnswer,
    UrgentSymptom,
    _LabelledChoice,
)


class FieldKind(StrEnum):
    """How a question field is answered, so a form can pick the widget."""

    SINGLE_CHOICE = "single_choice"  # radio buttons
    MULTI_CHOICE = "multi_choice"  # checkboxes; none ticked is a valid answer
    YES_NO = "yes_no"  # two radio buttons, values "yes" and "no"
    SCORE = "score"  # radio buttons "0".."10"
    # One yes / no / not sure radio group per choice, named "sign_<choice>" (the 999 signs).
    SIGNS = "signs"


@dataclass(frozen=True)
class Choice:
    """One option: ``value`` is sent by the form, ``label`` is what the patient reads."""

    value: str
    label: str


@dataclass(frozen=True)
class QuestionField:
    """One form field of a question: its name in ``parse_answers``, prompt, help and options.

    For ``FieldKind.SIGNS``, ``choices`` are the signs and ``answers`` the options each has.
    """

    name: str
    kind: FieldKind
    text: str
    help: str = ""
    choices: tuple[Choice, ...] = ()
    answers: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Question:
    """One of the nine questions, with the fields that answer it."""

    number: int
    text: str
    fields: tuple[QuestionField, ...] = field(default_factory=tuple)


def _choices(enum: type[_LabelledChoice]) -> tuple[Choice, ...]:
    return tuple(Choice(m.value, m.label) for m in enum)


_YES_NO_CHOICES: Final = (Choice("yes", "Yes"), Choice("no", "No"))
_TICK_HELP: Final = "Tick all that apply. Leave them all unticked if none apply."


def _yes_no(name: str, text: str, help_text: str = "") -> QuestionField:
    return QuestionField(name, FieldKind.YES_NO, text, help_text, _YES_NO_CHOICES)


QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        1,
        "Where is the pain?",
        (
            QuestionField(
                "location",
                FieldKind.SINGLE_CHOICE,
                "Where is the pain?",
                "Choose where it hurts most.",
                _choices(PainLocation),
            ),
        ),
    ),
    Question(
        2,
        "How long have you had it?",
        (
            QuestionField(
                "duration",
                FieldKind.SINGLE_CHOICE,
                "How long have you had it?",
                "",
                _choices(PainDuration),
            ),
            _yes_no("sudden_onset", "Did it start suddenly?"),
        ),
    ),
    Question(
        3,
        "On a typical day this week, how bad is it?",
        (
            QuestionField(
                "pain_score",
                FieldKind.SCORE,
                "On a typical day this week, how bad is it, from 0 to 10?",
                "0 means no pain at all; 10 means the worst pain you can imagine.",
                tuple(Choice(str(n), str(n)) for n in range(11)),
            ),
        ),
    ),
    Question(
        4,
        "Does it stop you sleeping, or make getting up, washing or dressing very hard?",
        (
            _yes_no(
                "disturbs_sleep_or_daily_life",
                "Does it stop you sleeping, or make getting up, washing or dressing very hard?",
            ),
        ),
    ),
    Question(
        5,
        "Did it start after a fall, accident or blow in the last few weeks?",
        (
            QuestionField(
                "recent_injury",
                FieldKind.SINGLE_CHOICE,
                "Did it start after a fall, accident or blow in the last few weeks?",
                "",
                _choices(RecentInjury),
            ),
            _yes_no(
                "long_term_steroids",
                "Have you taken steroid tablets for 3 months or more?",
                "For example prednisolone. Steroid inhalers and creams do not count.",
            ),
        ),
    ),
    Question(
        6,
        "Do you have any of these?",
        (
            QuestionField(
                "emergency_symptoms",
                FieldKind.SIGNS,
                "Do you have any of these?",
                "Answer each one. If you are not sure, choose \u201cnot sure\u201d: we will tell "
                "you what to look out for.",
                _choices(EmergencySymptom),
                _choices(SignAnswer),
            ),
        ),
    ),
    Question(
        7,
        "Do you have any of these?",
        (
            QuestionField(
                "urgent_symptoms",
                FieldKind.MULTI_CHOICE,
                "Do you have any of these?",
                _TICK_HELP,
                _choices(UrgentSymptom),
            ),
        ),
    ),
    Question(
        8,
        "Do any of these apply to you?",
        (
            QuestionField(
                "history",
                FieldKind.MULTI_CHOICE,
                "Do any of these apply to you?",
                _TICK_HELP,
                _choices(HistoryItem),
            ),
        ),
    ),
    Question(
        9,
        "Are you under a doctor's or physio's care for this, and has anyone told you not to "
        "have massage?",
        (
            _yes_no("under_care", "Are you under a doctor's or physio's care for this pain?"),
            _yes_no(
                "told_not_to_massage",
                "Has a doctor, physio or other health professional told you not to have massage?",
            ),
            _yes_no(
                "seen_doctor_since_onset",
                "Has a doctor seen you about these symptoms since they began?",
                "Answer yes only if a doctor has examined you about this pain and any signs "
                "above since they started.",
            ),
        ),
    ),
)
