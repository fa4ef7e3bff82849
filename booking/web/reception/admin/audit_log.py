"""Admin: the audit log, filtered by action prefix, dates, booking and staff, paginated."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import select

from booking.extensions import db
from booking.models import AuditEvent, Booking, StaffUser
from booking.models.booking import REFERENCE_LENGTH
from booking.services.clinic_settings import current_policy
from booking.web.reception import admin_bp
from booking.web.reception.admin.forms import AuditFilterForm, choices

PER_PAGE = 50


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@admin_bp.get("/audit")
def audit_log():
    form = AuditFilterForm(request.args)
    staff = list(db.session.scalars(select(StaffUser).order_by(StaffUser.name)))
    form.staff.choices = choices(
        [("", "Anyone")] + [(str(s.id), f"{s.name} ({s.email})") for s in staff]
    )
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    valid = form.validate()
    if valid:
        zone = current_policy().zone
        action = (form.action.data or "").strip()
        if action:
            query = query.where(AuditEvent.action.like(f"{_escape_like(action)}%", escape="\\"))
        if form.date_from.data:
            query = query.where(
                AuditEvent.occurred_at >= datetime.combine(form.date_from.data, time(0), zone)
            )
        if form.date_to.data:
            end = datetime.combine(form.date_to.data + timedelta(days=1), time(0), zone)
            query = query.where(AuditEvent.occurred_at < end)
        ref = (form.ref.data or "").strip().lower()
        if ref:
            # The short reference people read out (its first 8 characters) or the full id.
            query = query.join(Booking, Booking.id == AuditEvent.booking_id).where(
                Booking.public_id.like(f"{_escape_like(ref)}%", escape="\\")
                if len(ref) == REFERENCE_LENGTH
                else Booking.public_id == ref
            )
        if form.staff.data:
            query = query.where(AuditEvent.staff_user_id == int(form.staff.data))
    page = request.args.get("page", 1, type=int) or 1
    events = db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)
    booking_refs = dict(
        db.session.execute(
            select(Booking.id, Booking.public_id).where(
                Booking.id.in_({e.booking_id for e in events.items if e.booking_id})
            )
        ).all()
    )
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "reception/admin/audit.html",
        form=form,
        events=events,
        staff_names={s.id: s.name for s in staff},
        booking_refs=booking_refs,
        args=args,
    ), 200 if valid else 400
