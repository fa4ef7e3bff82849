"""The words the patient reads: consent, questions, choices and outcome messages."""

from __future__ import annotations

import dataclasses

import pytest

from booking.intake import (
    CONSENT_TEXT,
    DECLINED_MESSAGE,
    EMERGENCY_MESSAGE,
    HOLD_MESSAGE,
    QUESTIONS,
    URGENT_MESSAGE,
    EmergencySymptom,
    FieldKind,
    HistoryItem,
    Outcome,
    PainDuration,
    PainLocation,
    RecentInjury,
    ScreenAnswers,
    UrgentSymptom,
    parse_answers,
    patient_message,
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
    names = [f.name for q in QUESTIONS for f in q.fields]
    assert names == [f.name for f in dataclasses.fields(ScreenAnswers)]


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
            data[field.name] = [first] if field.kind is FieldKind.MULTI_CHOICE else first
    parse_answers(data)


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
