"""Pain screens for tests: answers that book, hold, flag or stop a booking."""

from __future__ import annotations

from booking.intake import EmergencySymptom, ScreenAnswers, sign_field

FINE = {
    "location": "lower_back",
    "duration": "over_12_weeks",
    "sudden_onset": False,
    "pain_score": 3,
    "disturbs_sleep_or_daily_life": False,
    "recent_injury": "none",
    "long_term_steroids": False,
}


def fine(**changes) -> ScreenAnswers:
    """A screen that books straight away."""
    return ScreenAnswers(**{**FINE, **changes})


def severe(**changes) -> ScreenAnswers:
    """Pain 8/10: the booking is held until medical clearance."""
    return fine(**{"pain_score": 8, **changes})


def form_data(answers: ScreenAnswers | None = None, *, consent: bool = True) -> dict:
    """The same answers as the web form posts them (checkbox lists as repeated keys)."""
    answers = answers or fine()
    data = answers.to_data()
    posted: dict = {}
    # The form asks each 999 sign as its own yes / no / not sure question.
    data.pop("emergency_symptoms")
    data.pop("emergency_unsure")
    for sign in EmergencySymptom:
        posted[sign_field(sign)] = answers.sign_answer(sign).value
    for name, value in data.items():
        if isinstance(value, bool):
            posted[name] = "yes" if value else "no"
        elif isinstance(value, list):
            posted[name] = value
        else:
            posted[name] = str(value)
    if consent:
        posted["consent"] = "y"
    return posted
