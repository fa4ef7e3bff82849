"""Step 2: the pain screen; its outcome decides whether, and how, the booking goes on."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from booking import clock
from booking.intake import (
    CONSENT_TEXT,
    HOLD_SCREEN_LATER_MESSAGE,
    HOLD_SCREEN_MESSAGE,
    QUESTIONS,
    URGENT_WAY_BACK,
    FieldKind,
    Outcome,
    ScreenAnswers,
    ScreenError,
    assess,
    outcome_text,
    parse_answers,
)
from booking.services import catalog, clearance_window, screening
from booking.services.clinic_settings import current_policy
from booking.services.locking import write_transaction
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.booking_flow.treatment import NOT_SUITABLE
from booking.web.forms import ScreenForm

MULTI_CHOICE_FIELDS = frozenset(
    f.name for q in QUESTIONS for f in q.fields if f.kind == FieldKind.MULTI_CHOICE
)


def health():
    """The pain screen: consent, then the nine questions; the outcome decides what's next."""
    data = drafts.load()
    if steps.chosen(data) is None:
        return redirect(url_for("book.choose"))
    form = ScreenForm()
    # What the patient told us after their last session starts the screen, to be checked.
    prefilled = not data.get("screen") and bool(data.get("screen_prefill"))
    answers: dict = data.get("screen") or data.get("screen_prefill") or {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        consented = form.validate_on_submit()
        try:
            parsed = parse_answers(request.form)
        except ScreenError as error:
            parsed, errors = None, dict(error.errors)
            # Show back what was chosen, so a mistake is fixed without starting again.
            answers = {
                name: request.form.getlist(name)
                if name in MULTI_CHOICE_FIELDS
                else request.form.get(name)
                for name in request.form
            }
        else:
            answers = parsed.to_data()
        if parsed is not None:
            stopped = assess(parsed, screening.settings())
            if not stopped.makes_booking:
                # Advice is given whatever the consent box says; consent governs storing.
                return _screen_outcome(data, parsed)
        if consented and parsed is not None:
            return _screen_outcome(data, parsed)
    return render_template(
        "booking/health.html",
        form=form,
        questions=QUESTIONS,
        consent_text=CONSENT_TEXT,
        answers=answers,
        errors=errors,
        step=steps.step_info("book.health"),
        prefilled=prefilled and request.method == "GET",
    ), (400 if request.method == "POST" else 200)


def _screen_outcome(data: dict, answers: ScreenAnswers):
    now = clock.now()
    assessment = assess(answers, screening.settings())
    # The tally and the draft change together, in one transaction, or not at all.
    with write_transaction():
        screening.count_outcome(assessment.outcome, now=now)
        if assessment.makes_booking:
            drafts.stage(screen=answers.to_data(), start=None)
        else:
            # EMERGENCY, URGENT, DECLINED: no booking, and the answers are kept nowhere.
            drafts.stage(screen=None, start=None)
    if not assessment.makes_booking:
        paragraphs = outcome_text(
            assessment,
            emergency_number=current_policy().emergency_number,
            urgent_number=current_policy().urgent_number,
        )
        return render_template(
            "booking/screen_outcome.html",
            outcome=assessment.outcome.value,
            message=paragraphs[0],
            unsure_signs=[sign.label for sign in assessment.unsure_signs],
            way_back=URGENT_WAY_BACK if assessment.outcome is Outcome.URGENT else None,
        )
    service = catalog.service_by_slug(data.get("service", ""))
    if service is not None and screening.unsuitable(service, assessment, None, now=now):
        flash(NOT_SUITABLE, "error")
        return redirect(url_for("book.choose"))
    if assessment.needs_clearance:
        later = clearance_window.holds_open_from(now) is not None
        flash(HOLD_SCREEN_LATER_MESSAGE if later else HOLD_SCREEN_MESSAGE, "info")
    return redirect(url_for("book.time"))
