"""The screen's answers as a validated value, its settings, and strict parsing of what a web
form or a JSON body sent."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from booking.intake.choices import (
    _C,
    _E,
    LEGACY_CANCER_TREATMENT,
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    SignAnswer,
    UrgentSymptom,
)


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
    ``emergency_symptoms`` are the 999 signs answered "yes", ``emergency_unsure`` those
    answered "not sure"; every other sign was answered "no".
    """

    location: PainLocation  # Q1
    duration: PainDuration  # Q2
    sudden_onset: bool  # Q2
    pain_score: int  # Q3, 0..10
    disturbs_sleep_or_daily_life: bool  # Q4
    recent_injury: RecentInjury  # Q5
    long_term_steroids: bool  # asked with Q5: it turns a minor fall into URGENT
    emergency_symptoms: frozenset[EmergencySymptom] = frozenset()  # Q6 "yes"
    urgent_symptoms: frozenset[UrgentSymptom] = frozenset()  # Q7
    history: frozenset[HistoryItem] = frozenset()  # Q8
    under_care: bool = False  # Q9
    told_not_to_massage: bool = False  # Q9
    emergency_unsure: frozenset[EmergencySymptom] = frozenset()  # Q6 "not sure"
    # Asked with Q9: a doctor has seen them about these symptoms since they began (the way
    # back from URGENT to a held booking).
    seen_doctor_since_onset: bool = False

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
            "seen_doctor_since_onset",
        ):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False")
        for name, enum in (
            ("emergency_symptoms", EmergencySymptom),
            ("emergency_unsure", EmergencySymptom),
            ("urgent_symptoms", UrgentSymptom),
            ("history", HistoryItem),
        ):
            object.__setattr__(self, name, _frozen_members(enum, getattr(self, name), name))
        if self.emergency_symptoms & self.emergency_unsure:
            raise ValueError("a 999 sign cannot be answered both yes and not sure")

    def sign_answer(self, sign: EmergencySymptom) -> SignAnswer:
        """The answer given for one 999 sign."""
        if sign in self.emergency_symptoms:
            return SignAnswer.YES
        if sign in self.emergency_unsure:
            return SignAnswer.NOT_SURE
        return SignAnswer.NO

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
            "emergency_unsure": [s.value for s in EmergencySymptom if s in self.emergency_unsure],
            "urgent_symptoms": [s.value for s in UrgentSymptom if s in self.urgent_symptoms],
            "history": [h.value for h in HistoryItem if h in self.history],
            "under_care": self.under_care,
            "told_not_to_massage": self.told_not_to_massage,
            "seen_doctor_since_onset": self.seen_doctor_since_onset,
        }


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
SIGN_MESSAGE: Final = "Choose yes, no or not sure."
_YES_NO_MESSAGE: Final = "Choose yes or no."
_MULTI_MESSAGE: Final = "Choose only from the options listed."

# The web form asks each 999 sign as its own yes / no / not sure radio group named
# "<SIGN_FIELD_PREFIX><sign>"; a JSON body may send the two lists instead.
SIGN_FIELD_PREFIX: Final = "sign_"

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


def _parse_optional_bool(value: object) -> bool:
    # Added to the screen later: older clients that do not send it answered "no".
    return False if value is None else _parse_bool(value)


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


def _list_items(value: object, allowed: Iterable[str]) -> list[str]:
    # Unticked checkboxes send nothing, so absence (or an empty list) means "none of these".
    if value is None:
        return []
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple | set | frozenset):
        raise ValueError(_MULTI_MESSAGE)
    allowed = set(allowed)
    for item in items:
        if not isinstance(item, str) or item not in allowed:
            raise ValueError(_MULTI_MESSAGE)
    return list(items)


def _parser_for_multi(enum: type[_C]) -> Callable[[object], frozenset[_C]]:
    def parse(value: object) -> frozenset[_C]:
        return frozenset(enum(v) for v in _list_items(value, (m.value for m in enum)))

    return parse


def _parse_history(value: object) -> frozenset[HistoryItem]:
    allowed = [m.value for m in HistoryItem] + [LEGACY_CANCER_TREATMENT]
    return frozenset(
        HistoryItem(v) for v in _list_items(value, allowed) if v != LEGACY_CANCER_TREATMENT
    )


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
    ("urgent_symptoms", _parser_for_multi(UrgentSymptom), True),
    ("history", _parse_history, True),
    ("under_care", _parse_bool, False),
    ("told_not_to_massage", _parse_bool, False),
    ("seen_doctor_since_onset", _parse_optional_bool, False),
)


