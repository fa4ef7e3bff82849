"""Admin: staff sign-ins being slowed down (account, source address), and clearing them.

Clearing lets that address try again at once; the account itself was never locked.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from booking import clock
from booking.services import sign_in_throttle
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor
from booking.web.reception.admin.forms import ButtonForm


@admin_bp.get("/sign-in")
def sign_in_throttles():
    now = clock.now()
    return render_template(
        "reception/admin/sign_in.html",
        entries=sign_in_throttle.current(now=now),
        now=now,
        button_form=ButtonForm(),
    )


@admin_bp.post("/sign-in/<int:entry_id>/clear")
def sign_in_clear(entry_id: int):
    if ButtonForm().validate_on_submit():
        if sign_in_throttle.clear(entry_id, actor=actor(), now=clock.now()):
            flash("Cleared: that address may try to sign in again now.")
        else:
            flash("That entry had already gone.")
    return redirect(url_for("admin.sign_in_throttles"), 303)
