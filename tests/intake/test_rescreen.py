"""is_material_change: the "has anything changed?" re-screen (DOMAIN.md section 2)."""

from __future__ import annotations

import dataclasses

import pytest

from booking.intake import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    ScreenAnswers,
    ScreenSettings,
    UrgentSymptom,
    is_material_change,
    material_changes,
)

# The answers given when the clearance was obtained: a HOLD for pain 7/10 and a blood clot.
CLEARED = ScreenAnswers(
    location=PainLocation.LOWER_BACK,
    duration=PainDuration.FROM_4_TO_12_WEEKS,
    sudden_onset=False,
    pain_score=7,
    disturbs_sleep_or_daily_life=False,
    recent_injury=RecentInjury.NONE,
    long_term_steroids=False,
    history=frozenset({HistoryItem.BLOOD_CLOT}),
)


@pytest.mark.parametrize(
    ("changes", "material"),
    [
        ({}, False),
        # Better or slightly worse pain is not material; a rise of 2 or more is.
        ({"pain_score": 3}, False),
        ({"pain_score": 8}, False),
        ({"pain_score": 9}, True),
        # A different place.
        ({"location": PainLocation.WHOLE_BACK}, True),
        ({"location": PainLocation.BETWEEN_SHOULDER_BLADES}, True),
        # Things that already held at clearance are not new.
        ({"history": frozenset()}, False),
        # New HOLD, URGENT, EMERGENCY or DECLINED rules are material.
        ({"disturbs_sleep_or_daily_life": True}, True),
        ({"recent_injury": RecentInjury.MINOR_FALL}, True),
        ({"urgent_symptoms": frozenset({UrgentSymptom.CANCER_HISTORY})}, True),
        ({"urgent_symptoms": frozenset({UrgentSymptom.UNEXPLAINED_WEIGHT_LOSS})}, True),
        ({"emergency_symptoms": frozenset({EmergencySymptom.CHEST_PAIN})}, True),
        ({"told_not_to_massage": True}, True),
        # Any new question-8 item is material, even one that alone would only flag.
        ({"history": frozenset({HistoryItem.BLOOD_CLOT, HistoryItem.BLOOD_THINNERS})}, True),
        ({"history": frozenset({HistoryItem.BLOOD_CLOT, HistoryItem.PREGNANT})}, True),
        ({"history": frozenset({HistoryItem.BLOOD_CLOT, HistoryItem.SKIN_INFECTION})}, True),
        (
            {
                "history": frozenset(
                    {HistoryItem.BLOOD_CLOT, HistoryItem.RECENT_SURGERY_OR_FRACTURE}
                )
            },
            True,
        ),
        # A 999 sign now "not sure" is a new urgent answer.
        ({"emergency_unsure": frozenset({EmergencySymptom.BLADDER})}, True),
        # Being under care is no new clinical fact.
        ({"under_care": True}, False),
        # Q2 is for the therapist only.
        ({"duration": PainDuration.OVER_12_WEEKS, "sudden_onset": True}, False),
    ],
)
def test_material_change(changes: dict[str, object], material: bool) -> None:
    current = dataclasses.replace(CLEARED, **changes)
    assert is_material_change(CLEARED, current) is material


def test_a_score_newly_crossing_the_threshold_is_material() -> None:
    previous = dataclasses.replace(CLEARED, pain_score=6)
    assert is_material_change(previous, dataclasses.replace(previous, pain_score=7))


def test_a_hold_rule_that_was_already_there_is_not_new_even_at_a_higher_score() -> None:
    current = dataclasses.replace(CLEARED, pain_score=8)
    assert not is_material_change(CLEARED, current)


def test_the_rise_and_threshold_are_settings() -> None:
    current = dataclasses.replace(CLEARED, pain_score=8)
    assert is_material_change(CLEARED, current, ScreenSettings(material_pain_rise=1))
    previous = dataclasses.replace(CLEARED, pain_score=5)
    current = dataclasses.replace(CLEARED, pain_score=6)
    assert is_material_change(previous, current, ScreenSettings(hold_pain_score=6))
    assert not is_material_change(previous, current)


def test_material_changes_name_what_changed() -> None:
    current = dataclasses.replace(
        CLEARED, history=frozenset({HistoryItem.BLOOD_CLOT, HistoryItem.BLOOD_THINNERS})
    )
    assert material_changes(CLEARED, current) == ("new_history:blood_thinners",)
    assert material_changes(CLEARED, CLEARED) == ()
