"""The screen's rules (DOMAIN.md section 1): answers -> the rules that fire -> one outcome."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from booking.intake.answers import ScreenAnswers, ScreenSettings
from booking.intake.choices import (
    EmergencySymptom,
    HistoryItem,
    PainLocation,
    RecentInjury,
    UrgentSymptom,
)


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
CLINICAL_OUTCOMES: Final = frozenset(
    {Outcome.EMERGENCY, Outcome.URGENT, Outcome.DECLINED, Outcome.HOLD}
)


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
# Urgent signs, but a doctor has seen them since they began: held for clearance instead.
FLAG_SEEN_DOCTOR: Final = "seen_doctor_since_onset"

# FLAG rules that rule out deep pressure (DOMAIN.md: blood thinners, osteoporosis, pregnancy).
_NO_DEEP_PRESSURE_FLAGS: Final = frozenset({FLAG_BLOOD_THINNERS, FLAG_OSTEOPOROSIS, FLAG_PREGNANT})

RESTRICTION_AVOID_AFFECTED_AREA: Final = "Avoid the affected area (skin problem on the back)."
ADVICE_PAIN_ELSEWHERE: Final = (
    "Your pain is not in your back. Please contact the clinic so we can check that we are "
    "the right people to help before you come in."
)


@dataclass(frozen=True)
class Assessment:
    """The result of the screen.

    ``outcome`` is the most serious outcome of ``rules`` by ``OUTCOME_PRECEDENCE`` (BOOK when
    no rule fired), except that URGENT becomes HOLD when a doctor has seen the patient about
    these symptoms since they began (``seen_doctor``). ``rules`` lists every rule that fired,
    in question order, not only the winner, so the therapist sees the whole picture. ``flags``
    names the FLAG-level findings; ``no_deep_pressure`` is true when any of them rules out
    deep pressure; ``restrictions`` and ``advice`` are plain-words lines for the therapist and
    the patient respectively; ``unsure_signs`` are the 999 signs answered "not sure".
    """

    outcome: Outcome
    rules: tuple[Rule, ...] = ()
    flags: frozenset[str] = frozenset()
    no_deep_pressure: bool = False
    restrictions: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    unsure_signs: tuple[EmergencySymptom, ...] = ()
    seen_doctor: bool = False

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
        if self.seen_doctor:
            return tuple(r for r in self.rules if r.outcome in (Outcome.URGENT, Outcome.HOLD))
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
        HistoryItem.SKIN_INFECTION: (
            Outcome.HOLD,
            "Skin infection, rash or open wound on the back",
        ),
    }
)


def _q1(answers: ScreenAnswers, rules: list[Rule], advice: list[str]) -> None:
    if answers.location is PainLocation.BETWEEN_SHOULDER_BLADES:
        # Pain mainly between the shoulder blades can come from the heart, lungs or aorta:
        # the NHS sends it to an urgent GP appointment or 111.
        rules.append(
            Rule(
                "q1.between_shoulder_blades",
                Outcome.URGENT,
                1,
                "Pain is mainly between the shoulder blades",
            )
        )
    elif answers.location is PainLocation.ELSEWHERE:
        advice.append(ADVICE_PAIN_ELSEWHERE)


def _q5(answers: ScreenAnswers, rules: list[Rule]) -> None:
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
                ("osteoporosis", HistoryItem.OSTEOPOROSIS in answers.history),
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


def _q6(answers: ScreenAnswers, rules: list[Rule]) -> None:
    # One rule per sign so the record shows exactly what was answered. "Not sure" is not a
    # "no": it sends the patient to a doctor today with the 999 signs spelled out.
    for sign in EmergencySymptom:
        if sign in answers.emergency_symptoms:
            rules.append(
                Rule(f"q6.emergency_symptom.{sign.value}", Outcome.EMERGENCY, 6, sign.label)
            )
        elif sign in answers.emergency_unsure:
            rules.append(
                Rule(f"q6.not_sure.{sign.value}", Outcome.URGENT, 6, f"Not sure: {sign.label}")
            )


def _q8(answers: ScreenAnswers, rules: list[Rule], flags: set[str], restrictions: list[str]):
    # A high-risk pregnancy is still a pregnancy: it also carries the pregnancy flag (no
    # deep pressure), so the therapist is warned even if only the high-risk box was ticked.
    effective = set(answers.history)
    if HistoryItem.HIGH_RISK_PREGNANCY in effective:
        effective.add(HistoryItem.PREGNANT)
    for item in HistoryItem:
        if item in effective:
            outcome, reason = _HISTORY_RULES[item]
            rules.append(Rule(f"q8.history.{item.value}", outcome, 8, reason))
            if outcome is Outcome.FLAG:
                flags.add(item.value)
            if item is HistoryItem.SKIN_INFECTION:
                flags.add(FLAG_SKIN_INFECTION)
                restrictions.append(RESTRICTION_AVOID_AFFECTED_AREA)


def _q9(answers: ScreenAnswers, rules: list[Rule], flags: set[str]) -> None:
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
            Rule("q9.told_not_to_massage", Outcome.DECLINED, 9, "Has been told not to have massage")
        )


def assess(answers: ScreenAnswers, settings: ScreenSettings | None = None) -> Assessment:
    """Apply the DOMAIN.md section 1 rules to ``answers``; pure and deterministic.

    Rules are listed in question order and, within a question, in the declaration order of its
    choices. Q1 "elsewhere" adds advice only; Q2 is stored for the therapist and fires nothing.
    When two rules could apply to one answer, both fire and the stricter outcome wins.
    """
    settings = settings or ScreenSettings()
    rules: list[Rule] = []
    flags: set[str] = set()
    restrictions: list[str] = []
    advice: list[str] = []

    _q1(answers, rules, advice)
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
    if answers.disturbs_sleep_or_daily_life:
        rules.append(
            Rule(
                "q4.disturbs_sleep_or_daily_life",
                Outcome.HOLD,
                4,
                "Pain stops them sleeping or makes getting up, washing or dressing very hard",
            )
        )
    _q5(answers, rules)
    _q6(answers, rules)
    for urgent in UrgentSymptom:
        if urgent in answers.urgent_symptoms:
            rules.append(Rule(f"q7.urgent_symptom.{urgent.value}", Outcome.URGENT, 7, urgent.label))
    _q8(answers, rules, flags, restrictions)
    _q9(answers, rules, flags)

    outcome = min((r.outcome for r in rules), key=lambda o: o.rank, default=Outcome.BOOK)
    seen_doctor = outcome is Outcome.URGENT and answers.seen_doctor_since_onset
    if seen_doctor:
        # The way back from URGENT: the doctor's view is then asked for as a clearance. It
        # never softens an EMERGENCY (which wins above) nor a clinician's "no massage".
        rules.append(
            Rule(
                "q9.seen_doctor_since_onset",
                Outcome.HOLD,
                9,
                "A doctor has seen them about these symptoms since they began",
            )
        )
        flags.add(FLAG_SEEN_DOCTOR)
        outcome = min(
            (r.outcome for r in rules if r.outcome is not Outcome.URGENT),
            key=lambda o: o.rank,
        )
    return Assessment(
        outcome=outcome,
        rules=tuple(rules),
        flags=frozenset(flags),
        no_deep_pressure=bool(flags & _NO_DEEP_PRESSURE_FLAGS),
        restrictions=tuple(restrictions),
        advice=tuple(advice),
        unsure_signs=tuple(s for s in EmergencySymptom if s in answers.emergency_unsure),
        seen_doctor=seen_doctor,
    )
