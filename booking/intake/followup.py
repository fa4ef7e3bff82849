"""The follow-up after a session: its questions, strict parsing, and what the answers mean.

Two minutes for the patient: pain now (0-10, the screen's own scale), better / same /
worse, any reaction, and the screen's red-flag questions (6 and 7) exactly as the screen
asks them. The rules are the screen's own (``rules.assess``) and the material-change test
is the re-screen's (``rescreen.material_changes``): nothing here re-states a threshold.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from booking.intake.answers import (
    ScreenAnswers,
    ScreenError,
    ScreenSettings,
    _parse_pain_score,
    _parse_signs,
    _parser_for_multi,
    _parser_for_single,
    _raw_list,
)
from booking.intake.choices import (
    EmergencySymptom,
    PainDuration,
    PainLocation,
    RecentInjury,
    UrgentSymptom,
    _LabelledChoice,
)
from booking.intake.questions import QUESTIONS, Choice, FieldKind, Question, QuestionField
from booking.intake.rescreen import material_changes
from booking.intake.rules import Assessment, Outcome, Rule, assess


class Progress(_LabelledChoice):
    """Since the session: better, about the same or worse."""

    BETTER = ("better", "Better")
    SAME = ("same", "About the same")
    WORSE = ("worse", "Worse")


class Reaction(_LabelledChoice):
    """Reactions after a session that the therapist wants to hear about."""

    SORENESS = ("soreness_beyond_two_days", "Soreness that lasted more than two days")
    BRUISING = ("bruising", "Bruising")
    NUMBNESS_OR_TINGLING = ("numbness_or_tingling", "Numbness or tingling")
    OTHER = ("other", "Anything else")


REACTION_TEXT_MAX: Final = 500
RED_FLAG_QUESTIONS: Final = frozenset({6, 7})

# The screen's own questions, reused field for field: the pain scale of question 3 (asked
# about now), and the red-flag questions 6 and 7 with their signs, labels and help.
_SCORE_FIELD: Final = QUESTIONS[2].fields[0]
_BY_NUMBER: Final = {q.number: q for q in QUESTIONS}

FOLLOW_UP_QUESTIONS: Final[tuple[Question, ...]] = (
    Question(
        1,
        "How bad is your pain now?",
        (replace(_SCORE_FIELD, name="pain_now", text="How bad is your pain now, from 0 to 10?"),),
    ),
    Question(
        2,
        "Since your visit, is it better, about the same or worse?",
        (
            QuestionField(
                "progress",
                FieldKind.SINGLE_CHOICE,
                "Since your visit, is it better, about the same or worse?",
                "",
                tuple(Choice(m.value, m.label) for m in Progress),
            ),
        ),
    ),
    Question(
        3,
        "Since your visit, have you had any of these?",
        (
            QuestionField(
                "reactions",
                FieldKind.MULTI_CHOICE,
                "Since your visit, have you had any of these?",
                "Tick all that apply. Leave them all unticked if none apply.",
                tuple(Choice(m.value, m.label) for m in Reaction),
            ),
        ),
    ),
    Question(4, _BY_NUMBER[6].text, _BY_NUMBER[6].fields),
    Question(5, _BY_NUMBER[7].text, _BY_NUMBER[7].fields),
)

# How many of FOLLOW_UP_QUESTIONS come before the free text of "anything else".
QUESTIONS_BEFORE_TEXT: Final = 3


@dataclass(frozen=True)
class FollowUpAnswers:
    """One patient's follow-up, validated (build it with :func:`parse_follow_up`)."""

    pain_now: int
    progress: Progress
    reactions: frozenset[Reaction] = frozenset()
    reaction_text: str = ""
    emergency_symptoms: frozenset[EmergencySymptom] = frozenset()
    emergency_unsure: frozenset[EmergencySymptom] = frozenset()
    urgent_symptoms: frozenset[UrgentSymptom] = frozenset()

    def __post_init__(self) -> None:
        if isinstance(self.pain_now, bool) or self.pain_now not in range(11):
            raise ValueError("pain_now must be an int from 0 to 10")
        object.__setattr__(self, "progress", Progress(self.progress))
        object.__setattr__(self, "reactions", frozenset(Reaction(r) for r in self.reactions))
        for name, enum in (
            ("emergency_symptoms", EmergencySymptom),
            ("emergency_unsure", EmergencySymptom),
            ("urgent_symptoms", UrgentSymptom),
        ):
            object.__setattr__(self, name, frozenset(enum(v) for v in getattr(self, name)))
        if len(self.reaction_text) > REACTION_TEXT_MAX:
            raise ValueError("reaction_text is too long")

    def to_data(self) -> dict[str, object]:
        """JSON-safe form; ``parse_follow_up(a.to_data()) == a`` always holds."""
        return {
            "pain_now": self.pain_now,
            "progress": self.progress.value,
            "reactions": [r.value for r in Reaction if r in self.reactions],
            "reaction_text": self.reaction_text,
            "emergency_symptoms": [
                s.value for s in EmergencySymptom if s in self.emergency_symptoms
            ],
            "emergency_unsure": [s.value for s in EmergencySymptom if s in self.emergency_unsure],
            "urgent_symptoms": [s.value for s in UrgentSymptom if s in self.urgent_symptoms],
        }


