"""The patient's side of a follow-up: open it by its link, answer it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from booking import validation
from booking.extensions import db
from booking.intake import Assessment, ScreenAnswers, ScreenError, parse_answers
from booking.intake.followup import (
    REACTION_TEXT_MAX,
    FollowUpAnswers,
    as_screen,
    parse_follow_up,
    red_flags,
    review,
)
from booking.models import FollowUp, FollowUpToken, Intake
from booking.services import audit, screening
from booking.services.audit import Actor
from booking.services.errors import Reason, Refusal
from booking.services.locking import run_in_write_transaction
from booking.tokens import looks_like_token, token_hash

ALREADY_ANSWERED = (
    "Thank you, we already have your answers to these questions. If anything has changed "
    "since, please call us."
)


def find(token: str, *, now: datetime) -> FollowUp | None:
    """Return the follow-up a live link opens, or None for any miss: an unknown token, an
    expired link, a removed booking (the same answer for all)."""
    if not looks_like_token(token):
        return None
    return db.session.scalar(
        select(FollowUp)
        .join(FollowUpToken, FollowUpToken.follow_up_id == FollowUp.id)
        .where(FollowUpToken.token_hash == token_hash(token), FollowUp.expires_at > now)
    )


class FollowUpError(Refusal):
    """A follow-up verb refused: not found, or already answered."""


class FollowUpInvalid(FollowUpError):
    """The answers do not validate: ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(Reason.INVALID, errors[first], field=first)
        self.errors = errors


@dataclass(frozen=True)
class Answered:
    """What the patient is shown after answering, and what pre-fills their next screen."""

    answers: FollowUpAnswers
    red_flags: Assessment
    screen_after: ScreenAnswers


def _parse(data) -> FollowUpAnswers:
    try:
        answers = parse_follow_up(data)
    except ScreenError as error:
        raise FollowUpInvalid(dict(error.errors)) from None
    try:
        validation.clean_text(answers.reaction_text, max_length=REACTION_TEXT_MAX, multiline=True)
    except validation.InvalidInput as error:
        raise FollowUpInvalid({"reaction_text": str(error)}) from None
    return answers


def previous_screen(booking_id: int) -> ScreenAnswers | None:
    """The screen the session was booked on, when it is still kept and still parses."""
    stored = db.session.scalar(select(Intake.answers).where(Intake.booking_id == booking_id))
    if not stored:
        return None
    try:
        return parse_answers(stored)
    except ScreenError:
        return None


def submit(follow_up_id: int, data, *, now: datetime) -> Answered:
    """Record the patient's answers to a follow-up, once.

    Red flags and material changes (``intake.followup.review``) flag the follow-up for the
    therapist. Raises ``FollowUpInvalid`` (nothing stored), or FollowUpError
    ("already_answered") when the follow-up already has answers: the first one stands.
    """
    answers = _parse(data)
    settings = screening.settings()

    def attempt() -> Answered:
        follow_up = db.session.get(FollowUp, follow_up_id, populate_existing=True)
        if follow_up is None:
            raise FollowUpError(Reason.NOT_FOUND, "We couldn't find these questions.")
        if follow_up.answered_at is not None:
            raise FollowUpError(Reason.ALREADY_ANSWERED, ALREADY_ANSWERED)
        previous = previous_screen(follow_up.booking_id)
        found = review(answers, previous, settings)
        after = as_screen(previous, answers)
        reasons = [f"red_flag:{rule.code}" for rule in found.red_flags]
        reasons += [f"change:{change}" for change in found.changes]
        changed = db.session.execute(
            update(FollowUp)
            .where(FollowUp.id == follow_up_id, FollowUp.answered_at.is_(None))
            .values(
                answered_at=now,
                answers=answers.to_data(),
                screen_after=after.to_data(),
                review_reasons=reasons,
                needs_review=found.needs_review,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            raise FollowUpError(Reason.ALREADY_ANSWERED, ALREADY_ANSWERED)
        # What was answered is health data: the audit row says only that it was.
        audit.record(
            "follow_up.answered", actor=Actor.patient(), now=now, booking=follow_up.booking
        )
        return Answered(answers, red_flags(answers, settings), after)

    return run_in_write_transaction(attempt)
