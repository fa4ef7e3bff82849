"""Admin: CSV export of bookings for a date range (no health data; audited).

Cells that a spreadsheet would read as a formula are prefixed with an apostrophe: those
starting with = + - @ once leading spaces and tabs are trimmed (fullwidth and small forms
such as U+FF1D included), or with a tab or carriage return. A patient named
" =HYPERLINK(...)" stays text (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Response, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import clock
from booking.extensions import db
from booking.models import Booking
from booking.services.audit import record
from booking.services.clinic_settings import current_policy
from booking.services.locking import write_transaction
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor
from booking.web.reception.admin.forms import ExportForm

HEADER = (
    "start",
    "end",
    "service",
    "duration_minutes",
    "price",
    "therapist",
    "room",
    "status",
    "source",
    "patient_name",
    "patient_email",
    "patient_phone",
)
_FORMULA_START = frozenset("=+-@")


def safe_cell(value: object) -> str:
    """Return ``value`` as CSV text that no spreadsheet will evaluate."""
    text = "" if value is None else str(value)
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    # Spreadsheets skip leading spaces (any kind) and read fullwidth forms as their ASCII
    # twins; NFKC maps those (U+FF1D, U+FE66, ...) to = + - @.
    first = unicodedata.normalize("NFKC", text.lstrip()[:1])[:1]
    return "'" + text if first in _FORMULA_START else text


def _rows(bookings: list[Booking], zone: ZoneInfo):
    for b in bookings:
        pounds, pence = divmod(b.price_pence, 100)
        yield [
            b.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            b.ends_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            b.service.name,
            b.duration_minutes,
            f"{pounds}.{pence:02d}",
            b.therapist.name,
            b.room.name,
            b.status.value,
            b.source.value,
            b.contact_name or b.patient.name,
            b.contact_email or b.patient.email,
            b.contact_phone or b.patient.phone,
        ]


@admin_bp.get("/export")
def export():
    form = ExportForm(request.args) if request.args else ExportForm(formdata=None)
    if request.args:
        form.validate()
    return render_template("reception/admin/export.html", form=form), 400 if form.errors else 200


@admin_bp.get("/export.csv")
def export_bookings():
    form = ExportForm(request.args)
    if not form.validate():
        return render_template("reception/admin/export.html", form=form), 400
    zone = current_policy().zone
    first, last = form.date_from.data, form.date_to.data
    start = datetime.combine(first, time(0), zone)
    end = datetime.combine(last + timedelta(days=1), time(0), zone)
    bookings = list(
        db.session.scalars(
            select(Booking)
            .where(Booking.starts_at >= start, Booking.starts_at < end)
            .options(
                selectinload(Booking.service),
                selectinload(Booking.therapist),
                selectinload(Booking.room),
                selectinload(Booking.patient),
            )
            .order_by(Booking.starts_at, Booking.id)
        )
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in _rows(bookings, zone):
        writer.writerow([safe_cell(cell) for cell in row])
    with write_transaction():
        record(
            "bookings.exported",
            actor=actor(),
            now=clock.now(),
            date_from=first.isoformat(),
            date_to=last.isoformat(),
            rows=len(bookings),
        )
    filename = f"bookings-{first.isoformat()}-to-{last.isoformat()}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