def parse_follow_up(data: Mapping[str, object]) -> FollowUpAnswers:
    """Validate a submitted follow-up as strictly as the screen; raise ``ScreenError``.

    ``pain_now`` is parsed like the screen's pain score, the 999 signs like the screen's
    (one yes / no / not sure group each, all required; or the two lists), question 7 like
    the screen's ticked list. ``reaction_text`` is trimmed and at most 500 characters; the
    caller checks it for control characters (``booking.validation``).
    """
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    parsers = (
        ("pain_now", _parse_pain_score, False),
        (
            "progress",
            _parser_for_single(Progress, "Choose better, about the same or worse."),
            False,
        ),
        ("reactions", _parser_for_multi(Reaction), True),
    )
    for name, parser, is_list in parsers:
        raw = _raw_list(data, name) if is_list else data.get(name)
        try:
            values[name] = parser(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    text = data.get("reaction_text")
    text = text.strip() if isinstance(text, str) else ""
    if len(text) > REACTION_TEXT_MAX:
        errors["reaction_text"] = f"Please use at most {REACTION_TEXT_MAX} characters."
    values["reaction_text"] = text
    values.update(_parse_signs(data, errors))
    try:
        values["urgent_symptoms"] = _parser_for_multi(UrgentSymptom)(
            _raw_list(data, "urgent_symptoms")
        )
    except ValueError as exc:
        errors["urgent_symptoms"] = str(exc)
    if errors:
        first = next(iter(errors))
        raise ScreenError(first, errors[first], errors)
    return FollowUpAnswers(**values)  # type: ignore[arg-type]


# Answers that fire no rule of their own: the red flags are judged on these when the
# patient's earlier screen is not at hand (a booking made by phone, answers purged).
_NEUTRAL: Final = ScreenAnswers(
    location=PainLocation.LOWER_BACK,
    duration=PainDuration.OVER_12_WEEKS,
    sudden_onset=False,
    pain_score=0,
    disturbs_sleep_or_daily_life=False,
    recent_injury=RecentInjury.NONE,
    long_term_steroids=False,
)


def as_screen(previous: ScreenAnswers | None, answers: FollowUpAnswers) -> ScreenAnswers:
    """Return the screen as it stands after the follow-up: ``previous`` with today's pain
    (as the pain score) and today's answers to questions 6 and 7.

    This is what pre-fills the patient's next screen and what the re-screen compares with
    the answers a clearance was given on.
    """
    return replace(
        previous or _NEUTRAL,
        pain_score=answers.pain_now,
        emergency_symptoms=answers.emergency_symptoms,
        emergency_unsure=answers.emergency_unsure - answers.emergency_symptoms,
        urgent_symptoms=answers.urgent_symptoms,
    )


def red_flags(answers: FollowUpAnswers, settings: ScreenSettings | None = None) -> Assessment:
    """Judge the red-flag answers by the screen's rules alone.

    Returns an ``Assessment`` whose ``outcome`` is EMERGENCY or URGENT when a red flag
    fired (the advice the screen gives for it applies), else BOOK; ``rules`` are the red-flag
    rules that fired.
    """
    full = assess(as_screen(None, answers), settings)
    rules = tuple(r for r in full.rules if r.question in RED_FLAG_QUESTIONS)
    outcome = min((r.outcome for r in rules), key=lambda o: o.rank, default=Outcome.BOOK)
    return Assessment(outcome=outcome, rules=rules, unsure_signs=full.unsure_signs)


@dataclass(frozen=True)
class Review:
    """What the follow-up means for the therapist.

    ``red_flags``: the red-flag rules that fired; ``changes``: the re-screen's material
    changes against ``previous`` (empty without one); ``needs_review`` when either is not
    empty: the booking is flagged for the therapist inside the app.
    """

    red_flags: tuple[Rule, ...]
    changes: tuple[str, ...]

    @property
    def needs_review(self) -> bool:
        return bool(self.red_flags or self.changes)


def review(
    answers: FollowUpAnswers,
    previous: ScreenAnswers | None,
    settings: ScreenSettings | None = None,
) -> Review:
    """Return the red flags and the material changes since ``previous`` (the screen the
    session was booked on, or the one its clearance was given on)."""
    flags = red_flags(answers, settings).rules
    changes = (
        material_changes(previous, as_screen(previous, answers), settings)
        if previous is not None
        else ()
    )
    return Review(red_flags=flags, changes=tuple(changes))
