"""``/follow-up/<token>``: the patient's two minutes after a session, from the emailed link.

A GET never submits (mail scanners fetch links). Unknown and expired links get the same
404 as any other miss. Answered once: afterwards the page thanks the patient (and repeats
any advice their answers called for), and a second submission is refused kindly.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from booking import clock
from booking.intake import FieldKind, parse_answers
from booking.intake.followup import (
    FOLLOW_UP_QUESTIONS,
    QUESTIONS_BEFORE_TEXT,
    REACTION_TEXT_MAX,
    parse_follow_up,
    red_flags,
)
from booking.intake.wording import red_flag_advice
from booking.models import FollowUp
from booking.services import screening
from booking.services.clinic_settings import current_policy
from booking.services.errors import Reason
from booking.services.followup import answering
from booking.services.locking import OutcomeUnknown
from booking.web import drafts, limits

log = logging.getLogger(__name__)

bp = Blueprint("follow_up", __name__, url_prefix="/follow-up")
limits.token_lookups(bp)

MULTI_CHOICE_FIELDS = frozenset(
    f.name for q in FOLLOW_UP_QUESTIONS for f in q.fields if f.kind == FieldKind.MULTI_CHOICE
)


class FollowUpForm(FlaskForm):
    """The CSRF token; the answers are parsed by ``booking.intake.followup``."""


def _load(token: str) -> FollowUp:
    follow_up = answering.find(token, now=clock.now())
    if follow_up is None:
        abort(404)
    return follow_up


def _answered(follow_up: FollowUp, *, again: bool = False):
    """The thanks page, with the screen's advice when the answers had a red flag."""
    answers = parse_follow_up(follow_up.answers or {})
    flagged = red_flags(answers, screening.settings())
    advice = red_flag_advice(
        flagged,
        emergency_number=current_policy().emergency_number,
        urgent_number=current_policy().urgent_number,
    )
    return render_template(
        "followup/answered.html",
        outcome=flagged.outcome.value,
        advice=advice,
        unsure_signs=[sign.label for sign in flagged.unsure_signs],
        again=again,
    ), (409 if again else 200)


def _form(token: str, form: FollowUpForm, answers: dict, errors: dict[str, str], status: int):
    return render_template(
        "followup/form.html",
        token=token,
        form=form,
        first_questions=FOLLOW_UP_QUESTIONS[:QUESTIONS_BEFORE_TEXT],
        red_flag_questions=FOLLOW_UP_QUESTIONS[QUESTIONS_BEFORE_TEXT:],
        answers=answers,
        errors=errors,
        text_max=REACTION_TEXT_MAX,
    ), status


@bp.get("/<token>")
def view(token: str):
    follow_up = _load(token)
    if follow_up.answered_at is not None:
        return _answered(follow_up)
    return _form(token, FollowUpForm(), {}, {}, 200)


@bp.post("/<token>")
def answer(token: str):
    follow_up = _load(token)
    if follow_up.answered_at is not None:
        return _answered(follow_up, again=True)
    form = FollowUpForm()
    shown = {
        name: request.form.getlist(name) if name in MULTI_CHOICE_FIELDS else request.form.get(name)
        for name in request.form
    }
    if not form.validate_on_submit():
        return _form(token, form, shown, {"form": "Please send the form again."}, 400)
    try:
        done = answering.submit(follow_up.id, request.form, now=clock.now())
    except answering.FollowUpInvalid as error:
        return _form(token, form, shown, error.errors, 400)
    except answering.FollowUpError as error:
        if error.reason is Reason.ALREADY_ANSWERED:
            return _answered(answering.find(token, now=clock.now()) or abort(404), again=True)
        abort(404)
    _prefill_next_screen(done.screen_after.to_data())
    return redirect(url_for("follow_up.view", token=token), code=303)


def _prefill_next_screen(screen: dict) -> None:
    """Offer the answers to this browser's next booking, as the screen's starting point.

    After the commit: a failure here is logged and the patient simply answers the screen.
    """
    try:
        parse_answers(screen)
        drafts.save(screen_prefill=screen)
    except (SQLAlchemyError, OutcomeUnknown, ValueError):
        log.warning("follow-up answers not offered to the next screen", exc_info=True)
