"""The patient's booking flow: treatment -> time -> details -> review -> done.

Each step reads and writes the server-side draft (``web.drafts``) and redirects after a
POST, so the back button and validation errors never lose what was typed. Everything
works without JavaScript.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from booking import clock
from booking.intake import (
    CONSENT_TEXT,
    HOLD_SCREEN_MESSAGE,
    QUESTIONS,
    URGENT_WAY_BACK,
    Assessment,
    FieldKind,
    Outcome,
    ScreenAnswers,
    ScreenError,
    assess,
    outcome_text,
    parse_answers,
)
from booking.models import BookingSource, Service
from booking.notify import settings
from booking.services import availability, bookings, catalog, clearance_window, screening
from booking.services.audit import Actor
from booking.services.errors import BookingError
from booking.services.locking import write_transaction
from booking.web import drafts, limits, picker
from booking.web.calendar_links import calendar_links
from booking.web.forms import (
    ChooseTreatmentForm,
    ConfirmForm,
    DetailsForm,
    ScreenForm,
    TimeForm,
    choices,
)

bp = Blueprint("book", __name__, url_prefix="/book")


@dataclass(frozen=True)
class Step:
    endpoint: str
    title: str


STEPS = (
    Step("book.choose", "Treatment"),
    Step("book.health", "Health questions"),
    Step("book.time", "Time"),
    Step("book.details", "Your details"),
    Step("book.review", "Check and book"),
)


def step_info(endpoint: str) -> dict:
    number = next(i for i, step in enumerate(STEPS, 1) if step.endpoint == endpoint)
    return {"number": number, "total": len(STEPS), "title": STEPS[number - 1].title}


@bp.after_request
def _personal(response):
    # Every step shows the patient's own choices and details.
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class Choice:
    service: Service
    minutes: int
    therapist_id: int | None
    therapist_name: str | None


def _choice(data: dict) -> Choice | None:
    """Return the draft's treatment choice if it is still bookable, else None."""
    service = catalog.service_by_slug(data.get("service", ""))
    minutes = data.get("minutes")
    if service is None or not isinstance(minutes, int) or service.duration(minutes) is None:
        return None
    therapist_slug = data.get("therapist") or ""
    therapist = catalog.therapist_by_slug(therapist_slug) if therapist_slug else None
    if therapist_slug and (therapist is None or therapist not in service.therapists):
        return None
    return Choice(
        service, minutes, therapist.id if therapist else None, therapist.name if therapist else None
    )


def _screen(data: dict) -> ScreenAnswers | None:
    """Return the draft's screen answers (validated again), or None if not answered."""
    try:
        return parse_answers(data["screen"]) if data.get("screen") else None
    except ScreenError:
        return None


def _assessment(data: dict) -> Assessment | None:
    answers = _screen(data)
    return assess(answers, screening.settings()) if answers is not None else None


def _hold_bound(data: dict, now: datetime) -> datetime | None:
    """A booking the screen will hold must leave time to obtain clearance."""
    assessment = _assessment(data)
    held = assessment is not None and assessment.needs_clearance
    return availability.hold_start_bound(now) if held else None


def _email(data: dict) -> str | None:
    """The email given on the details step, if the patient got that far."""
    return (data.get("details") or {}).get("email")


def _needs_screen(data: dict):
    """Redirect to the health questions when they are unanswered or rule the choice out."""
    assessment = _assessment(data)
    if assessment is None or not assessment.makes_booking:
        return redirect(url_for("book.health"))
    service = catalog.service_by_slug(data.get("service", ""))
    if service is None:
        return None
    why = screening.unsuitable(service, assessment, _email(data), now=clock.now())
    if why is None:
        return None
    if why == "restrictions":
        flash(bookings.RESTRICTED_MESSAGE.format(service=service.name), "error")
    return redirect(url_for("book.choose"))


