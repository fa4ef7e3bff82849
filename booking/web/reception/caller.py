"""Booking for a caller: treatment, time (free times or an override), patient, pain screen.

The screen is run with the caller in the same words as the public form; an EMERGENCY,
URGENT or DECLINED outcome books nothing and shows the advice to read out.
"""

from __future__ import annotations

import secrets

from flask import flash, g, render_template, request
from sqlalchemy import or_, select

from booking.extensions import db
from booking.intake import (
    CONSENT_TEXT,
    QUESTIONS,
    ScreenError,
    assess,
    outcome_text,
    parse_answers,
)
from booking.models import BookingSource, BookingStatus, Patient
from booking.services import bookings, catalog, screening
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.services.locking import write_transaction
from booking.services.waitlist import desk
from booking.services.waitlist import entries as waitlist_entries
from booking.web import picker
from booking.web.booking_flow.screen import MULTI_CHOICE_FIELDS
from booking.web.reception import bp, caller_course, free_times
from booking.web.reception.actions import (
    current_time,
    int_or_none,
    show_refusal,
    staff_actor,
    to_booking_page,
)
from booking.web.reception.forms import NewBookingForm, choices


def _search_patients(q: str) -> list[Patient]:
    """Patients whose name, email or phone contains ``q`` (at most 20)."""
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    like = f"%{escaped}%"
    digits = "".join(ch for ch in q if ch.isdigit())
    conditions = [
        Patient.name.ilike(like, escape="\\"),
        Patient.email.ilike(like, escape="\\"),
    ]
    if len(digits) >= 4:
        conditions.append(Patient.phone.contains(digits[-9:]))
    return list(
        db.session.scalars(select(Patient).where(or_(*conditions)).order_by(Patient.name).limit(20))
    )


def _waiting_entry():
    """The waitlist entry this caller is being booked from, if it is still waiting."""
    entry = desk.find(request.values.get("waitlist", ""))
    return entry if entry is not None and entry.ended_at is None else None


def _caller_choice(form: NewBookingForm):
    """The chosen service, length and therapist id, or None when the option is not valid."""
    slug, _, minutes = (form.option.data or "").partition(":")
    service = catalog.service_by_slug(slug)
    if service is None or not minutes.isdigit() or service.duration(int(minutes)) is None:
        return None
    return service, int(minutes), int_or_none(form.therapist.data)


@bp.route("/book", methods=["GET", "POST"])
def new_booking():
    form = NewBookingForm()
    services = catalog.active_services()
    form.option.choices = choices(
        ("", "Choose…"),
        *[
            (f"{s.slug}:{d.minutes}", f"{s.name}, {d.minutes} minutes")
            for s in services
            for d in s.durations
        ],
    )
    therapists = catalog.active_therapists()
    form.therapist.choices = choices(
        ("", "Any therapist"), *[(str(t.id), t.name) for t in therapists]
    )
    answers: dict = {}
    screen_errors: dict[str, str] = {}
    status = 200
    if request.method == "GET":
        form.option.data = request.args.get("option", "")
        form.therapist.data = request.args.get("therapist", "")
        # From a free cell of the day view: that therapist and time, and a treatment they
        # offer, so reception only changes what the caller wants differently.
        form.start.data = request.args.get("start", "")
        if not form.option.data and form.therapist.data:
            wanted = int_or_none(form.therapist.data)
            form.option.data = free_times.default_option(
                next((t for t in therapists if t.id == wanted), None),
                picker.parse_start(form.start.data),
                now=current_time(),
            )
        form.form_key.data = secrets.token_urlsafe(24)
        if (cell := picker.parse_start(form.start.data or "")) is not None:
            # Ready for the override, should the time be inside the notice or outside hours.
            local = cell.astimezone(current_policy().zone)
            form.override_date.data, form.override_time.data = local.date(), local.time()
        chosen = db.session.get(Patient, int_or_none(request.args.get("patient")) or 0)
        if chosen is not None:
            form.name.data, form.email.data, form.phone.data = (
                chosen.name,
                chosen.email,
                chosen.phone,
            )
    else:
        status = 400
        valid = form.validate_on_submit()
        try:
            screen = parse_answers(request.form)
            answers = screen.to_data()
        except ScreenError as error:
            screen, screen_errors = None, dict(error.errors)
            answers = {
                name: request.form.getlist(name)
                if name in MULTI_CHOICE_FIELDS
                else request.form.get(name)
                for name in request.form
            }
        if valid and screen is not None:
            outcome = _book_for_caller(form, screen)
            if outcome is not None:
                return outcome
            status = 409 if form.errors or form.form_errors else 400
    choice = _caller_choice(form)
    week = None
    chosen_start = picker.parse_start(form.start.data or "")
    if choice is not None:
        first_day = picker.requested_from()
        if first_day is None and chosen_start is not None:
            first_day = free_times.day_of(chosen_start)
        week = free_times.build(
            choice[0],
            choice[1],
            now=current_time(),
            first_day=first_day,
            therapist_id=choice[2],
        )
    course_plan = g.get("course_plan")
    if course_plan is None and choice is not None:
        course_plan = caller_course.plan_for(choice[0], choice[1], chosen_start, choice[2])
    q = request.args.get("q", "")
    waiting = _waiting_entry()
    # The caller's own waitlist offer keeps this time for them: it is theirs to book.
    own_offer = waiting and waitlist_entries.open_offer(waiting)
    kept_for_caller = bool(own_offer) and own_offer.starts_at == chosen_start
    return render_template(
        "reception/new_booking.html",
        waiting=waiting,
        kept_for_caller=kept_for_caller,
        form=form,
        picker=week,
        q=q,
        matches=_search_patients(q),
        chosen_start=chosen_start,
        inside_notice=chosen_start is not None
        and current_policy().inside_notice(chosen_start, current_time()),
        chosen_free=week is not None
        and any(t.value == form.start.data for d in week.days for t in d.times),
        questions=QUESTIONS,
        consent_text=CONSENT_TEXT,
        answers=answers,
        errors=screen_errors,
        course_every=caller_course.cadence(),
        course_plan=course_plan,
        course_price=choice[0].duration(choice[1]).price_pence if course_plan else 0,
        offers_course=choice is not None and choice[0].offers_course,
    ), status


