"""The follow-up's questions and rules: strict parsing, the screen's own red-flag rules,
the merged screen that pre-fills the next one, and what counts as a material change."""

from __future__ import annotations

import pytest

from booking.intake import (
    QUESTIONS,
    EmergencySymptom,
    Outcome,
    ScreenError,
    UrgentSymptom,
    sign_field,
)
from booking.intake.followup import (
    FOLLOW_UP_QUESTIONS,
    FollowUpAnswers,
    Progress,
    Reaction,
    as_screen,
    parse_follow_up,
    red_flags,
    review,
)
from tests.support.screens import fine


def form(**changes):
    data = {"pain_now": "3", "progress": "same", "reactions": [], "urgent_symptoms": []}
    data |= {sign_field(s): "no" for s in EmergencySymptom}
    return data | changes


def test_the_form_reuses_the_screens_scale_and_red_flag_questions():
    pain = FOLLOW_UP_QUESTIONS[0].fields[0]
    assert pain.choices == QUESTIONS[2].fields[0].choices
    assert FOLLOW_UP_QUESTIONS[3].fields == QUESTIONS[5].fields  # the 999 signs
    assert FOLLOW_UP_QUESTIONS[4].fields == QUESTIONS[6].fields  # the urgent signs


def test_parsing_is_as_strict_as_the_screen():
    parsed = parse_follow_up(form(reactions=["bruising", "other"], reaction_text="  a bruise "))
    assert parsed.reactions == {Reaction.BRUISING, Reaction.OTHER}
    assert parsed.reaction_text == "a bruise"
    assert parse_follow_up(parsed.to_data()) == parsed
    for bad in ({"pain_now": "07"}, {"pain_now": "11"}, {"progress": "Better"}):
        with pytest.raises(ScreenError):
            parse_follow_up(form(**bad))
    missing = form()
    del missing[sign_field(EmergencySymptom.BOWEL)]
    with pytest.raises(ScreenError) as refused:
        parse_follow_up(missing)
    assert sign_field(EmergencySymptom.BOWEL) in refused.value.errors
    with pytest.raises(ScreenError):
        parse_follow_up(form(reaction_text="x" * 501))


def test_red_flags_are_judged_by_the_screens_rules():
    assert red_flags(parse_follow_up(form())).outcome is Outcome.BOOK
    yes = parse_follow_up(form(**{sign_field(EmergencySymptom.BLADDER): "yes"}))
    assert red_flags(yes).outcome is Outcome.EMERGENCY
    unsure = parse_follow_up(form(**{sign_field(EmergencySymptom.CHEST_PAIN): "not_sure"}))
    assert red_flags(unsure).outcome is Outcome.URGENT
    assert red_flags(unsure).unsure_signs == (EmergencySymptom.CHEST_PAIN,)
    urgent = parse_follow_up(form(urgent_symptoms=["fever_or_unwell"]))
    assert [r.code for r in red_flags(urgent).rules] == ["q7.urgent_symptom.fever_or_unwell"]
    # Pain alone is never a red flag, however high.
    assert red_flags(parse_follow_up(form(pain_now="10"))).outcome is Outcome.BOOK


def test_the_merged_screen_keeps_what_was_not_asked_again():
    before = fine(pain_score=3, urgent_symptoms=[UrgentSymptom.CANCER_HISTORY])
    after = as_screen(before, FollowUpAnswers(6, Progress.WORSE))
    assert after.pain_score == 6 and after.location is before.location
    assert after.urgent_symptoms == frozenset()  # asked again, answered none


def test_material_changes_follow_the_rescreen():
    before = fine(pain_score=3)
    assert not review(FollowUpAnswers(4, Progress.SAME), before).needs_review
    risen = review(FollowUpAnswers(5, Progress.WORSE), before)
    assert risen.changes == ("pain_rise",) and risen.needs_review
    severe = review(FollowUpAnswers(7, Progress.WORSE), fine(pain_score=6))
    assert "new_rule:q3.pain_score_at_least_threshold" in severe.changes
    flagged = review(
        FollowUpAnswers(3, Progress.SAME, urgent_symptoms=["night_or_rest_pain"]), before
    )
    assert flagged.red_flags and flagged.needs_review
    # Without an earlier screen only red flags count.
    assert review(FollowUpAnswers(9, Progress.WORSE), None).changes == ()
