"""The pain screen: nine plain-words questions that decide whether a booking may be made.

This module is PURE: it imports only the standard library and knows nothing of Flask, the
database or other booking modules, so the product rules (DOMAIN.md sections 1 and 2) can be
read, tested and changed in one place.

Contract
--------
* ``parse_answers(data)`` turns what a web form or a JSON body sent into ``ScreenAnswers``, or
  raises ``ScreenError`` naming the field and giving a message a patient can act on.
* ``assess(answers, settings)`` returns an ``Assessment``: the winning ``Outcome`` by the
  precedence EMERGENCY > URGENT > DECLINED > HOLD > FLAG > BOOK, EVERY rule that fired (in
  question order), the therapist's flags, whether deep pressure must be avoided, any
  restrictions and any advice for the patient.
* ``is_material_change(previous, current, settings)`` answers the short "has anything
  changed?" re-screen for a returning patient whose clearance is still valid.
* ``QUESTIONS``, ``CONSENT_TEXT`` and the outcome messages hold every word the patient sees, so
  the form and the result pages never repeat (and drift from) the wording.

Not medical advice: these are the clinic's product rules. Every threshold is a setting on
``ScreenSettings`` with the DOMAIN.md default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

__all__ = [
    "CONSENT_TEXT",
    "DECLINED_MESSAGE",
    "EMERGENCY_MESSAGE",
    "HOLD_MESSAGE",
    "OUTCOME_PRECEDENCE",
    "QUESTIONS",
    "URGENT_MESSAGE",
    "Assessment",
    "Choice",
    "EmergencySymptom",
    "FieldKind",
    "HistoryItem",
    "Outcome",
    "PainDuration",
    "PainLocation",
    "Question",
    "QuestionField",
    "RecentInjury",
    "Rule",
    "ScreenAnswers",
    "ScreenError",
    "ScreenSettings",
    "UrgentSymptom",
    "assess",
    "is_material_change",
    "parse_answers",
    "patient_message",
]


# --------------------------------------------------------------------------------------------
# Outcomes
# --------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    """What the screen decides. Values are stable strings, safe to store and to count."""

    EMERGENCY = "emergency"  # no booking; answers not stored; send to 999 / A&E now
    URGENT = "urgent"  # no booking; see a doctor today, then come back
    DECLINED = "declined"  # told not to have massage: no booking, kind message
    HOLD = "hold"  # booked and reserved, but held until medical clearance
    FLAG = "flag"  # booked; therapist sees flags; no deep-pressure services
    BOOK = "book"  # booked

    @property
    def rank(self) -> int:
        """Position in the precedence, 0 being the most serious."""
        return OUTCOME_PRECEDENCE.index(self)


# DOMAIN.md lists EMERGENCY > URGENT > HOLD > FLAG > BOOK; "told not to have massage" (DECLINED)
# sits below URGENT (a doctor today matters more than our refusal) and above HOLD (no clearance
# can be asked for when a clinician has already said no).
OUTCOME_PRECEDENCE: Final[tuple[Outcome, ...]] = (
    Outcome.EMERGENCY,
    Outcome.URGENT,
    Outcome.DECLINED,
    Outcome.HOLD,
    Outcome.FLAG,
    Outcome.BOOK,
)

# Outcomes that need a clinician before massage; used by the material-change re-screen.
_CLINICAL_OUTCOMES: Final = frozenset(
    {Outcome.EMERGENCY, Outcome.URGENT, Outcome.DECLINED, Outcome.HOLD}
)


# --------------------------------------------------------------------------------------------
# Choice answers: the value is the HTML form value, ``label`` the words the patient reads
# --------------------------------------------------------------------------------------------


class _LabelledChoice(StrEnum):
    """A StrEnum whose members are declared as ``(value, label)``.

    Keeping the label beside the value means a new choice cannot be added without its words.
    """

    label: str

    def __new__(cls, value: str, label: str) -> _LabelledChoice:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


_E = TypeVar("_E", bound=StrEnum)
_C = TypeVar("_C", bound=_LabelledChoice)


class PainLocation(_LabelledChoice):
    """Q1: where the pain is."""

    LOWER_BACK = ("lower_back", "Lower back")
    WHOLE_BACK = ("whole_back", "Whole back")
    BETWEEN_SHOULDER_BLADES = ("between_shoulder_blades", "Mainly between the shoulder blades")
    ELSEWHERE = ("elsewhere", "Somewhere else")


class PainDuration(_LabelledChoice):
    """Q2: how long the patient has had the pain (stored for the therapist; no outcome)."""

    UNDER_4_WEEKS = ("under_4_weeks", "Less than 4 weeks")  # acute
    FROM_4_TO_12_WEEKS = ("4_to_12_weeks", "4 to 12 weeks")
    OVER_12_WEEKS = ("over_12_weeks", "More than 12 weeks")  # chronic


class RecentInjury(_LabelledChoice):
    """Q5: did the pain start after a fall, accident or blow in the last few weeks?"""

    NONE = ("none", "No")
    SERIOUS_ACCIDENT = (
        "serious_accident",
        "Yes, a serious accident (for example a car crash or a fall from a height)",
    )
    MINOR_FALL = ("minor_fall", "Yes, a minor fall, knock or blow")


class EmergencySymptom(_LabelledChoice):
    """Q6: any one of these means EMERGENCY."""

    SADDLE_NUMBNESS = ("saddle_numbness", "Numbness around the genitals, buttocks or inner thighs")
    BLADDER = ("bladder", "New trouble passing or controlling urine")
    BOWEL = ("bowel", "Loss of bowel control")
    LEG_WEAKNESS = (
        "leg_weakness",
        "Weakness or numbness in both legs, or leg weakness that is getting worse",
    )
    CHEST_PAIN = ("chest_pain", "Chest pain")


class UrgentSymptom(_LabelledChoice):
    """Q7: any one of these means URGENT."""

    FEVER_OR_UNWELL = ("fever_or_unwell", "A fever, or feeling very unwell")
    UNEXPLAINED_WEIGHT_LOSS = ("unexplained_weight_loss", "Weight loss you can't explain")
    CANCER_HISTORY = ("cancer_history", "Cancer now or in the past")
    LUMP_OR_DEFORMITY = ("lump_or_deformity", "A lump or a change in the shape of your back")
    NIGHT_OR_REST_PAIN = (
        "night_or_rest_pain",
        "Pain that is worse at night or is not eased by rest",
    )
    WEAK_IMMUNE_SYSTEM = ("weak_immune_system", "A weakened immune system")


class HistoryItem(_LabelledChoice):
    """Q8: medical history and current circumstances."""

    RECENT_SURGERY_OR_FRACTURE = (
        "recent_surgery_or_fracture",
        "Surgery or a broken bone in the last 3 months",
    )
    BLOOD_CLOT = ("blood_clot", "A blood clot, now or in the past")
    BLOOD_THINNERS = ("blood_thinners", "Taking blood thinners")
    OSTEOPOROSIS = ("osteoporosis", "Osteoporosis (thin or fragile bones)")
    PREGNANT = ("pregnant", "Pregnant")
    HIGH_RISK_PREGNANCY = (
        "high_risk_pregnancy",
        "Pregnant, and told it is a high-risk pregnancy",
    )
    CANCER_TREATMENT = ("cancer_treatment", "Having cancer treatment now")
    SKIN_INFECTION = ("skin_infection", "A skin infection on your back")


# --------------------------------------------------------------------------------------------
# Settings and answers
# --------------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    # bool is a subclass of int; a ticked box must never pass for a pain score of 1.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ScreenSettings:
    """The screen's thresholds; defaults are the DOMAIN.md defaults.

    ``hold_pain_score``: a typical-day pain score at or above this holds the booking (0..11;
    11 switches the rule off). ``material_pain_rise``: on a re-screen, a rise of this many
    points or more since the clearance counts as a material change (1..10).
    """

    hold_pain_score: int = 7
    material_pain_rise: int = 2

    def __post_init__(self) -> None:
        if not _is_int(self.hold_pain_score) or not 0 <= self.hold_pain_score <= 11:
            raise ValueError("hold_pain_score must be an int from 0 to 11")
        if not _is_int(self.material_pain_rise) or not 1 <= self.material_pain_rise <= 10:
            raise ValueError("material_pain_rise must be an int from 1 to 10")


def _frozen_members(enum: type[_E], values: Iterable[object], name: str) -> frozenset[_E]:
    # Canonicalise to enum members so that equality and hashing never depend on whether a
    # caller passed "bladder" or EmergencySymptom.BLADDER.
    if isinstance(values, str):
        raise ValueError(f"{name} must be a collection of choices, not a single string")
    try:
        return frozenset(enum(v) for v in values)
    except (TypeError, ValueError):
        raise ValueError(f"{name} contains a value that is not a {enum.__name__}") from None


@dataclass(frozen=True)
class ScreenAnswers:
    """One patient's answers to the nine questions, already validated.

    Build it with ``parse_answers`` from untrusted input; the constructor validates too (and
    raises ValueError) so an invalid screen cannot exist anywhere in the program.
    """

    location: PainLocation  # Q1
    duration: PainDuration  # Q2
    sudden_onset: bool  # Q2
    pain_score: int  # Q3, 0..10
    disturbs_sleep_or_daily_life: bool  # Q4
    recent_injury: RecentInjury  # Q5
    long_term_steroids: bool  # asked with Q5: it turns a minor fall into URGENT
    emergency_symptoms: frozenset[EmergencySymptom] = frozenset()  # Q6
    urgent_symptoms: frozenset[UrgentSymptom] = frozenset()  # Q7
    history: frozenset[HistoryItem] = frozenset()  # Q8
    under_care: bool = False  # Q9
    told_not_to_massage: bool = False  # Q9

    def __post_init__(self) -> None:
        if not _is_int(self.pain_score) or not 0 <= self.pain_score <= 10:
            raise ValueError("pain_score must be an int from 0 to 10")
        for name, enum in (
            ("location", PainLocation),
            ("duration", PainDuration),
            ("recent_injury", RecentInjury),
        ):
            object.__setattr__(self, name, enum(getattr(self, name)))
        for name in (
            "sudden_onset",
            "disturbs_sleep_or_daily_life",
            "long_term_steroids",
            "under_care",
            "told_not_to_massage",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False")
        for name, enum in (
            ("emergency_symptoms", EmergencySymptom),
            ("urgent_symptoms", UrgentSymptom),
            ("history", HistoryItem),
        ):
            object.__setattr__(self, name, _frozen_members(enum, getattr(self, name), name))

    def to_data(self) -> dict[str, object]:
        """JSON-safe form of the answers; ``parse_answers(a.to_data()) == a`` always holds.

        Sets are written in declaration order so the same answers always serialise the same.
        """
        return {
            "location": self.location.value,
            "duration": self.duration.value,
            "sudden_onset": self.sudden_onset,
            "pain_score": self.pain_score,
            "disturbs_sleep_or_daily_life": self.disturbs_sleep_or_daily_life,
            "recent_injury": self.recent_injury.value,
            "long_term_steroids": self.long_term_steroids,
            "emergency_symptoms": [
                s.value for s in EmergencySymptom if s in self.emergency_symptoms
            ],
            "urgent_symptoms": [s.value for s in UrgentSymptom if s in self.urgent_symptoms],
            "history": [h.value for h in HistoryItem if h in self.history],
            "under_care": self.under_care,
            "told_not_to_massage": self.told_not_to_massage,
        }


# --------------------------------------------------------------------------------------------
# Parsing untrusted input
# --------------------------------------------------------------------------------------------


class ScreenError(ValueError):
    """The submitted screen is invalid.

    ``field`` and ``message`` describe the first problem in question order; ``errors`` maps
    every invalid field to its message so a form can show them all at once. Messages are
    written for the patient and never echo the submitted value.
    """

    def __init__(self, field: str, message: str, errors: Mapping[str, str] | None = None) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.errors: Mapping[str, str] = MappingProxyType(dict(errors or {field: message}))


PAIN_SCORE_MESSAGE: Final = "Choose a number from 0 to 10."
_YES_NO_MESSAGE: Final = "Choose yes or no."
_MULTI_MESSAGE: Final = "Choose only from the options listed."

# Exactly the strings "0".."10". A lookup table (rather than int()) is deliberate: int()
# accepts " 7", "+7", "-0", "07", "7_0" and non-ASCII digits (Arabic-Indic or fullwidth
# sevens), none of which a form with 0-10 radio buttons sends: they are a client bug or
# tampering, and a health screen should not guess.
_PAIN_SCORES: Final[Mapping[str, int]] = MappingProxyType({str(n): n for n in range(11)})

# Booleans: JSON true/false, or the exact values of our yes/no radio buttons. Nothing else
# ("on", "1", "Yes", "true") so that a mistyped client fails loudly instead of guessing.
_YES_NO: Final[Mapping[str, bool]] = MappingProxyType({"yes": True, "no": False})


def _parse_pain_score(value: object) -> int:
    if _is_int(value):
        if 0 <= value <= 10:  # type: ignore[operator]
            return value  # type: ignore[return-value]
        raise ValueError(PAIN_SCORE_MESSAGE)
    if isinstance(value, str) and value in _PAIN_SCORES:
        return _PAIN_SCORES[value]
    raise ValueError(PAIN_SCORE_MESSAGE)  # floats (7.0), bools, odd strings, missing


def _parse_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in _YES_NO:
        return _YES_NO[value]
    raise ValueError(_YES_NO_MESSAGE)


def _parser_for_single(enum: type[_C], message: str) -> Callable[[object], _C]:
    def parse(value: object) -> _C:
        if isinstance(value, str):
            for member in enum:
                if member.value == value:  # exact: no stripping, no case folding
                    return member
        raise ValueError(message)

    return parse


def _raw_list(data: Mapping[str, object], name: str) -> object:
    # A Werkzeug MultiDict (request.form) returns only the first value from get(); use its
    # getlist() when it has one, duck-typed so that this module stays free of Flask.
    getlist = getattr(data, "getlist", None)
    if callable(getlist):
        return list(getlist(name))
    return data.get(name)


def _parser_for_multi(enum: type[_C]) -> Callable[[object], frozenset[_C]]:
    def parse(value: object) -> frozenset[_C]:
        # Unticked checkboxes send nothing, so absence (or an empty list) means "none of these".
        if value is None:
            return frozenset()
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set | frozenset):
            raise ValueError(_MULTI_MESSAGE)
        by_value = {member.value: member for member in enum}
        chosen = set()
        for item in items:
            if not isinstance(item, str) or item not in by_value:
                raise ValueError(_MULTI_MESSAGE)
            chosen.add(by_value[item])
        return frozenset(chosen)

    return parse


# (field name, parser, whether the value comes as a list) in question order, so the first error
# reported is the first one the patient meets on the page.
_FIELD_PARSERS: Final = (
    ("location", _parser_for_single(PainLocation, "Choose where the pain is."), False),
    ("duration", _parser_for_single(PainDuration, "Choose how long you have had it."), False),
    ("sudden_onset", _parse_bool, False),
    ("pain_score", _parse_pain_score, False),
    ("disturbs_sleep_or_daily_life", _parse_bool, False),
    (
        "recent_injury",
        _parser_for_single(
            RecentInjury, "Choose whether it started after a fall, accident or blow."
        ),
        False,
    ),
    ("long_term_steroids", _parse_bool, False),
    ("emergency_symptoms", _parser_for_multi(EmergencySymptom), True),
    ("urgent_symptoms", _parser_for_multi(UrgentSymptom), True),
    ("history", _parser_for_multi(HistoryItem), True),
    ("under_care", _parse_bool, False),
    ("told_not_to_massage", _parse_bool, False),
)


def parse_answers(data: Mapping[str, object]) -> ScreenAnswers:
    """Validate a submitted screen strictly and return ``ScreenAnswers``.

    Accepts a plain mapping (a JSON object) or a multi-valued form mapping with ``getlist``.

    * Single choices: the exact enum value (``"lower_back"``); no trimming or case folding.
    * Yes/no fields: JSON ``true``/``false`` or the strings ``"yes"``/``"no"``. Required.
    * ``pain_score``: a JSON integer 0..10 (not a bool, not a float) or exactly one of the
      ASCII strings ``"0"``..``"10"``; ``"07"``, ``" 7"``, ``"+7"``, ``"-0"``, ``"7.0"`` and
      non-ASCII digits such as a fullwidth 7 are all rejected with "Choose a number from 0
      to 10.".
    * Ticked lists (Q6, Q7, Q8): a list of exact values or one value; absent means none ticked,
      because unticked checkboxes send nothing.

    Keys that are not answers (the CSRF token, the consent box) are ignored: the consent is
    checked by the caller against ``CONSENT_TEXT``. Raises ``ScreenError`` listing every
    invalid field.
    """
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, parser, is_list in _FIELD_PARSERS:
        raw = _raw_list(data, name) if is_list else data.get(name)
        try:
            values[name] = parser(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        first = next(iter(errors))
        raise ScreenError(first, errors[first], errors)
    return ScreenAnswers(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Assessment
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule that fired: a stable ``code`` (safe to store and to test against), the
    ``outcome`` it implies on its own, the ``question`` number it comes from, and a plain-words
    ``reason`` for the therapist."""

    code: str
    outcome: Outcome
    question: int
    reason: str


