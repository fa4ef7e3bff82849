"""The screen's answer choices: each value is what a form or JSON body sends, its label the
words the patient reads."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


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
    """Q6, the 999 signs: "yes" to any means EMERGENCY, "not sure" means URGENT."""

    SADDLE_NUMBNESS = ("saddle_numbness", "Numbness around the genitals, buttocks or inner thighs")
    BLADDER = ("bladder", "New trouble passing or controlling urine")
    BOWEL = ("bowel", "Loss of bowel control")
    # The value predates the wider wording; both legs (pain, tingling, weakness or numbness)
    # and worsening weakness in one leg are 999 signs on the NHS page.
    LEG_WEAKNESS = (
        "leg_weakness",
        "Pain, tingling, weakness or numbness in both legs, or leg weakness that is getting worse",
    )
    SEXUAL_FUNCTION = (
        "sexual_function",
        "New problems with sexual function or feeling in the genitals",
    )
    CHEST_PAIN = ("chest_pain", "Chest pain")


class SignAnswer(_LabelledChoice):
    """The answer to one 999 sign."""

    YES = ("yes", "Yes")
    NO = ("no", "No")
    NOT_SURE = ("not_sure", "Not sure")


class UrgentSymptom(_LabelledChoice):
    """Q7: any one of these means URGENT."""

    FEVER_OR_UNWELL = ("fever_or_unwell", "A fever, or feeling very unwell")
    UNEXPLAINED_WEIGHT_LOSS = ("unexplained_weight_loss", "Weight loss you can't explain")
    # One item for cancer now, in the past, or its treatment now: the stricter rule (URGENT)
    # applies to all three.
    CANCER_HISTORY = (
        "cancer_history",
        "Cancer now or in the past, or cancer treatment now",
    )
    LUMP_OR_DEFORMITY = ("lump_or_deformity", "A lump or a change in the shape of your back")
    NIGHT_OR_REST_PAIN = (
        "night_or_rest_pain",
        "Pain that is worse at night or is not eased by rest",
    )
    COUGH_SNEEZE_BOWELS = (
        "cough_sneeze_bowels",
        "Pain that is worse when you cough, sneeze or open your bowels",
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
    SKIN_INFECTION = (
        "skin_infection",
        "A skin infection, rash or open wound on your back",
    )


# Stored answers from before cancer treatment moved to question 7 name it in the history.
LEGACY_CANCER_TREATMENT = "cancer_treatment"
