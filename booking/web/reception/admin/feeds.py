"""Admin: staff calendar feed URLs (create and show once, list, revoke).

The page that answers the create POST shows the new URL and is not a redirect: the URL
exists only in that response (only its hash is stored), and the response is ``no-store``.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import FeedToken, Therapist
from booking.notify.settings import public_url
from booking.services import feed_tokens
from booking.services.errors import CatalogError
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor, show_error
from booking.web.reception.admin.forms import ButtonForm, FeedCreateForm, choices


def _form() -> FeedCreateForm:
    form = FeedCreateForm()
    therapists = db.session.scalars(select(Therapist).order_by(Therapist.position, Therapist.id))
    form.therapist.choices = choices(
        [("", "Whole clinic")] + [(str(t.id), t.name) for t in therapists]
    )
    return form


def _render(form: FeedCreateForm, *, new_url: str | None = None, status: int = 200):
    tokens = list(db.session.scalars(select(FeedToken).order_by(FeedToken.id.desc())))
    return render_template(
        "reception/admin/feeds.html",
        tokens=tokens,
        form=form,
        new_url=new_url,
        button_form=ButtonForm(),
    ), status


@admin_bp.route("/feeds", methods=["GET", "POST"])
def feeds():
    form = _form()
    if form.validate_on_submit():
        try:
            row, token = feed_tokens.create(
                therapist_id=int(form.therapist.data) if form.therapist.data else None,
                label=form.label.data,
                actor=actor(),
                now=clock.now(),
            )
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            whose = row.therapist.name if row.therapist else "the whole clinic"
            flash(f"Feed for {whose} created. Copy the URL now: it will not be shown again.")
            return _render(_form_blank(), new_url=public_url(f"/feeds/{token}.ics"))
    return _render(form, status=400 if form.is_submitted() else 200)


def _form_blank() -> FeedCreateForm:
    form = _form()
    form.therapist.data = ""
    form.label.data = ""
    return form


@admin_bp.post("/feeds/<int:token_id>/revoke")
def feed_revoke(token_id: int):
    row = db.session.get(FeedToken, token_id) or abort(404)
    if ButtonForm().validate_on_submit():
        feed_tokens.revoke(row, actor=actor(), now=clock.now())
        flash(f"Feed {row.id} revoked; its URL no longer works.")
    return redirect(url_for("admin.feeds"), 303)
