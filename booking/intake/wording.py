"""Every word the screen's outcome shows a patient, with the clinic's numbers filled in."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from booking.intake.choices import EmergencySymptom
from booking.intake.rules import Assessment, Outcome

# The separate, unticked consent checkbox shown before the questions (DOMAIN.md section 1).
CONSENT_TEXT: Final = (
    "We use your answers only to decide whether to book, hold or redirect your appointment "
    "and to plan your treatment; only your therapist sees them."
)

# The advice itself, also given by the follow-up after a session (where no booking is
# being made, so the sentence about the booking is left off).
EMERGENCY_ADVICE: Final = (
    "Your answers include symptoms that need urgent medical assessment today. "
    "Please call {emergency_number} or go to A&E now."
)
URGENT_ADVICE: Final = (
    "Please speak to a doctor today before booking massage. If you cannot reach your doctor, "
    "call {urgent_number}."
)
NO_BOOKING_MADE: Final = "We have not made a booking."
EMERGENCY_MESSAGE: Final = f"{EMERGENCY_ADVICE} {NO_BOOKING_MADE}"
URGENT_MESSAGE: Final = f"{URGENT_ADVICE} {NO_BOOKING_MADE}"
# The way back from URGENT (DOMAIN.md section 1), shown under the urgent message.
URGENT_WAY_BACK: Final = (
    "If a doctor has already seen you about these symptoms since they began, answer yes to "
    "that question and we can keep a time for you while you get their written go-ahead."
)
# "Not sure" about a 999 sign: the signs are spelled out with the instruction.
UNSURE_MESSAGE: Final = (
    "You told us you are not sure about some of the signs below. If any of these is true, "
    "call {emergency_number} now:"
)
DECLINED_MESSAGE: Final = (
    "Thank you for telling us. As you have been advised not to have massage, we have not made "
    "a booking. If your doctor or physiotherapist later tells you that massage is fine, you "
    "are very welcome to book with us then."
)
# Shown after the screen and before a time is chosen: nothing is booked yet.
HOLD_SCREEN_MESSAGE: Final = (
    "From your answers, we need a doctor or physiotherapist to check that massage is right "
    "for you before we can confirm an appointment. You can choose a time now: we will keep it "
    "for you while you ask them. Each day shows the date by which we need to hear from you. "
    "If we do not hear in time, the time is released and there is no charge."
)
# The same when no time can be held just now (see services.clearance_window.holds_open_from).
HOLD_SCREEN_LATER_MESSAGE: Final = (
    "From your answers, we need a doctor or physiotherapist to check that massage is right "
    "for you before we can confirm an appointment. We keep a time for you while you ask them, "
    "but a time held just now would run out before the next working day: see below."
)
# Shown once the held booking exists.
HOLD_MESSAGE: Final = (
    "We are keeping this time for you, but your appointment is not yet confirmed. Before we "
    "can confirm it, we need you to check with a doctor or physiotherapist that massage is "
    "right for you, and then tell us. We will email you what to do next and the deadline. If "
    "we do not hear from you in time, the time is released and there is no charge."
)
# Every held, urgent and waiting page and email (DOMAIN.md section 1).
SAFETY_NET_MESSAGE: Final = (
    "If your symptoms get worse before your appointment, or you notice any of these signs, "
    "call {emergency_number}:"
)
SAFETY_NET_URGENT_HELP: Final = "For other urgent advice, call {urgent_number}."

_MESSAGES: Final[Mapping[Outcome, str]] = MappingProxyType(
    {
        Outcome.EMERGENCY: EMERGENCY_MESSAGE,
        Outcome.URGENT: URGENT_MESSAGE,
        Outcome.DECLINED: DECLINED_MESSAGE,
        Outcome.HOLD: HOLD_MESSAGE,
    }
)


def patient_message(outcome: Outcome, *, emergency_number: str, urgent_number: str) -> str | None:
    """The message to show for ``outcome``, with the clinic's numbers filled in.

    Returns None for BOOK and FLAG: the patient simply books (flags are for the therapist).
    The numbers are clinic settings (demo clinic: 999 and 111).
    """
    template = _MESSAGES.get(outcome)
    if template is None:
        return None
    return template.format(emergency_number=emergency_number, urgent_number=urgent_number)


def emergency_signs() -> tuple[str, ...]:
    """The 999 signs in plain words, in the order the screen asks them."""
    return tuple(sign.label for sign in EmergencySymptom)


def safety_net(*, emergency_number: str, urgent_number: str) -> str:
    """The safety-net paragraph as plain text, signs listed one per line."""
    lines = [SAFETY_NET_MESSAGE.format(emergency_number=emergency_number)]
    lines += [f"- {sign}" for sign in emergency_signs()]
    lines.append(SAFETY_NET_URGENT_HELP.format(urgent_number=urgent_number))
    return "\n".join(lines)


def outcome_text(
    assessment: Assessment, *, emergency_number: str, urgent_number: str
) -> tuple[str, ...]:
    """Every paragraph a no-booking outcome page or API answer shows, in order.

    An URGENT reached through "not sure" about a 999 sign spells the signs out ("if any of
    these is true, call 999 now"); every URGENT names its way back. EMERGENCY gives the
    emergency number first and nothing that invites a call to the clinic.
    """
    numbers = {"emergency_number": emergency_number, "urgent_number": urgent_number}
    message = patient_message(assessment.outcome, **numbers)
    parts = [message] if message else []
    if assessment.outcome is Outcome.URGENT:
        if assessment.unsure_signs:
            parts.append(UNSURE_MESSAGE.format(**numbers))
            parts += [sign.label for sign in assessment.unsure_signs]
        parts.append(URGENT_WAY_BACK)
    return tuple(parts)


def red_flag_advice(
    assessment: Assessment, *, emergency_number: str, urgent_number: str
) -> tuple[str, ...]:
    """The screen's advice for a red flag reported after a session, paragraph by paragraph.

    The same words as :func:`outcome_text` for EMERGENCY and URGENT (the "not sure" signs
    spelled out), without what only fits a booking: "we have not made a booking" and the
    way back to a held booking. Empty for any other outcome.
    """
    numbers = {"emergency_number": emergency_number, "urgent_number": urgent_number}
    if assessment.outcome is Outcome.EMERGENCY:
        return (EMERGENCY_ADVICE.format(**numbers),)
    if assessment.outcome is not Outcome.URGENT:
        return ()
    parts = [URGENT_ADVICE.format(**numbers)]
    if assessment.unsure_signs:
        parts.append(UNSURE_MESSAGE.format(**numbers))
        parts += [sign.label for sign in assessment.unsure_signs]
    return tuple(parts)