@bp.route("/", methods=["GET", "POST"])
def choose():
    data = drafts.load()
    services = catalog.active_services()
    form = ChooseTreatmentForm()
    form.option.choices = choices(
        (f"{s.slug}:{d.minutes}", f"{s.name}, {d.minutes} minutes")
        for s in services
        for d in s.durations
    )
    therapists = catalog.active_therapists()
    form.therapist.choices = choices(
        [("", "Any therapist")] + [(t.slug, t.name) for t in therapists]
    )
    assessment = _assessment(data)
    no_deep_pressure = screening.deep_pressure_ruled_out(assessment, _email(data), now=clock.now())
    if request.method == "GET":
        wanted = request.args.get("service") or data.get("service")
        minutes = data.get("minutes")
        if wanted and not minutes:
            service = next((s for s in services if s.slug == wanted), None)
            minutes = service.durations[0].minutes if service and service.durations else None
        if wanted and minutes:
            form.option.data = f"{wanted}:{minutes}"
        form.therapist.data = data.get("therapist", "")
    if form.validate_on_submit():
        slug, _, minutes = form.option.data.partition(":")
        service = next(s for s in services if s.slug == slug)
        chosen = next((t for t in therapists if t.slug == form.therapist.data), None)
        if chosen is not None and chosen not in service.therapists:
            form.therapist.errors.append(
                f"{chosen.name} doesn't offer {service.name}; choose someone else or any therapist."
            )
        elif service.deep_pressure and no_deep_pressure:
            form.option.errors.append(NOT_SUITABLE)
        else:
            drafts.save(
                service=slug, minutes=int(minutes), therapist=form.therapist.data, start=None
            )
            return redirect(url_for("book.health" if assessment is None else "book.time"))
    return render_template(
        "booking/choose.html",
        form=form,
        services=services,
        therapists=therapists,
        step=step_info("book.choose"),
        no_deep_pressure=no_deep_pressure,
    ), (400 if form.errors else 200)


MULTI_CHOICE_FIELDS = frozenset(
    f.name for q in QUESTIONS for f in q.fields if f.kind == FieldKind.MULTI_CHOICE
)
NOT_SUITABLE = (
    "This treatment uses deep pressure, which isn't suitable for you from what you told us. "
    "Please choose a gentler one."
)


@bp.route("/health", methods=["GET", "POST"])
def health():
    """The pain screen: consent, then the nine questions; the outcome decides what's next."""
    data = drafts.load()
    if _choice(data) is None:
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
        step=step_info("book.health"),
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
            emergency_number=current_app.config["CLINIC_EMERGENCY_NUMBER"],
            urgent_number=current_app.config["CLINIC_URGENT_NUMBER"],
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
        flash(HOLD_SCREEN_MESSAGE, "info")
    return redirect(url_for("book.time"))


@bp.get("/time")
def time():
    data = drafts.load()
    choice = _choice(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := _needs_screen(data)) is not None:
        return gate
    return _render_time(choice, data, TimeForm())


def _render_time(choice: Choice, data: dict, form: TimeForm, *, alternatives=(), status=200):
    now = clock.now()
    bound = _hold_bound(data, now)
    week = picker.build(
        choice.service,
        choice.minutes,
        now=now,
        first_day=picker.requested_from(),
        therapist_id=choice.therapist_id,
        earliest_start=bound,
        day=picker.requested_day(),
        clearance_deadline=None
        if bound is None
        else lambda start: clearance_window.deadline_for(now, start),
    )
    return render_template(
        "booking/time.html",
        form=form,
        choice=choice,
        picker=week,
        chosen=data.get("start"),
        alternatives=alternatives,
        held=bound is not None,
        step=step_info("book.time"),
    ), status


@bp.post("/time")
def pick_time():
    data = drafts.load()
    choice = _choice(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := _needs_screen(data)) is not None:
        return gate
    form = TimeForm()
    if form.validate_on_submit():
        start = picker.parse_start(form.start.data)
        now = clock.now()
        if start is None:
            form.start.errors.append("Please choose one of the times shown.")
        elif not availability.is_offered(
            choice.service,
            choice.minutes,
            start,
            now=now,
            therapist_id=choice.therapist_id,
            earliest_start=_hold_bound(data, now),
        ):
            form.start.errors.append("Sorry, that time is no longer free. Please choose another.")
        else:
            drafts.save(start=start.astimezone(now.tzinfo).isoformat())
            target = "book.review" if data.get("details") else "book.details"
            return redirect(url_for(target))
    return _render_time(choice, data, form, status=400)


def _start(data: dict) -> datetime | None:
    return picker.parse_start(data.get("start", "")) if data.get("start") else None


@bp.route("/details", methods=["GET", "POST"])
def details():
    data = drafts.load()
    if _choice(data) is None:
        return redirect(url_for("book.choose"))
    if (gate := _needs_screen(data)) is not None:
        return gate
    if _start(data) is None:
        return redirect(url_for("book.time"))
    saved = dict(data.get("details") or {})
    if saved.get("date_of_birth"):
        saved["date_of_birth"] = datetime.fromisoformat(saved["date_of_birth"]).date()
    form = DetailsForm(data=saved if request.method == "GET" else None)
    if form.validate_on_submit():
        drafts.save(
            details={
                "name": form.name.data,
                "email": form.email.data,
                "phone": form.phone.data,
                "note": form.note.data or "",
                "over_18": bool(form.over_18.data),
                "date_of_birth": form.date_of_birth.data.isoformat()
                if form.date_of_birth.data
                else None,
                "guardian_consent": bool(form.guardian_consent.data),
                "agree_policy": bool(form.agree_policy.data),
            }
        )
        return redirect(url_for("book.review"))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "booking/details.html",
        form=form,
        step=step_info("book.details"),
        policy=bookings.policy_snapshot(),
    ), status


