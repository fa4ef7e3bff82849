"""The pain screen: nine plain-words questions that decide whether a booking may be made.

This package is PURE: it imports only the standard library and its own modules, and knows
nothing of Flask, the database or the rest of ``booking``, so the product rules (DOMAIN.md
sections 1 and 2) can be read, tested and changed in one place.

* ``choices``: the answer options with the words the patient reads.
* ``answers``: ``ScreenAnswers``, ``ScreenSettings`` and strict ``parse_answers``.
* ``questions``: ``QUESTIONS``, the form's prompts and widgets.
* ``rules``: ``assess`` -> ``Assessment`` (the winning ``Outcome`` by the precedence
  EMERGENCY > URGENT > DECLINED > HOLD > FLAG > BOOK, every rule that fired, the flags).
* ``rescreen``: the "has anything changed?" check for a returning patient.
* ``wording``: the outcome messages and the safety net.

Not medical advice: these are the clinic's product rules. Every threshold is a setting on
``ScreenSettings`` with the DOMAIN.md default.
"""

from booking.intake.answers import (
    PAIN_SCORE_MESSAGE,
    SIGN_FIELD_PREFIX,
    SIGN_MESSAGE,
    ScreenAnswers,
    ScreenError,
    ScreenSettings,
    parse_answers,
    sign_field,
)
from booking.intake.choices import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    SignAnswer,
    UrgentSymptom,
)
from booking.intake.questions import QUESTIONS, Choice, FieldKind, Question, QuestionField
from booking.intake.rescreen import is_material_change, material_changes
from booking.intake.rules import (
    ADVICE_PAIN_ELSEWHERE,
    FLAG_BLOOD_THINNERS,
    FLAG_OSTEOPOROSIS,
    FLAG_PREGNANT,
    FLAG_SEEN_DOCTOR,
    FLAG_SKIN_INFECTION,
    FLAG_UNDER_CARE,
    OUTCOME_PRECEDENCE,
    RESTRICTION_AVOID_AFFECTED_AREA,
    Assessment,
    Outcome,
    Rule,
    assess,
)
from booking.intake.wording import (
    CONSENT_TEXT,
    DECLINED_MESSAGE,
    EMERGENCY_MESSAGE,
    HOLD_MESSAGE,
    HOLD_SCREEN_LATER_MESSAGE,
    HOLD_SCREEN_MESSAGE,
    SAFETY_NET_MESSAGE,
    UNSURE_MESSAGE,
    URGENT_MESSAGE,
    URGENT_WAY_BACK,
    emergency_signs,
    outcome_text,
    patient_message,
    safety_net,
)

__all__ = [
    "ADVICE_PAIN_ELSEWHERE",
    "CONSENT_TEXT",
    "DECLINED_MESSAGE",
    "EMERGENCY_MESSAGE",
    "FLAG_BLOOD_THINNERS",
    "FLAG_OSTEOPOROSIS",
    "FLAG_PREGNANT",
    "FLAG_SEEN_DOCTOR",
    "FLAG_SKIN_INFECTION",
    "FLAG_UNDER_CARE",
    "HOLD_MESSAGE",
    "HOLD_SCREEN_LATER_MESSAGE",
    "HOLD_SCREEN_MESSAGE",
    "OUTCOME_PRECEDENCE",
    "PAIN_SCORE_MESSAGE",
    "QUESTIONS",
    "RESTRICTION_AVOID_AFFECTED_AREA",
    "SAFETY_NET_MESSAGE",
    "SIGN_FIELD_PREFIX",
    "SIGN_MESSAGE",
    "UNSURE_MESSAGE",
    "URGENT_MESSAGE",
    "URGENT_WAY_BACK",
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
    "SignAnswer",
    "UrgentSymptom",
    "assess",
    "emergency_signs",
    "is_material_change",
    "material_changes",
    "outcome_text",
    "parse_answers",
    "patient_message",
    "safety_net",
    "sign_field",
]
