"""One table of pain-screen scenarios, one row per DOMAIN.md section 1 rule (and each way two
rules meet), shared by the pure rules, the JSON API and the web form, so the three channels
are tested against exactly the same expectations.
"""

from __future__ import annotations

from dataclasses import dataclass

from booking.intake import EmergencySymptom, HistoryItem, Outcome, ScreenAnswers, UrgentSymptom
from tests.screens import fine


@dataclass(frozen=True)
class Scenario:
    id: str
    answers: ScreenAnswers
    outcome: Outcome
    # Rule codes that must be among those that fired (the record the therapist reads).
    codes: tuple[str, ...] = ()

    @property
    def booking_status(self) -> str | None:
        """What a booking channel makes of it: "confirmed", "held", or None (no booking)."""
        if self.outcome in (Outcome.BOOK, Outcome.FLAG):
            return "confirmed"
        if self.outcome is Outcome.HOLD:
            return "held"
        return None


def _s(id_: str, outcome: Outcome, *codes: str, **answers) -> Scenario:
    return Scenario(id_, fine(**answers), outcome, codes)


SCENARIOS: tuple[Scenario, ...] = (
    # Q1 where the pain is
    _s("q1-lower-back", Outcome.BOOK),
    _s("q1-whole-back", Outcome.BOOK, location="whole_back"),
    _s(
        "q1-between-shoulder-blades-urgent",
        Outcome.URGENT,
        "q1.between_shoulder_blades",
        location="between_shoulder_blades",
    ),
    _s("q1-elsewhere-advice-only", Outcome.BOOK, location="elsewhere"),
    # Q2 is stored for the therapist only
    _s("q2-acute-sudden", Outcome.BOOK, duration="under_4_weeks", sudden_onset=True),
    # Q3 pain score, threshold 7
    _s("q3-pain-6", Outcome.BOOK, pain_score=6),
    _s("q3-pain-7-hold", Outcome.HOLD, "q3.pain_score_at_least_threshold", pain_score=7),
    _s("q3-pain-10-hold", Outcome.HOLD, "q3.pain_score_at_least_threshold", pain_score=10),
    # Q4 sleep and daily life
    _s(
        "q4-daily-life-hold",
        Outcome.HOLD,
        "q4.disturbs_sleep_or_daily_life",
        disturbs_sleep_or_daily_life=True,
    ),
    # Q5 falls and accidents
    _s(
        "q5-serious-accident-emergency",
        Outcome.EMERGENCY,
        "q5.serious_accident",
        recent_injury="serious_accident",
    ),
    _s(
        "q5-minor-fall-osteoporosis-urgent",
        Outcome.URGENT,
        "q5.minor_fall_with_fragile_bones",
        recent_injury="minor_fall",
        history={"osteoporosis"},
    ),
    _s(
        "q5-minor-fall-steroids-urgent",
        Outcome.URGENT,
        "q5.minor_fall_with_fragile_bones",
        recent_injury="minor_fall",
        long_term_steroids=True,
    ),
    _s("q5-minor-fall-hold", Outcome.HOLD, "q5.minor_fall", recent_injury="minor_fall"),
    # Q6 the 999 signs: yes -> EMERGENCY, not sure -> URGENT
    *(
        _s(
            f"q6-{sign.value}-yes-emergency",
            Outcome.EMERGENCY,
            f"q6.emergency_symptom.{sign.value}",
            emergency_symptoms={sign.value},
        )
        for sign in EmergencySymptom
    ),
    *(
        _s(
            f"q6-{sign.value}-not-sure-urgent",
            Outcome.URGENT,
            f"q6.not_sure.{sign.value}",
            emergency_unsure={sign.value},
        )
        for sign in EmergencySymptom
    ),
    # Q7 urgent signs, cancer in every form among them
    *(
        _s(
            f"q7-{item.value}-urgent",
            Outcome.URGENT,
            f"q7.urgent_symptom.{item.value}",
            urgent_symptoms={item.value},
        )
        for item in UrgentSymptom
    ),
    # Q8 history: HOLD items and FLAG items
    *(
        _s(f"q8-{item}-hold", Outcome.HOLD, f"q8.history.{item}", history={item})
        for item in (
            HistoryItem.RECENT_SURGERY_OR_FRACTURE.value,
            HistoryItem.BLOOD_CLOT.value,
            HistoryItem.HIGH_RISK_PREGNANCY.value,
            HistoryItem.SKIN_INFECTION.value,
        )
    ),
    *(
        _s(f"q8-{item}-flag", Outcome.FLAG, f"q8.history.{item}", history={item})
        for item in (
            HistoryItem.BLOOD_THINNERS.value,
            HistoryItem.OSTEOPOROSIS.value,
            HistoryItem.PREGNANT.value,
        )
    ),
    # Q9 care and advice
    _s("q9-under-care-flag", Outcome.FLAG, "q9.under_care", under_care=True),
    _s(
        "q9-told-not-to-declined",
        Outcome.DECLINED,
        "q9.told_not_to_massage",
        told_not_to_massage=True,
    ),
    # Precedence: EMERGENCY > URGENT > HOLD > FLAG > BOOK; the stricter rule wins
    _s(
        "emergency-beats-urgent",
        Outcome.EMERGENCY,
        "q6.emergency_symptom.bladder",
        "q7.urgent_symptom.fever_or_unwell",
        emergency_symptoms={"bladder"},
        urgent_symptoms={"fever_or_unwell"},
    ),
    _s(
        "yes-beats-not-sure",
        Outcome.EMERGENCY,
        "q6.emergency_symptom.bowel",
        "q6.not_sure.bladder",
        emergency_symptoms={"bowel"},
        emergency_unsure={"bladder"},
    ),
    _s(
        "urgent-beats-hold",
        Outcome.URGENT,
        pain_score=9,
        urgent_symptoms={"unexplained_weight_loss"},
    ),
    _s(
        "hold-beats-flag",
        Outcome.HOLD,
        "q3.pain_score_at_least_threshold",
        "q8.history.blood_thinners",
        pain_score=8,
        history={"blood_thinners"},
    ),
    _s("declined-beats-hold", Outcome.DECLINED, pain_score=8, told_not_to_massage=True),
    # The way back from URGENT: a doctor has seen them since the symptoms began
    _s(
        "urgent-seen-doctor-held",
        Outcome.HOLD,
        "q7.urgent_symptom.cancer_history",
        "q9.seen_doctor_since_onset",
        urgent_symptoms={"cancer_history"},
        seen_doctor_since_onset=True,
    ),
    _s(
        "not-sure-seen-doctor-held",
        Outcome.HOLD,
        "q6.not_sure.leg_weakness",
        emergency_unsure={"leg_weakness"},
        seen_doctor_since_onset=True,
    ),
    _s(
        "shoulder-blades-seen-doctor-held",
        Outcome.HOLD,
        location="between_shoulder_blades",
        seen_doctor_since_onset=True,
    ),
    # ... but never from EMERGENCY, nor from a clinician's "no massage"
    _s(
        "emergency-seen-doctor-still-emergency",
        Outcome.EMERGENCY,
        emergency_symptoms={"chest_pain"},
        seen_doctor_since_onset=True,
    ),
    _s(
        "told-not-to-seen-doctor-still-declined",
        Outcome.DECLINED,
        urgent_symptoms={"weak_immune_system"},
        told_not_to_massage=True,
        seen_doctor_since_onset=True,
    ),
    # Seeing a doctor changes nothing when nothing was urgent
    _s("seen-doctor-alone-books", Outcome.BOOK, seen_doctor_since_onset=True),
)

IDS = [s.id for s in SCENARIOS]
