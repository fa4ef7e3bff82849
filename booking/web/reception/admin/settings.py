"""Admin: clinic settings (policy, holds, screen thresholds, emergency numbers).

Also installs the per-request overlay of saved settings onto ``app.config`` (see
``booking.services.clinic_settings`` for why that is safe with several workers).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from booking import clock
from booking.services import clinic_settings
from booking.web.reception import admin_bp, bp
from booking.web.reception.admin.common import actor


@bp.before_app_request
def _overlay_saved_settings() -> None:
    # Static files need no policy; everything else sees the saved values.
    if request.endpoint == "static":
        return
    clinic_settings.apply_saved_settings(current_app._get_current_object())


def _settings_form_class() -> type[FlaskForm]:
    fields = {
        spec.key.lower(): StringField(
            spec.label,
            render_kw={
                "maxlength": 20,
                "inputmode": "numeric" if spec.kind == "int" else "tel",
            },
        )
        for spec in clinic_settings.EDITABLE
    }
    return type("ClinicSettingsForm", (FlaskForm,), fields)


SettingsForm = _settings_form_class()


@admin_bp.route("/settings", methods=["GET", "POST"])
def settings():
    app = current_app._get_current_object()
    current = clinic_settings.current_values(app)
    form = SettingsForm(data={key.lower(): value for key, value in current.items()})
    status = 200
    if form.validate_on_submit():
        values = {spec.key: form[spec.key.lower()].data for spec in clinic_settings.EDITABLE}
        try:
            changed = clinic_settings.save(values, app=app, actor=actor(), now=clock.now())
        except clinic_settings.SettingsError as error:
            for key, message in error.errors.items():
                if key.lower() in form:
                    form[key.lower()].errors = [message]
                else:
                    flash(message, "error")
            status = 400
        else:
            flash(
                f"Saved {len(changed)} change{'s' if len(changed) != 1 else ''}; in force from "
                "the next page."
                if changed
                else "Nothing changed."
            )
            return redirect(url_for("admin.settings"), 303)
    elif form.is_submitted():
        status = 400
    groups: dict[str, list] = {}
    for spec in clinic_settings.EDITABLE:
        groups.setdefault(spec.group, []).append(spec)
    return render_template(
        "reception/admin/settings.html",
        form=form,
        groups=groups,
        defaults=clinic_settings.default_values(app),
    ), status
