"""Reception and admin: the calendar the front desk works from, and clinic set-up.

Both blueprints are guarded as a whole (see ``reception_guard``): every route, including
one added later, refuses anyone who is not signed-in staff with the right role. Routes
live in one module per concept, imported at the bottom so they register on these
blueprints.
"""

from __future__ import annotations

from flask import Blueprint

from booking.models import StaffRole
from booking.web.reception_guard import guard_blueprint

bp = Blueprint("reception", __name__, url_prefix="/reception")
guard_blueprint(bp, roles=(StaffRole.ADMIN, StaffRole.RECEPTION, StaffRole.THERAPIST))

admin_bp = Blueprint("admin", __name__, url_prefix="/reception/admin")
guard_blueprint(admin_bp, roles=(StaffRole.ADMIN,))


@bp.after_request
def _personal(response):
    # Names, times and statuses of patients: never cached, never shared between users.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Vary"] = "Cookie"
    return response


admin_bp.after_request(_personal)

# Route modules (each registers on ``bp`` or ``admin_bp``).
from booking.web.reception import (  # noqa: E402
    actions,
    admin,
    calendar,
    caller,
    display,
    follow_ups,
    holds_queue,
    home,
    mail,
    moving,
    patients,
    privacy,
    schedule_blocks,
    waitlist,
    week,
)

__all__ = [
    "actions",
    "admin",
    "admin_bp",
    "bp",
    "calendar",
    "caller",
    "display",
    "follow_ups",
    "holds_queue",
    "home",
    "mail",
    "moving",
    "patients",
    "privacy",
    "schedule_blocks",
    "waitlist",
    "week",
]