def _parse_signs(data: Mapping[str, object], errors: dict[str, str]) -> dict[str, object]:
    """Q6 from per-sign radio groups (the web form) or from the two lists (JSON)."""
    per_sign = {s: data.get(SIGN_FIELD_PREFIX + s.value) for s in EmergencySymptom}
    if any(v is not None for v in per_sign.values()):
        # The form asks every sign: each one needs its own answer, never a silent "no".
        yes, unsure = set(), set()
        for sign, raw in per_sign.items():
            if raw == SignAnswer.YES.value:
                yes.add(sign)
            elif raw == SignAnswer.NOT_SURE.value:
                unsure.add(sign)
            elif raw != SignAnswer.NO.value:
                errors[SIGN_FIELD_PREFIX + sign.value] = SIGN_MESSAGE
        return {"emergency_symptoms": frozenset(yes), "emergency_unsure": frozenset(unsure)}
    values: dict[str, object] = {}
    for name in ("emergency_symptoms", "emergency_unsure"):
        try:
            values[name] = _parser_for_multi(EmergencySymptom)(_raw_list(data, name))
        except ValueError as exc:
            errors[name] = str(exc)
    if not errors.keys() & {"emergency_symptoms", "emergency_unsure"}:
        # "Yes" and "not sure" to one sign: the stricter answer stands.
        values["emergency_unsure"] = values["emergency_unsure"] - values["emergency_symptoms"]  # type: ignore[operator]
    return values


def parse_answers(data: Mapping[str, object]) -> ScreenAnswers:
    """Validate a submitted screen strictly and return ``ScreenAnswers``.

    Accepts a plain mapping (a JSON object) or a multi-valued form mapping with ``getlist``.

    * Single choices: the exact enum value (``"lower_back"``); no trimming or case folding.
    * Yes/no fields: JSON ``true``/``false`` or the strings ``"yes"``/``"no"``. Required,
      except ``seen_doctor_since_onset`` (absent means no).
    * ``pain_score``: a JSON integer 0..10 (not a bool, not a float) or exactly one of the
      ASCII strings ``"0"``..``"10"``; ``"07"``, ``" 7"``, ``"+7"``, ``"-0"``, ``"7.0"`` and
      non-ASCII digits such as a fullwidth 7 are all rejected with "Choose a number from 0
      to 10.".
    * The 999 signs (Q6): either one field ``sign_<sign>`` per sign, each ``"yes"``,
      ``"no"`` or ``"not_sure"`` and all required (the web form), or the lists
      ``emergency_symptoms`` (yes) and ``emergency_unsure`` (not sure), absent meaning none.
    * Ticked lists (Q7, Q8): a list of exact values or one value; absent means none ticked,
      because unticked checkboxes send nothing. A stored ``cancer_treatment`` in the history
      (asked in Q8 before) is read as the Q7 cancer answer.

    Keys that are not answers (the CSRF token, the consent box) are ignored: the consent is
    checked by the caller. Raises ``ScreenError`` listing every invalid field.
    """
    values: dict[str, object] = {}
    errors: dict[str, str] = {}
    for name, parser, is_list in _FIELD_PARSERS:
        if name == "urgent_symptoms":
            values.update(_parse_signs(data, errors))  # Q6 comes before Q7
        raw = _raw_list(data, name) if is_list else data.get(name)
        try:
            values[name] = parser(raw)
        except ValueError as exc:
            errors[name] = str(exc)
    if errors:
        first = next(iter(errors))
        raise ScreenError(first, errors[first], errors)
    raw_history = _raw_list(data, "history") or ()
    if LEGACY_CANCER_TREATMENT in (
        raw_history if not isinstance(raw_history, str) else [raw_history]
    ):
        values["urgent_symptoms"] = values["urgent_symptoms"] | {UrgentSymptom.CANCER_HISTORY}  # type: ignore[operator]
    return ScreenAnswers(**values)  # type: ignore[arg-type]


def sign_field(sign: EmergencySymptom | str) -> str:
    """The web form's field name for one 999 sign."""
    return SIGN_FIELD_PREFIX + (sign.value if isinstance(sign, StrEnum) else sign)
