"""Admin: clinic settings (policy, holds, screen thresholds, emergency numbers).

Saved values are in force from the next request in every worker (see
``booking.services.clinic_settings``).
"""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import StringField

from booking import clock
from booking.services import clinic_settings
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor


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
    current = clinic_settings.current_values()
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
