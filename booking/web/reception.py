"""Reception and admin pages. Both blueprints are guarded as a whole (see reception_guard).

A placeholder for now: the day view, hold queue and admin screens come with issue 7.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from booking.models import StaffRole
from booking.web.reception_guard import guard_blueprint

bp = Blueprint("reception", __name__, url_prefix="/reception")
guard_blueprint(bp, roles=(StaffRole.ADMIN, StaffRole.RECEPTION, StaffRole.THERAPIST))

admin_bp = Blueprint("admin", __name__, url_prefix="/reception/admin")
guard_blueprint(admin_bp, roles=(StaffRole.ADMIN,))


@bp.get("/")
def home():
    return render_template("reception/home.html")


@admin_bp.get("/")
def home_admin():
    return render_template("reception/admin_home.html")
