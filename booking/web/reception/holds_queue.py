"""The hold queue: every held booking, soonest expiry first, with what reception needs.

Reception sees contact details, times, whether the hold was extended, whether a clearance
is awaiting a therapist's approval and the hold emails sent; never the screen's answers or
a clearance's restrictions (DOMAIN.md section 5). A therapist sees only their own holds.
"""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from booking import clock
from booking.models import StaffRole
from booking.services import reception_queries as queries
from booking.web.reception import bp


@bp.get("/holds")
def hold_queue():
    now = clock.now()
    therapist_id = None
    if current_user.role is StaffRole.THERAPIST:
        therapist_id = current_user.therapist_id or -1
    holds = queries.hold_queue(now=now, therapist_id=therapist_id)
    return render_template("reception/hold_queue.html", holds=holds, now=now)
