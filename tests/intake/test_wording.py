"""The words the patient reads: consent, questions, choices and outcome messages."""

from __future__ import annotations

import dataclasses

import pytest

from booking.intake import (
    CONSENT_TEXT,
    DECLINED_MESSAGE,
    EMERGENCY_MESSAGE,
    HOLD_MESSAGE,
    HOLD_SCREEN_MESSAGE,
    QUESTIONS,
    URGENT_MESSAGE,
    URGENT_WAY_BACK,
    EmergencySymptom,
    FieldKind,
    HistoryItem,
    Outcome,
    PainDuration,
    PainLocation,
    RecentInjury,
    ScreenAnswers,
    UrgentSymptom,
    assess,
    outcome_text,
    parse_answers,
    patient_message,
    safety_net,
    sign_field,
)

CHOICE_ENUMS = [
    PainLocation,
    PainDuration,
    RecentInjury,
    EmergencySymptom,
    UrgentSymptom,
    HistoryItem,
]


def test_consent_wording_matches_the_domain() -> None:
    assert CONSENT_TEXT == (
        "We use your answers only to decide whether to book, hold or redirect your appointment "
        "and to plan your treatment; only your therapist sees them."
    )


def test_there_are_nine_questions_in_order() -> None:
    assert [q.number for q in QUESTIONS] == list(range(1, 10))
    assert all(q.text.endswith("?") for q in QUESTIONS)


def test_question_fields_are_exactly_the_answers() -> None:
    names = {f.name for q in QUESTIONS for f in q.fields}
    # The 999 signs are one field on the form; their "not sure" answers are the second set.
    assert names | {"emergency_unsure"} == {f.name for f in dataclasses.fields(ScreenAnswers)}


@pytest.mark.parametrize("enum", CHOICE_ENUMS)
def test_every_choice_has_a_label_and_a_form_safe_value(enum: type) -> None:
    for member in enum:
        assert member.label and not member.label[0].islower()
        assert member.value.replace("_", "").isalnum() and member.value.isascii()
        assert member.value == member.value.lower()


def test_form_choices_come_from_the_enums() -> None:
    fields = {f.name: f for q in QUESTIONS for f in q.fields}
    assert [c.value for c in fields["history"].choices] == [h.value for h in HistoryItem]
    assert [c.label for c in fields["location"].choices] == [p.label for p in PainLocation]
    assert [c.value for c in fields["pain_score"].choices] == [str(n) for n in range(11)]
    assert fields["under_care"].kind is FieldKind.YES_NO


def test_a_form_built_from_questions_parses() -> None:
    # Choose the first option of every single-choice field and tick the first of each list.
    data: dict[str, object] = {}
    for question in QUESTIONS:
        for field in question.fields:
            first = field.choices[0].value
            if field.kind is FieldKind.SIGNS:
                for sign in field.choices:
                    data[sign_field(sign.value)] = field.answers[-1].value
            else:
                data[field.name] = [first] if field.kind is FieldKind.MULTI_CHOICE else first
    answers = parse_answers(data)
    assert answers.emergency_unsure == frozenset(EmergencySymptom)


def test_nothing_says_booked_before_the_booking_exists() -> None:
    assert "booked" not in HOLD_SCREEN_MESSAGE.lower()
    assert "not yet confirmed" in HOLD_MESSAGE


def test_not_sure_spells_out_the_999_signs_and_urgent_has_a_way_back() -> None:
    answers = parse_answers(
        {
            "location": "lower_back",
            "duration": "over_12_weeks",
            "sudden_onset": "no",
            "pain_score": "3",
            "disturbs_sleep_or_daily_life": "no",
            "recent_injury": "none",
            "long_term_steroids": "no",
            "under_care": "no",
            "told_not_to_massage": "no",
            "emergency_unsure": ["bladder"],
        }
    )
    result = assess(answers)
    assert result.outcome is Outcome.URGENT
    text = outcome_text(result, emergency_number="999", urgent_number="111")
    assert "If any of these is true, call 999 now:" in text[1]
    assert EmergencySymptom.BLADDER.label in text
    assert text[-1] == URGENT_WAY_BACK


def test_emergency_text_gives_999_first_and_no_clinic_call() -> None:
    result = assess(
        parse_answers(
            {
                "location": "lower_back",
                "duration": "over_12_weeks",
                "sudden_onset": "no",
                "pain_score": "3",
                "disturbs_sleep_or_daily_life": "no",
                "recent_injury": "serious_accident",
                "long_term_steroids": "no",
                "under_care": "no",
                "told_not_to_massage": "no",
            }
        )
    )
    text = outcome_text(result, emergency_number="999", urgent_number="111")
    assert "999" in text[0] and "call us" not in " ".join(text).lower()


def test_safety_net_lists_every_999_sign() -> None:
    text = safety_net(emergency_number="999", urgent_number="111")
    assert text.startswith("If your symptoms get worse before your appointment")
    for sign in EmergencySymptom:
        assert sign.label in text
    assert "111" in text


def test_emergency_message() -> None:
    text = patient_message(Outcome.EMERGENCY, emergency_number="999", urgent_number="111")
    assert text == (
        "Your answers include symptoms that need urgent medical assessment today. "
        "Please call 999 or go to A&E now. We have not made a booking."
    )
    assert "{emergency_number}" in EMERGENCY_MESSAGE


def test_urgent_message() -> None:
    text = patient_message(Outcome.URGENT, emergency_number="999", urgent_number="111")
    assert text is not None
    assert text.startswith("Please speak to a doctor today before booking massage.")
    assert "111" in text and "{" not in text
    assert "{urgent_number}" in URGENT_MESSAGE


@pytest.mark.parametrize("message", [DECLINED_MESSAGE, HOLD_MESSAGE])
def test_kind_messages_need_no_numbers(message: str) -> None:
    assert "{" not in message


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (Outcome.DECLINED, DECLINED_MESSAGE),
        (Outcome.HOLD, HOLD_MESSAGE),
        (Outcome.FLAG, None),
        (Outcome.BOOK, None),
    ],
)
def test_patient_message(outcome: Outcome, expected: str | None) -> None:
    assert patient_message(outcome, emergency_number="999", urgent_number="111") == expected