# Therapist flags (Assessment.flags). Plain strings so they can be stored and shown as-is.
FLAG_BLOOD_THINNERS: Final = "blood_thinners"
FLAG_OSTEOPOROSIS: Final = "osteoporosis"
FLAG_PREGNANT: Final = "pregnant"
FLAG_SKIN_INFECTION: Final = "skin_infection"
FLAG_UNDER_CARE: Final = "under_care"

# FLAG rules that rule out deep pressure (DOMAIN.md: blood thinners, osteoporosis, pregnancy).
_NO_DEEP_PRESSURE_FLAGS: Final = frozenset({FLAG_BLOOD_THINNERS, FLAG_OSTEOPOROSIS, FLAG_PREGNANT})

RESTRICTION_AVOID_AFFECTED_AREA: Final = "Avoid the affected area (skin infection on the back)."
ADVICE_PAIN_ELSEWHERE: Final = (
    "Your pain is not in your back. Please contact the clinic so we can check that we are "
    "the right people to help before you come in."
)


@dataclass(frozen=True)
class Assessment:
    """The result of the screen.

    ``outcome`` is the most serious outcome of ``rules`` by ``OUTCOME_PRECEDENCE`` (BOOK when
    no rule fired). ``rules`` lists every rule that fired, in question order, not only the
    winner, so the therapist sees the whole picture. ``flags`` names the FLAG-level findings;
    ``no_deep_pressure`` is true when any of them rules out deep pressure; ``restrictions`` and
    ``advice`` are plain-words lines for the therapist and the patient respectively.
    """

    outcome: Outcome
    rules: tuple[Rule, ...] = ()
    flags: frozenset[str] = frozenset()
    no_deep_pressure: bool = False
    restrictions: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()

    @property
    def makes_booking(self) -> bool:
        """A booking is made (HOLD reserves the slot pending clearance)."""
        return self.outcome in (Outcome.BOOK, Outcome.FLAG, Outcome.HOLD)

    @property
    def needs_clearance(self) -> bool:
        """The booking is held until the patient confirms medical clearance."""
        return self.outcome is Outcome.HOLD

    @property
    def may_store_answers(self) -> bool:
        """DOMAIN.md: after an EMERGENCY the answers are not stored, only counted."""
        return self.outcome is not Outcome.EMERGENCY

    @property
    def deciding_rules(self) -> tuple[Rule, ...]:
        """The rules that produced the outcome itself (empty for BOOK)."""
        return tuple(r for r in self.rules if r.outcome is self.outcome)

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of every rule that fired, in order."""
        return tuple(r.code for r in self.rules)


_HISTORY_RULES: Final[Mapping[HistoryItem, tuple[Outcome, str]]] = MappingProxyType(
    {
        # Surgery or a broken bone in the last 3 months: the form cannot tell a back operation
        # from any other, so it is treated as recent back surgery or fracture.
        HistoryItem.RECENT_SURGERY_OR_FRACTURE: (
            Outcome.HOLD,
            "Surgery or a broken bone in the last 3 months",
        ),
        HistoryItem.BLOOD_CLOT: (Outcome.HOLD, "A blood clot, now or in the past"),
        HistoryItem.BLOOD_THINNERS: (Outcome.FLAG, "Takes blood thinners: no deep pressure"),
        HistoryItem.OSTEOPOROSIS: (Outcome.FLAG, "Osteoporosis: no deep pressure"),
        HistoryItem.PREGNANT: (Outcome.FLAG, "Pregnant: no deep pressure"),
        HistoryItem.HIGH_RISK_PREGNANCY: (Outcome.HOLD, "High-risk pregnancy"),
        HistoryItem.CANCER_TREATMENT: (Outcome.HOLD, "Having cancer treatment now"),
        # DOMAIN.md lists a skin infection on the back in Q8 without an outcome. We choose
        # FLAG: massage elsewhere is fine, so a hold would be out of proportion, but the
        # therapist must know to avoid the area (and it is recorded as a restriction).
        HistoryItem.SKIN_INFECTION: (
            Outcome.FLAG,
            "Skin infection on the back: avoid the affected area",
        ),
    }
)


def assess(answers: ScreenAnswers, settings: ScreenSettings | None = None) -> Assessment:
    """Apply the DOMAIN.md section 1 rules to ``answers``; pure and deterministic.

    Rules are listed in question order and, within a question, in the declaration order of its
    choices. Q1 "elsewhere" adds advice only; Q2 is stored for the therapist and fires nothing.
    """
    settings = settings or ScreenSettings()
    rules: list[Rule] = []
    flags: set[str] = set()
    restrictions: list[str] = []
    advice: list[str] = []
    history = answers.history

    # Q1
    if answers.location is PainLocation.BETWEEN_SHOULDER_BLADES:
        # Pain between the shoulder blades can come from the heart, lungs or aorta.
        rules.append(
            Rule(
                "q1.between_shoulder_blades",
                Outcome.HOLD,
                1,
                "Pain is mainly between the shoulder blades",
            )
        )
    elif answers.location is PainLocation.ELSEWHERE:
        advice.append(ADVICE_PAIN_ELSEWHERE)

    # Q3
    if answers.pain_score >= settings.hold_pain_score:
        rules.append(
            Rule(
                "q3.pain_score_at_least_threshold",
                Outcome.HOLD,
                3,
                f"Pain {answers.pain_score}/10 is at or above the hold threshold of "
                f"{settings.hold_pain_score}",
            )
        )

    # Q4
    if answers.disturbs_sleep_or_daily_life:
        rules.append(
            Rule(
                "q4.disturbs_sleep_or_daily_life",
                Outcome.HOLD,
                4,
                "Pain stops them sleeping or makes getting up, washing or dressing very hard",
            )
        )

    # Q5
    if answers.recent_injury is RecentInjury.SERIOUS_ACCIDENT:
        rules.append(
            Rule(
                "q5.serious_accident",
                Outcome.EMERGENCY,
                5,
                "Pain started after a serious accident in the last few weeks",
            )
        )
    elif answers.recent_injury is RecentInjury.MINOR_FALL:
        # Fragile bones (osteoporosis, or long-term steroids which thin them) make a fracture
        # after even a minor fall likely enough to need a doctor today.
        fragile = [
            why
            for why, present in (
                ("osteoporosis", HistoryItem.OSTEOPOROSIS in history),
                ("long-term steroids", answers.long_term_steroids),
            )
            if present
        ]
        if fragile:
            rules.append(
                Rule(
                    "q5.minor_fall_with_fragile_bones",
                    Outcome.URGENT,
                    5,
                    "Pain started after a minor fall, knock or blow, with " + " and ".join(fragile),
                )
            )
        else:
            rules.append(
                Rule(
                    "q5.minor_fall",
                    Outcome.HOLD,
                    5,
                    "Pain started after a minor fall, knock or blow in the last few weeks",
                )
            )

    # Q6: one rule per symptom so the record shows exactly what was ticked.
    for symptom in EmergencySymptom:
        if symptom in answers.emergency_symptoms:
            rules.append(
                Rule(f"q6.emergency_symptom.{symptom.value}", Outcome.EMERGENCY, 6, symptom.label)
            )

    # Q7
    for urgent in UrgentSymptom:
        if urgent in answers.urgent_symptoms:
            rules.append(Rule(f"q7.urgent_symptom.{urgent.value}", Outcome.URGENT, 7, urgent.label))

    # Q8. A high-risk pregnancy is still a pregnancy: it also carries the pregnancy flag (no
    # deep pressure), so the therapist is warned even if only the high-risk box was ticked.
    effective_history = set(history)
    if HistoryItem.HIGH_RISK_PREGNANCY in history:
        effective_history.add(HistoryItem.PREGNANT)
    for item in HistoryItem:
        if item in effective_history:
            outcome, reason = _HISTORY_RULES[item]
            rules.append(Rule(f"q8.history.{item.value}", outcome, 8, reason))
            if outcome is Outcome.FLAG:
                flags.add(item.value)
            if item is HistoryItem.SKIN_INFECTION:
                restrictions.append(RESTRICTION_AVOID_AFFECTED_AREA)

    # Q9
    if answers.under_care:
        rules.append(
            Rule(
                "q9.under_care",
                Outcome.FLAG,
                9,
                "Under a doctor's or physiotherapist's care for this pain",
            )
        )
        flags.add(FLAG_UNDER_CARE)
    if answers.told_not_to_massage:
        rules.append(
            Rule(
                "q9.told_not_to_massage",
                Outcome.DECLINED,
                9,
                "Has been told not to have massage",
            )
        )

    outcome = min((r.outcome for r in rules), key=lambda o: o.rank, default=Outcome.BOOK)
    return Assessment(
        outcome=outcome,
        rules=tuple(rules),
        flags=frozenset(flags),
        no_deep_pressure=bool(flags & _NO_DEEP_PRESSURE_FLAGS),
        restrictions=tuple(restrictions),
        advice=tuple(advice),
    )


def is_material_change(
    previous: ScreenAnswers,
    current: ScreenAnswers,
    settings: ScreenSettings | None = None,
) -> bool:
    """The "has anything changed?" re-screen (DOMAIN.md section 2).

    A clearance is valid for 6 months for the same episode (the caller checks the dates). The
    change is material, and a new clearance is needed, when any of these holds:

    * the current answers fire a HOLD, URGENT, EMERGENCY or DECLINED rule (by ``Rule.code``)
      that the answers given at clearance did not: a new red flag, a new condition, a score
      that newly crossed the threshold;
    * the pain score rose by ``settings.material_pain_rise`` (default 2) or more;
    * the pain is in a different place (arguably a different episode).

    New FLAG-level items (say, starting blood thinners) are not material: they need no
    clearance, and the current ``assess`` result carries them to the therapist. The caller
    still acts on ``assess(current)`` first: an EMERGENCY or URGENT never books, whatever this
    returns.
    """
    settings = settings or ScreenSettings()

    def clinical_codes(answers: ScreenAnswers) -> set[str]:
        return {r.code for r in assess(answers, settings).rules if r.outcome in _CLINICAL_OUTCOMES}

    if clinical_codes(current) - clinical_codes(previous):
        return True
    if current.pain_score - previous.pain_score >= settings.material_pain_rise:
        return True
    return current.location is not previous.location


# --------------------------------------------------------------------------------------------
# Words the patient sees
# --------------------------------------------------------------------------------------------

# The separate, unticked consent checkbox shown before the questions (DOMAIN.md section 1).
CONSENT_TEXT: Final = (
    "We use your answers only to decide whether to book, hold or redirect your appointment "
    "and to plan your treatment; only your therapist sees them."
)

EMERGENCY_MESSAGE: Final = (
    "Your answers include symptoms that need urgent medical assessment today. "
    "Please call {emergency_number} or go to A&E now. We have not made a booking."
)
URGENT_MESSAGE: Final = (
    "Please speak to a doctor today before booking massage. If you cannot reach your doctor, "
    "call {urgent_number}. We have not made a booking. Once a doctor has seen you, you are "
    "very welcome to come back and book."
)
DECLINED_MESSAGE: Final = (
    "Thank you for telling us. As you have been advised not to have massage, we have not made "
    "a booking. If your doctor or physiotherapist later tells you that massage is fine, you "
    "are very welcome to book with us then."
)
HOLD_MESSAGE: Final = (
    "We have booked your appointment and are keeping the time for you. Before we can confirm "
    "it, we need you to check with a doctor or physiotherapist that massage is right for you, "
    "and then tell us. We will email you what to do next and the deadline. If we do not hear "
    "from you in time, the time is released and there is no charge."
)

_MESSAGES: Final[Mapping[Outcome, str]] = MappingProxyType(
    {
        Outcome.EMERGENCY: EMERGENCY_MESSAGE,
        Outcome.URGENT: URGENT_MESSAGE,
        Outcome.DECLINED: DECLINED_MESSAGE,
        Outcome.HOLD: HOLD_MESSAGE,
    }
)


def patient_message(outcome: Outcome, *, emergency_number: str, urgent_number: str) -> str | None:
    """The message to show for ``outcome``, with the clinic's numbers filled in.

    Returns None for BOOK and FLAG: the patient simply books (flags are for the therapist).
    The numbers are clinic settings (demo clinic: 999 and 111).
    """
    template = _MESSAGES.get(outcome)
    if template is None:
        return None
    return template.format(emergency_number=emergency_number, urgent_number=urgent_number)


class FieldKind(StrEnum):
    """How a question field is answered, so a form can pick the widget."""

    SINGLE_CHOICE = "single_choice"  # radio buttons
    MULTI_CHOICE = "multi_choice"  # checkboxes; none ticked is a valid answer
    YES_NO = "yes_no"  # two radio buttons, values "yes" and "no"
    SCORE = "score"  # radio buttons "0".."10"


@dataclass(frozen=True)
class Choice:
    """One option: ``value`` is sent by the form, ``label`` is what the patient reads."""

    value: str
    label: str


@dataclass(frozen=True)
class QuestionField:
    """One form field of a question: its name in ``parse_answers``, prompt, help and options."""

    name: str
    kind: FieldKind
    text: str
    help: str = ""
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Question:
    """One of the nine questions, with the fields that answer it."""

    number: int
    text: str
    fields: tuple[QuestionField, ...] = field(default_factory=tuple)


def _choices(enum: type[_LabelledChoice]) -> tuple[Choice, ...]:
    return tuple(Choice(m.value, m.label) for m in enum)


_YES_NO_CHOICES: Final = (Choice("yes", "Yes"), Choice("no", "No"))


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
                FieldKind.MULTI_CHOICE,
                "Do you have any of these?",
                "Tick all that apply. Leave them all unticked if none apply.",
                _choices(EmergencySymptom),
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
                "Tick all that apply. Leave them all unticked if none apply.",
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
                "Tick all that apply. Leave them all unticked if none apply.",
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
        ),
    ),
)
