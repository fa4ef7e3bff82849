"""The pain screen's rules (DOMAIN.md section 1): every answer that changes the outcome."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from booking.intake import (
    ADVICE_PAIN_ELSEWHERE,
    OUTCOME_PRECEDENCE,
    RESTRICTION_AVOID_AFFECTED_AREA,
    EmergencySymptom,
    HistoryItem,
    Outcome,
    PainDuration,
    PainLocation,
    RecentInjury,
    ScreenAnswers,
    ScreenSettings,
    UrgentSymptom,
    assess,
)

E = EmergencySymptom
U = UrgentSymptom
H = HistoryItem


def make(**changes: object) -> ScreenAnswers:
    """A screen that books with nothing to note, changed as given."""
    base = ScreenAnswers(
        location=PainLocation.LOWER_BACK,
        duration=PainDuration.UNDER_4_WEEKS,
        sudden_onset=False,
        pain_score=3,
        disturbs_sleep_or_daily_life=False,
        recent_injury=RecentInjury.NONE,
        long_term_steroids=False,
    )
    return dataclasses.replace(base, **changes)


def test_nothing_to_note_books() -> None:
    result = assess(make())
    assert result.outcome is Outcome.BOOK
    assert result.rules == ()
    assert result.flags == frozenset()
    assert not result.no_deep_pressure
    assert result.advice == ()
    assert result.restrictions == ()
    assert result.makes_booking and not result.needs_clearance


# (changes, expected outcome, the codes of every rule that fires, in order)
SINGLE_ANSWERS = [
    # Q1
    ({"location": PainLocation.LOWER_BACK}, Outcome.BOOK, ()),
    ({"location": PainLocation.WHOLE_BACK}, Outcome.BOOK, ()),
    (
        {"location": PainLocation.BETWEEN_SHOULDER_BLADES},
        Outcome.URGENT,
        ("q1.between_shoulder_blades",),
    ),
    ({"location": PainLocation.ELSEWHERE}, Outcome.BOOK, ()),
    # Q2: stored for the therapist, never changes the outcome
    ({"duration": PainDuration.FROM_4_TO_12_WEEKS}, Outcome.BOOK, ()),
    ({"duration": PainDuration.OVER_12_WEEKS, "sudden_onset": True}, Outcome.BOOK, ()),
    # Q3 at the default threshold of 7
    ({"pain_score": 0}, Outcome.BOOK, ()),
    ({"pain_score": 6}, Outcome.BOOK, ()),
    ({"pain_score": 7}, Outcome.HOLD, ("q3.pain_score_at_least_threshold",)),
    ({"pain_score": 10}, Outcome.HOLD, ("q3.pain_score_at_least_threshold",)),
    # Q4
    ({"disturbs_sleep_or_daily_life": True}, Outcome.HOLD, ("q4.disturbs_sleep_or_daily_life",)),
    # Q5
    ({"recent_injury": RecentInjury.SERIOUS_ACCIDENT}, Outcome.EMERGENCY, ("q5.serious_accident",)),
    ({"recent_injury": RecentInjury.MINOR_FALL}, Outcome.HOLD, ("q5.minor_fall",)),
    (
        {"recent_injury": RecentInjury.MINOR_FALL, "long_term_steroids": True},
        Outcome.URGENT,
        ("q5.minor_fall_with_fragile_bones",),
    ),
    (
        {"recent_injury": RecentInjury.MINOR_FALL, "history": frozenset({H.OSTEOPOROSIS})},
        Outcome.URGENT,
        ("q5.minor_fall_with_fragile_bones", "q8.history.osteoporosis"),
    ),
    # Steroids alone, without a fall, change nothing.
    ({"long_term_steroids": True}, Outcome.BOOK, ()),
    # Q6: each symptom on its own
    *[
        (
            {"emergency_symptoms": frozenset({s})},
            Outcome.EMERGENCY,
            (f"q6.emergency_symptom.{s.value}",),
        )
        for s in EmergencySymptom
    ],
    # Q7
    *[
        ({"urgent_symptoms": frozenset({s})}, Outcome.URGENT, (f"q7.urgent_symptom.{s.value}",))
        for s in UrgentSymptom
    ],
    # Q8
    (
        {"history": frozenset({H.RECENT_SURGERY_OR_FRACTURE})},
        Outcome.HOLD,
        ("q8.history.recent_surgery_or_fracture",),
    ),
    ({"history": frozenset({H.BLOOD_CLOT})}, Outcome.HOLD, ("q8.history.blood_clot",)),
    ({"history": frozenset({H.BLOOD_THINNERS})}, Outcome.FLAG, ("q8.history.blood_thinners",)),
    ({"history": frozenset({H.OSTEOPOROSIS})}, Outcome.FLAG, ("q8.history.osteoporosis",)),
    ({"history": frozenset({H.PREGNANT})}, Outcome.FLAG, ("q8.history.pregnant",)),
    (
        {"history": frozenset({H.HIGH_RISK_PREGNANCY})},
        Outcome.HOLD,
        ("q8.history.pregnant", "q8.history.high_risk_pregnancy"),
    ),
    ({"history": frozenset({H.SKIN_INFECTION})}, Outcome.HOLD, ("q8.history.skin_infection",)),
    # Q9
    ({"under_care": True}, Outcome.FLAG, ("q9.under_care",)),
    ({"told_not_to_massage": True}, Outcome.DECLINED, ("q9.told_not_to_massage",)),
]


@pytest.mark.parametrize(
    ("changes", "outcome", "codes"),
    SINGLE_ANSWERS,
    ids=[f"{'-'.join(f'{k}={v}' for k, v in c.items())}" for c, _, _ in SINGLE_ANSWERS],
)
def test_each_answer(changes: dict[str, object], outcome: Outcome, codes: tuple[str, ...]) -> None:
    result = assess(make(**changes))
    assert result.outcome is outcome
    assert result.codes == codes
    assert all(r.reason for r in result.rules)


def test_every_outcome_is_reachable() -> None:
    assert {outcome for _, outcome, _ in SINGLE_ANSWERS} == set(Outcome)


def test_precedence_order() -> None:
    assert OUTCOME_PRECEDENCE == (
        Outcome.EMERGENCY,
        Outcome.URGENT,
        Outcome.DECLINED,
        Outcome.HOLD,
        Outcome.FLAG,
        Outcome.BOOK,
    )


EMERGENCY = {"emergency_symptoms": frozenset({E.BLADDER})}
URGENT = {"urgent_symptoms": frozenset({U.FEVER_OR_UNWELL})}
DECLINED = {"told_not_to_massage": True}
HOLD = {"disturbs_sleep_or_daily_life": True}
FLAG = {"under_care": True}


@pytest.mark.parametrize(
    ("parts", "outcome", "codes"),
    [
        (
            [EMERGENCY, URGENT],
            Outcome.EMERGENCY,
            ("q6.emergency_symptom.bladder", "q7.urgent_symptom.fever_or_unwell"),
        ),
        (
            [URGENT, DECLINED],
            Outcome.URGENT,
            ("q7.urgent_symptom.fever_or_unwell", "q9.told_not_to_massage"),
        ),
        (
            [DECLINED, HOLD],
            Outcome.DECLINED,
            ("q4.disturbs_sleep_or_daily_life", "q9.told_not_to_massage"),
        ),
        ([HOLD, FLAG], Outcome.HOLD, ("q4.disturbs_sleep_or_daily_life", "q9.under_care")),
        ([FLAG], Outcome.FLAG, ("q9.under_care",)),
        ([], Outcome.BOOK, ()),
        (
            [EMERGENCY, URGENT, DECLINED, HOLD, FLAG],
            Outcome.EMERGENCY,
            (
                "q4.disturbs_sleep_or_daily_life",
                "q6.emergency_symptom.bladder",
                "q7.urgent_symptom.fever_or_unwell",
                "q9.under_care",
                "q9.told_not_to_massage",
            ),
        ),
    ],
)
def test_precedence(
    parts: list[dict[str, object]], outcome: Outcome, codes: tuple[str, ...]
) -> None:
    changes: dict[str, object] = {}
    for part in parts:
        changes.update(part)
    result = assess(make(**changes))
    assert result.outcome is outcome
    assert result.codes == codes  # every rule that fired, not just the winner


def test_flag_only_with_pressure_flag_means_no_deep_pressure() -> None:
    result = assess(make(history=frozenset({H.BLOOD_THINNERS})))
    assert result.outcome is Outcome.FLAG
    assert result.no_deep_pressure
    assert result.flags == {"blood_thinners"}
    assert result.makes_booking and not result.needs_clearance


@pytest.mark.parametrize(
    ("changes", "flags", "no_deep_pressure"),
    [
        ({"history": frozenset({H.BLOOD_THINNERS})}, {"blood_thinners"}, True),
        ({"history": frozenset({H.OSTEOPOROSIS})}, {"osteoporosis"}, True),
        ({"history": frozenset({H.PREGNANT})}, {"pregnant"}, True),
        ({"history": frozenset({H.HIGH_RISK_PREGNANCY})}, {"pregnant"}, True),
        ({"history": frozenset({H.SKIN_INFECTION})}, {"skin_infection"}, False),
        ({"under_care": True}, {"under_care"}, False),
        (
            {"under_care": True, "history": frozenset({H.SKIN_INFECTION, H.OSTEOPOROSIS})},
            {"under_care", "skin_infection", "osteoporosis"},
            True,
        ),
        # HOLD-level history items are not flags.
        ({"history": frozenset({H.BLOOD_CLOT, H.RECENT_SURGERY_OR_FRACTURE})}, set(), False),
    ],
)
def test_flags_and_deep_pressure(
    changes: dict[str, object], flags: set[str], no_deep_pressure: bool
) -> None:
    result = assess(make(**changes))
    assert result.flags == flags
    assert result.no_deep_pressure is no_deep_pressure


def test_flags_survive_a_hold() -> None:
    # The therapist still needs to know about blood thinners when the booking is held.
    result = assess(make(pain_score=9, history=frozenset({H.BLOOD_THINNERS})))
    assert result.outcome is Outcome.HOLD
    assert result.flags == {"blood_thinners"}
    assert result.no_deep_pressure


def test_skin_infection_restricts_the_area() -> None:
    result = assess(make(history=frozenset({H.SKIN_INFECTION})))
    assert result.restrictions == (RESTRICTION_AVOID_AFFECTED_AREA,)


def test_pain_elsewhere_is_advice_not_an_outcome() -> None:
    result = assess(make(location=PainLocation.ELSEWHERE))
    assert result.outcome is Outcome.BOOK
    assert result.advice == (ADVICE_PAIN_ELSEWHERE,)
    assert "contact the clinic" in ADVICE_PAIN_ELSEWHERE


def test_minor_fall_reason_names_the_fragility() -> None:
    result = assess(
        make(
            recent_injury=RecentInjury.MINOR_FALL,
            long_term_steroids=True,
            history=frozenset({H.OSTEOPOROSIS}),
        )
    )
    assert result.rules[0].reason.endswith("with osteoporosis and long-term steroids")


def test_reason_states_score_and_threshold() -> None:
    (rule,) = assess(make(pain_score=8)).rules
    assert rule.reason == "Pain 8/10 is at or above the hold threshold of 7"
    assert rule.question == 3


@pytest.mark.parametrize(
    ("score", "threshold", "holds"),
    [(6, 6, True), (5, 6, False), (7, 8, False), (8, 8, True), (10, 11, False), (0, 0, True)],
)
def test_threshold_is_a_setting(score: int, threshold: int, holds: bool) -> None:
    result = assess(make(pain_score=score), ScreenSettings(hold_pain_score=threshold))
    assert (result.outcome is Outcome.HOLD) is holds
    assert ("q3.pain_score_at_least_threshold" in result.codes) is holds


@pytest.mark.parametrize(
    "kwargs",
    [
        {"hold_pain_score": -1},
        {"hold_pain_score": 12},
        {"hold_pain_score": True},
        {"hold_pain_score": 7.0},
        {"material_pain_rise": 0},
        {"material_pain_rise": "2"},
    ],
)
def test_settings_are_validated(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScreenSettings(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "makes_booking", "needs_clearance"),
    [
        (Outcome.EMERGENCY, False, False),
        (Outcome.URGENT, False, False),
        (Outcome.DECLINED, False, False),
        (Outcome.HOLD, True, True),
        (Outcome.FLAG, True, False),
        (Outcome.BOOK, True, False),
    ],
)
def test_booking_helpers(outcome: Outcome, makes_booking: bool, needs_clearance: bool) -> None:
    from booking.intake import Assessment

    result = Assessment(outcome=outcome)
    assert result.makes_booking is makes_booking
    assert result.needs_clearance is needs_clearance
    assert result.may_store_answers is (outcome is not Outcome.EMERGENCY)


def test_deciding_rules_are_those_of_the_outcome() -> None:
    result = assess(make(pain_score=9, under_care=True))
    assert [r.code for r in result.deciding_rules] == ["q3.pain_score_at_least_threshold"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("pain_score", -1),
        ("pain_score", 11),
        ("pain_score", True),
        ("pain_score", 7.0),
        ("pain_score", "7"),
        ("location", "upper_back"),
        ("under_care", "yes"),
        ("emergency_symptoms", frozenset({"headache"})),
        ("history", "pregnant"),
    ],
)
def test_answers_cannot_be_built_invalid(field: str, value: object) -> None:
    with pytest.raises(ValueError):
        make(**{field: value})


def test_answers_canonicalise_strings_to_members() -> None:
    answers = make(location="whole_back", emergency_symptoms=["bladder"])
    assert answers.location is PainLocation.WHOLE_BACK
    assert answers.emergency_symptoms == frozenset({E.BLADDER})
    assert type(answers.emergency_symptoms) is frozenset


def _rank(outcome: Outcome) -> int:
    return OUTCOME_PRECEDENCE.index(outcome)


screens = st.builds(
    ScreenAnswers,
    location=st.sampled_from(PainLocation),
    duration=st.sampled_from(PainDuration),
    sudden_onset=st.booleans(),
    pain_score=st.integers(0, 10),
    disturbs_sleep_or_daily_life=st.booleans(),
    recent_injury=st.sampled_from(RecentInjury),
    long_term_steroids=st.booleans(),
    emergency_symptoms=st.frozensets(st.sampled_from(EmergencySymptom)),
    seen_doctor_since_onset=st.booleans(),
    urgent_symptoms=st.frozensets(st.sampled_from(UrgentSymptom)),
    history=st.frozensets(st.sampled_from(HistoryItem)),
    under_care=st.booleans(),
    told_not_to_massage=st.booleans(),
)


@given(screens)
def test_outcome_is_the_most_serious_rule(answers: ScreenAnswers) -> None:
    result = assess(answers)
    outcomes = [r.outcome for r in result.rules]
    if result.seen_doctor:  # the way back: URGENT becomes a held booking
        outcomes = [o for o in outcomes if o is not Outcome.URGENT]
    expected = min(outcomes, key=_rank, default=Outcome.BOOK)
    assert result.outcome is expected
    assert [r.question for r in result.rules] == sorted(r.question for r in result.rules)
    assert len(set(result.codes)) == len(result.codes)
    assert assess(answers) == result  # deterministic


@given(screens, st.sampled_from(EmergencySymptom))
def test_any_emergency_symptom_wins(answers: ScreenAnswers, symptom: EmergencySymptom) -> None:
    answers = dataclasses.replace(answers, emergency_symptoms=frozenset({symptom}))
    assert assess(answers).outcome is Outcome.EMERGENCY


@given(screens, st.sampled_from(HistoryItem), st.sampled_from(UrgentSymptom))
def test_ticking_more_never_makes_it_less_serious(
    answers: ScreenAnswers, item: HistoryItem, urgent: UrgentSymptom
) -> None:
    before = _rank(assess(answers).outcome)
    after = dataclasses.replace(answers, history=answers.history | {item})
    assert _rank(assess(after).outcome) <= before
    after = dataclasses.replace(
        answers, urgent_symptoms=answers.urgent_symptoms | {urgent}, seen_doctor_since_onset=False
    )
    assert _rank(assess(after).outcome) <= min(before, _rank(Outcome.URGENT))
