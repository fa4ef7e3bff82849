"""Admin: staff accounts (list, create, deactivate, reset password), via services.staff."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import StaffRole, StaffUser, Therapist
from booking.services import staff as staff_service
from booking.services.errors import StaffError
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor, show_error
from booking.web.reception.admin.forms import (
    ButtonForm,
    PasswordResetForm,
    StaffCreateForm,
    choices,
)


def _create_form() -> StaffCreateForm:
    form = StaffCreateForm()
    therapists = db.session.scalars(select(Therapist).order_by(Therapist.position, Therapist.id))
    form.therapist.choices = choices(
        [("", "(not a therapist account)")] + [(str(t.id), t.name) for t in therapists]
    )
    return form


def _render(form: StaffCreateForm, status: int = 200):
    accounts = list(
        db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name))
    )
    therapists = {t.id: t for t in db.session.scalars(select(Therapist))}
    return render_template(
        "reception/admin/staff.html",
        accounts=accounts,
        therapists=therapists,
        form=form,
        button_form=ButtonForm(),
        password_form=PasswordResetForm(formdata=None),
    ), status


@admin_bp.route("/staff", methods=["GET", "POST"])
def staff_accounts():
    form = _create_form()
    if form.validate_on_submit():
        try:
            created = staff_service.create_staff(
                email=form.email.data,
                name=form.name.data,
                role=form.role.data,
                password=form.password.data or "",
                therapist_id=int(form.therapist.data) if form.therapist.data else None,
                actor=actor(),
                now=clock.now(),
            )
        except StaffError as error:
            field = error.field or {
                "therapist_required": "therapist",
                "therapist_not_allowed": "therapist",
                "unknown_therapist": "therapist",
                "invalid_role": "role",
            }.get(error.reason)
            show_error(form, field, error.message)
        else:
            flash(f"Account for {created.name} ({created.email}) created.")
            return redirect(url_for("admin.staff_accounts"), 303)
    return _render(form, 400 if form.is_submitted() else 200)


@admin_bp.post("/staff/<int:staff_id>/deactivate")
def staff_deactivate(staff_id: int):
    account = db.session.get(StaffUser, staff_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
    elif account.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
    elif not account.active:
        flash(f"{account.name}'s account is already inactive.")
    elif account.role is StaffRole.ADMIN and _active_admins() <= 1:
        flash("This is the last active admin account; create another first.", "error")
    else:
        staff_service.deactivate(account, actor=actor(), now=clock.now())
        flash(f"{account.name}'s account is deactivated and signed out everywhere.")
    return redirect(url_for("admin.staff_accounts"), 303)


@admin_bp.post("/staff/<int:staff_id>/password")
def staff_password(staff_id: int):
    account = db.session.get(StaffUser, staff_id) or abort(404)
    form = PasswordResetForm()
    if form.validate_on_submit():
        try:
            staff_service.change_password(
                account, form.password.data or "", actor=actor(), now=clock.now()
            )
        except StaffError as error:
            flash(f"Password not changed: {error.message}", "error")
        else:
            flash(f"{account.name}'s password is reset; their sessions have ended.")
    return redirect(url_for("admin.staff_accounts"), 303)


def _active_admins() -> int:
    return len(
        list(
            db.session.scalars(
                select(StaffUser.id).where(
                    StaffUser.role == StaffRole.ADMIN, StaffUser.active.is_(True)
                )
            )
        )
    )