def _book_for_caller(form: NewBookingForm, screen):
    """Book, or show the screen's advice; return a response, or None to re-show the form."""
    now = current_time()
    assessment = assess(screen, screening.settings())
    if not assessment.makes_booking:
        # EMERGENCY, URGENT, DECLINED: nothing is booked and the answers are kept nowhere.
        with write_transaction():
            screening.count_outcome(assessment.outcome, now=now)
        paragraphs = outcome_text(
            assessment,
            emergency_number=current_policy().emergency_number,
            urgent_number=current_policy().urgent_number,
        )
        return render_template(
            "reception/new_booking.html",
            advice={
                "outcome": assessment.outcome.value,
                "message": paragraphs[0],
                "more": paragraphs[1:],
            },
        )
    choice = _caller_choice(form)
    if choice is None:
        form.option.errors.append("Choose a treatment and length.")
        return None
    start = form.wanted_start()
    if start is None:
        return None
    service, minutes, therapist_id = choice
    if caller_course.cadence():
        response, g.course_plan = caller_course.book(
            form, screen, service, minutes, start, therapist_id
        )
        return response
    override = bool(form.override.data)
    waiting = _waiting_entry()
    # The caller's own offer in flight holds this very time: booking it consumes the offer.
    offer = waiting and waitlist_entries.open_offer(waiting)
    reservation_id = offer.reservation_id if offer and offer.starts_at == start else None
    try:
        result = bookings.book(
            bookings.BookingRequest(
                service_id=service.id,
                minutes=minutes,
                start=start,
                therapist_id=therapist_id,
                name=form.name.data,
                email=form.email.data,
                phone=form.phone.data,
                note=form.note.data or "",
                over_18=True,
                form_key=form.form_key.data or None,
                source=BookingSource.RECEPTION,
                screen=screen,
                override_reason=form.override_reason.data if override else "",
                count_screen=True,
                restriction_override_reason=form.restriction_override_reason.data or "",
                reservation_id=reservation_id,
                waitlist_entry_id=waiting.id if waiting is not None else None,
            ),
            actor=staff_actor(),
            now=now,
            policy=current_policy(),
        )
    except BookingError as refusal:
        show_refusal(form, refusal, override=override)
        return None
    booked = result.booking
    if not booked.patient.email and not booked.contact_email:
        flash(
            "Booked for a phone-only caller: no emails will be sent. Read the details out, "
            "or print the confirmation below for them."
            + (
                " The booking is held until a doctor's OK reaches us."
                if booked.status is BookingStatus.HELD
                else ""
            ),
            "info",
        )
    elif booked.status is BookingStatus.HELD:
        flash(
            "Booked and held for medical clearance. Tell the caller they need their doctor's "
            "OK before the appointment; we have emailed them what to do next.",
            "info",
        )
    else:
        flash("Booked. The caller will get a confirmation email.", "success")
    return to_booking_page(booked)