@bp.route("/review", methods=["GET", "POST"])
@limits.booking_submissions
def review():
    form = ConfirmForm()
    submitted = request.method == "POST" and form.validate_on_submit()
    if submitted:
        # A second submit of the same form (double click, retry, back and resubmit)
        # returns the booking the first one made.
        done = bookings.find_by_form_key(form.form_key.data)
        if done is not None:
            return _show_booked(done.id, done.public_id, None)
    data = drafts.load()
    choice = _choice(data)
    if choice is None:
        return redirect(url_for("book.choose"))
    if (gate := _needs_screen(data)) is not None:
        return gate
    start = _start(data)
    if start is None:
        return redirect(url_for("book.time"))
    details = data.get("details")
    if not details:
        return redirect(url_for("book.details"))
    if not data.get("form_key") and request.method == "GET":
        data = drafts.save(form_key=secrets.token_urlsafe(24))
    # Only the key this draft handed out books; anything else (a stale page from an
    # earlier attempt, a forged value) shows the review again to be confirmed.
    stale = request.method == "POST" and (
        not submitted or form.form_key.data != data.get("form_key")
    )
    form.form_key.data = data.get("form_key")
    error = None
    alternatives = []
    if request.method == "POST" and not stale:
        request_ = bookings.BookingRequest(
            service_id=choice.service.id,
            minutes=choice.minutes,
            start=start,
            therapist_id=choice.therapist_id,
            name=details["name"],
            email=details["email"],
            phone=details["phone"],
            note=details.get("note", ""),
            over_18=details.get("over_18", True),
            form_key=data["form_key"],
            source=BookingSource.ONLINE,
            screen=_screen(data),
        )
        try:
            result = bookings.book(request_, actor=Actor.patient(), now=clock.now())
        except BookingError as refusal:
            if refusal.reason != "taken":
                # The screen or the treatment no longer fits: go back to where it's fixed.
                flash(refusal.message, "error")
                target = "book.choose" if refusal.field == "service" else "book.health"
                return redirect(url_for(target))
            error, alternatives = refusal.message, refusal.alternatives
            # A new attempt after a refusal is a new submission.
            drafts.save(form_key=secrets.token_urlsafe(24), start=None)
        else:
            return _show_booked(result.booking.id, result.booking.public_id, result.manage_token)
    if error:
        return render_template(
            "booking/time.html",
            form=TimeForm(),
            choice=choice,
            picker=None,
            chosen=None,
            alternatives=alternatives,
            taken_message=error,
            step=step_info("book.time"),
            zone_name=availability.clinic_zone().key,
        ), 409
    price = choice.service.duration(choice.minutes).price_pence
    policy = bookings.policy_snapshot()
    to_start = start - clock.now()
    return render_template(
        "booking/review.html",
        inside_cancel_cutoff=to_start < timedelta(hours=policy["cancel_cutoff_hours"]),
        inside_reschedule_cutoff=to_start < timedelta(hours=policy["reschedule_cutoff_hours"]),
        form=form,
        choice=choice,
        start=start,
        details=details,
        price=price,
        held=_hold_bound(data, clock.now()) is not None,
        step=step_info("book.review"),
        policy=policy,
        stale=stale,
    ), (400 if stale else 200)


def _show_booked(booking_id: int, public_id: str, token: str | None):
    """Send the browser that booked to its booking, after the booking's commit.

    A replay (the same form key after an unknown outcome, a double click) gets a fresh
    manage link of its own. The draft is cleared last, and a failure to clear it is only
    logged: the booking is made, and the stale draft's form key only ever replays it.
    """
    if token is None:
        token = bookings.reissue_link(booking_id, now=clock.now())
    session["last_booking"] = {"ref": public_id, "token": token}
    drafts.discard_quietly()
    return redirect(url_for("book.done", ref=public_id))


@bp.get("/done/<ref>")
def done(ref: str):
    last = session.get("last_booking") or {}
    if last.get("ref") != ref:
        # Only the browser that booked sees the done page; others use the emailed link.
        abort(404)
    booking = bookings.find_by_token(last.get("token", ""))
    if booking is None or booking.public_id != ref:
        abort(404)
    return render_template(
        "booking/done.html",
        booking=booking,
        manage_url=settings.manage_url(last["token"]),
        policy=booking.policy_snapshot,
        calendar=calendar_links(booking, last["token"], now=clock.now()),
    )
