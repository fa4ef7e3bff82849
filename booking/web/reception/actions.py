"""Reception's actions on one booking: its page, cancel, mark, note, the hold actions.

Every handler loads (404), authorises (403), calls one service verb with the signed-in
staff member as the actor (the verb writes the audit row and, where the patient is told,
queues the email), then redirects; a refusal (``BookingError``) is shown on the form.
Reception never sees the pain screen's answers here: only the booking's status. Moving a
booking is in ``moving``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import (
    ActorKind,
    AuditEvent,
    Booking,
    BookingStatus,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    StaffRole,
    StaffUser,
)
from booking.services import (
    bookings,
    clearance,
    courses,
    visits,
)
from booking.services.audit import Actor
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError
from booking.web.reception import bp
from booking.web.reception.forms import (
    CancelBookingForm,
    CancelCourseForm,
    DecideClearanceForm,
    ExtendHoldForm,
    NoteForm,
    RecordClearanceForm,
    StatusForm,
)
from booking.web.reception_guard import requires_role

# Where a verb's ``field`` is shown on our forms when the names differ.
FIELD_ON_FORM = {
    "service": "option",
    "minutes": "option",
    "staff_reason": "reason",
    "end": "end_date",
}
OVERRIDE_CONFLICT = (
    "That time clashes with another booking for this therapist, or no room is free then. "
    "Choose another time or therapist."
)
MARK_VERBS = {
    "arrived": visits.mark_arrived,
    "completed": visits.mark_completed,
    "no_show": visits.mark_no_show,
}
STATUS_WORDS = {
    BookingStatus.HELD: "held for clearance",
    BookingStatus.CONFIRMED: "confirmed",
    BookingStatus.ARRIVED: "arrived",
    BookingStatus.COMPLETED: "completed",
    BookingStatus.NO_SHOW: "no-show",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.EXPIRED: "hold expired",
    BookingStatus.RELEASED: "released (not cleared)",
}
CLEARANCE_DONE = {
    "confirmed": "Clearance recorded: the booking is confirmed and the patient will get an email.",
    "awaiting_approval": "Clearance recorded: it now waits for the therapist to approve the "
    "restrictions.",
    "released": "Clearance recorded as not cleared: the booking is released and the patient "
    "will get an email.",
}
# Audit details safe to show at the desk (the trail never holds health data; this list
# also keeps internal ids and long values off the page).
TRAIL_DETAILS = ("old_start", "new_start", "notified", "reason", "override_reason", "until", "by")


def staff_actor() -> Actor:
    return Actor.staff(current_user.id)


def current_time():
    return clock.now()


def load_booking(ref: str) -> Booking:
    booking = db.session.scalar(select(Booking).where(Booking.public_id == ref))
    if booking is None:
        abort(404)
    return booking


def to_booking_page(booking: Booking):
    return redirect(url_for("reception.booking", ref=booking.public_id), code=303)


def show_refusal(form, error: BookingError, *, override: bool = False) -> None:
    """Put a verb's refusal next to the field it names, or at the top of the form."""
    message = error.message
    name = FIELD_ON_FORM.get(error.field or "", error.field)
    if error.reason == "taken":
        name = "override_time" if override else "start"
        if override:
            message = OVERRIDE_CONFLICT
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors") and isinstance(field.errors, list):
        field.errors.append(message)
    else:
        form.form_errors.append(message)


# ---- the booking's page ----------------------------------------------------------------------


def _staff_names(ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    rows = db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _trail(booking: Booking) -> list[dict]:
    events = list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.booking_id == booking.id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )
    names = _staff_names({e.staff_user_id for e in events})
    who = {
        ActorKind.PATIENT: "Patient",
        ActorKind.SYSTEM: "System",
        ActorKind.CLINICIAN: "Clinician",
    }
    return [
        {
            "when": e.occurred_at,
            "action": e.action.removeprefix("booking.").replace("_", " "),
            "who": names.get(e.staff_user_id, "Staff")
            if e.actor_kind is ActorKind.STAFF
            else who[e.actor_kind],
            "details": {k: e.details[k] for k in TRAIL_DETAILS if k in (e.details or {})},
        }
        for e in events
    ]


def _latest_clearance(booking: Booking) -> Clearance | None:
    return db.session.scalar(
        select(Clearance)
        .where(Clearance.booking_id == booking.id)
        .order_by(Clearance.attested_at.desc(), Clearance.id.desc())
        .limit(1)
    )


def _may_decide(booking: Booking) -> bool:
    if current_user.has_role(StaffRole.ADMIN):
        return True
    return current_user.has_role(StaffRole.THERAPIST) and (
        booking.therapist_id == current_user.therapist_id
    )


def _render_booking(booking: Booking, status: int = 200, **forms):
    now = current_time()
    live_hold = booking.status is BookingStatus.HELD and booking.blocks_at(now)
    notes = visits.notes_for(booking.id)
    return render_template(
        "reception/booking.html",
        booking=booking,
        now=now,
        status_word=STATUS_WORDS[booking.status],
        live_hold=live_hold,
        can_change=booking.status in bookings.ACTIVE and booking.starts_at > now,
        can_mark={s: visits.can_mark(booking, BookingStatus(s), now) for s in MARK_VERBS},
        latest_clearance=_latest_clearance(booking),
        restrictions=clearance.restrictions_for(booking, now=now),
        awaiting_approval=clearance.pending_clearance(booking.id) is not None,
        may_decide=_may_decide(booking),
        notes=notes,
        staff_names=_staff_names({n.staff_user_id for n in notes}),
        trail=_trail(booking),
        status_form=forms.get("status_form") or StatusForm(formdata=None),
        note_form=forms.get("note_form") or NoteForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelBookingForm(formdata=None),
        cancel_course_form=forms.get("cancel_course_form") or CancelCourseForm(formdata=None),
        extend_form=forms.get("extend_form") or ExtendHoldForm(formdata=None),
        clearance_form=forms.get("clearance_form") or RecordClearanceForm(formdata=None),
        decide_form=forms.get("decide_form") or DecideClearanceForm(formdata=None),
    ), status


@bp.get("/bookings/<ref>")
def booking(ref: str):
    return _render_booking(load_booking(ref))


def _act(booking: Booking, form, form_name: str, call, done: str):
    """Validate ``form``, run ``call()``, flash ``done``; or show the form's errors."""
    if not form.validate_on_submit():
        return _render_booking(booking, 400, **{form_name: form})
    try:
        call()
    except BookingError as refusal:
        show_refusal(form, refusal)
        return _render_booking(booking, 409, **{form_name: form})
    flash(done, "success")
    return to_booking_page(booking)


@bp.post("/bookings/<ref>/status")
def mark(ref: str):
    booking = load_booking(ref)
    form = StatusForm()
    words = {"arrived": "arrived", "completed": "completed", "no_show": "a no-show"}
    return _act(
        booking,
        form,
        "status_form",
        lambda: MARK_VERBS[form.value.data](booking.id, actor=staff_actor(), now=current_time()),
        f"Marked as {words.get(form.value.data, '')}.",
    )


@bp.post("/bookings/<ref>/notes")
def add_note(ref: str):
    booking = load_booking(ref)
    form = NoteForm()
    return _act(
        booking,
        form,
        "note_form",
        lambda: visits.add_note(
            booking.id, form.body.data, actor=staff_actor(), now=current_time()
        ),
        "Note added.",
    )


@bp.post("/bookings/<ref>/cancel")
def cancel(ref: str):
    booking = load_booking(ref)
    form = CancelBookingForm()
    notify = bool(form.notify.data)
    return _act(
        booking,
        form,
        "cancel_form",
        lambda: bookings.cancel(
            booking.id,
            actor=staff_actor(),
            now=current_time(),
            enforce_cutoff=False,
            notify=notify,
            policy=current_policy(),
        ),
        "Booking cancelled." + (" The patient will get an email." if notify else ""),
    )


@bp.post("/bookings/<ref>/course/cancel")
def cancel_course(ref: str):
    """Cancel every session still to come of the booking's course, the cut-off lifted."""
    booking = load_booking(ref)
    if booking.course_id is None:
        abort(404)
    form = CancelCourseForm()
    return _act(
        booking,
        form,
        "cancel_course_form",
        lambda: courses.cancel_rest(
            booking.id, actor=staff_actor(), now=current_time(), enforce_cutoff=False
        ),
        "The rest of the course is cancelled.",
    )


@bp.post("/bookings/<ref>/extend")
def extend_hold(ref: str):
    booking = load_booking(ref)
    form = ExtendHoldForm()
    return _act(
        booking,
        form,
        "extend_form",
        lambda: clearance.extend_hold(
            booking.id,
            reason=form.reason.data,
            actor=staff_actor(),
            now=current_time(),
            policy=current_policy(),
        ),
        "Hold extended.",
    )


@bp.post("/bookings/<ref>/clearance")
def record_clearance(ref: str):
    booking = load_booking(ref)
    form = RecordClearanceForm()
    if not form.validate_on_submit():
        return _render_booking(booking, 400, clearance_form=form)
    statement = clearance.ClearanceStatement(
        outcome=ClearanceOutcome(form.outcome.data),
        source=ClearanceSource(form.source.data),
        staff_reason=form.reason.data,
        restriction_ticks=tuple(form.restriction_ticks.data or ()),
    )
    try:
        result = clearance.attest(
            booking.id, statement, actor=staff_actor(), now=current_time(), policy=current_policy()
        )
    except BookingError as refusal:
        show_refusal(form, refusal)
        return _render_booking(booking, 409, clearance_form=form)
    flash(CLEARANCE_DONE[result.result], "success")
    return to_booking_page(booking)


@bp.post("/bookings/<ref>/clearance/decision")
def decide_clearance(ref: str):
    # Load first (404), then authorise (403): a therapist or an admin only.
    return _decide(load_booking(ref))


@requires_role(StaffRole.THERAPIST, StaffRole.ADMIN)
def _decide(booking: Booking):
    if not _may_decide(booking):
        abort(403)  # a therapist decides for their own clients only
    form = DecideClearanceForm()
    approve = form.decision.data == "approve"
    return _act(
        booking,
        form,
        "decide_form",
        lambda: clearance.decide(
            booking.id,
            approve=approve,
            actor=staff_actor(),
            now=current_time(),
            reason=form.reason.data,
        ),
        "Clearance approved: the booking is confirmed."
        if approve
        else "Clearance refused: the booking is released.",
    )


def int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
