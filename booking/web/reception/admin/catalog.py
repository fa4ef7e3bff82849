"""Admin: services (durations, prices, therapists), therapists (details, weekly hours), rooms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from booking import clock
from booking.extensions import db
from booking.models import Room, Service, Therapist
from booking.services import catalog_admin, catalog_input
from booking.services.errors import CatalogError
from booking.web.reception import admin_bp
from booking.web.reception.admin.common import actor, show_error
from booking.web.reception.admin.forms import (
    ButtonForm,
    DurationForm,
    HoursForm,
    RoomForm,
    ServiceCreateForm,
    ServiceForm,
    TherapistCreateForm,
    TherapistForm,
    choices,
)


def _all_therapists() -> list[Therapist]:
    return list(db.session.scalars(select(Therapist).order_by(Therapist.position, Therapist.id)))


def _all_services() -> list[Service]:
    return list(
        db.session.scalars(
            select(Service)
            .options(selectinload(Service.durations), selectinload(Service.therapists))
            .order_by(Service.position, Service.id)
        )
    )


# ---- services ------------------------------------------------------------------------------


@admin_bp.route("/services", methods=["GET", "POST"])
def services():
    form = ServiceCreateForm()
    if form.validate_on_submit():
        try:
            service = catalog_admin.create_service(
                name=form.name.data,
                summary=form.summary.data,
                minutes=form.minutes.data,
                price_pence=form.price.data,
                actor=actor(),
                now=clock.now(),
            )
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            flash(f"Service “{service.name}” created; choose who offers it.")
            return redirect(url_for("admin.service", service_id=service.id), 303)
    return render_template(
        "reception/admin/services.html", services=_all_services(), form=form
    ), 200 if not form.errors else 400


def _service_form(service: Service, formdata=True) -> ServiceForm:
    kwargs = {} if formdata else {"formdata": None}
    form = ServiceForm(obj=service, **kwargs)
    form.therapists.choices = choices((t.id, t.name) for t in _all_therapists())
    if not form.is_submitted() or not formdata:
        form.therapists.data = [t.id for t in service.therapists]
    return form


def _render_service(service: Service, form: ServiceForm, duration_form: DurationForm, status=200):
    return render_template(
        "reception/admin/service.html",
        service=service,
        form=form,
        duration_form=duration_form,
        button_form=ButtonForm(),
    ), status


@admin_bp.route("/services/<int:service_id>", methods=["GET", "POST"])
def service(service_id: int):
    found = db.session.get(Service, service_id) or abort(404)
    form = _service_form(found)
    if form.validate_on_submit():
        try:
            catalog_admin.update_service(
                found,
                name=form.name.data,
                summary=form.summary.data,
                body=form.body.data,
                suits=form.suits.data,
                buffer_minutes=form.buffer_minutes.data,
                deep_pressure=form.deep_pressure.data,
                course_sessions=form.course_sessions.data or 0,
                active=form.active.data,
                therapist_ids=form.therapists.data or [],
                actor=actor(),
                now=clock.now(),
            )
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            flash(f"Saved “{found.name}”.")
            return redirect(url_for("admin.service", service_id=found.id), 303)
    status = 400 if form.is_submitted() else 200
    return _render_service(found, form, DurationForm(formdata=None), status)


@admin_bp.post("/services/<int:service_id>/durations")
def service_add_duration(service_id: int):
    found = db.session.get(Service, service_id) or abort(404)
    duration_form = DurationForm()
    if duration_form.validate_on_submit():
        try:
            catalog_admin.add_duration(
                found,
                minutes=duration_form.minutes.data,
                price_pence=duration_form.price.data,
                actor=actor(),
                now=clock.now(),
            )
        except CatalogError as error:
            show_error(duration_form, error.field, error.message)
        else:
            flash(f"Added a {duration_form.minutes.data}-minute option.")
            return redirect(url_for("admin.service", service_id=found.id), 303)
    found = db.session.get(Service, service_id) or abort(404)
    return _render_service(found, _service_form(found, formdata=False), duration_form, 400)


@admin_bp.post("/services/<int:service_id>/durations/<int:duration_id>/remove")
def service_remove_duration(service_id: int, duration_id: int):
    found = db.session.get(Service, service_id) or abort(404)
    if ButtonForm().validate_on_submit():
        try:
            catalog_admin.remove_duration(found, duration_id, actor=actor(), now=clock.now())
        except CatalogError as error:
            flash(error.message, "error")
        else:
            flash("Duration removed; existing bookings keep their length and price.")
    return redirect(url_for("admin.service", service_id=service_id), 303)


# ---- therapists ----------------------------------------------------------------------------


@admin_bp.route("/therapists", methods=["GET", "POST"])
def therapists():
    form = TherapistCreateForm()
    if form.validate_on_submit():
        try:
            therapist = catalog_admin.create_therapist(
                name=form.name.data, title=form.title.data, actor=actor(), now=clock.now()
            )
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            flash(f"Therapist “{therapist.name}” added; set their services and hours.")
            return redirect(url_for("admin.therapist", therapist_id=therapist.id), 303)
    listed = list(
        db.session.scalars(
            select(Therapist)
            .options(selectinload(Therapist.services), selectinload(Therapist.working_hours))
            .order_by(Therapist.position, Therapist.id)
        )
    )
    hours = {t.id: catalog_admin.week_texts(t) for t in listed}
    return render_template(
        "reception/admin/therapists.html",
        therapists=listed,
        hours=hours,
        weekdays=catalog_input.WEEKDAYS,
        form=form,
    ), 400 if form.errors else 200


def _therapist_form(therapist: Therapist, formdata=True) -> TherapistForm:
    kwargs = {} if formdata else {"formdata": None}
    form = TherapistForm(obj=therapist, **kwargs)
    form.services.choices = choices((s.id, s.name) for s in _all_services())
    if not form.is_submitted() or not formdata:
        form.services.data = [s.id for s in therapist.services]
    return form


def _hours_form(therapist: Therapist, formdata=True) -> HoursForm:
    texts = catalog_admin.week_texts(therapist)
    data = {f"day_{d}": texts[d] for d in range(7)}
    return HoursForm(data=data) if formdata else HoursForm(formdata=None, data=data)


def _render_therapist(therapist, form, hours_form, status=200):
    return render_template(
        "reception/admin/therapist.html", therapist=therapist, form=form, hours_form=hours_form
    ), status


@admin_bp.route("/therapists/<int:therapist_id>", methods=["GET", "POST"])
def therapist(therapist_id: int):
    found = db.session.get(Therapist, therapist_id) or abort(404)
    form = _therapist_form(found)
    if form.validate_on_submit():
        try:
            catalog_admin.update_therapist(
                found,
                name=form.name.data,
                title=form.title.data,
                bio=form.bio.data,
                active=form.active.data,
                service_ids=form.services.data or [],
                actor=actor(),
                now=clock.now(),
            )
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            flash(f"Saved “{found.name}”.")
            return redirect(url_for("admin.therapist", therapist_id=found.id), 303)
    status = 400 if form.is_submitted() else 200
    return _render_therapist(found, form, _hours_form(found, formdata=False), status)


@admin_bp.post("/therapists/<int:therapist_id>/hours")
def therapist_hours(therapist_id: int):
    found = db.session.get(Therapist, therapist_id) or abort(404)
    hours_form = HoursForm()
    if hours_form.validate_on_submit():
        texts = {d: getattr(hours_form, f"day_{d}").data for d in range(7)}
        try:
            catalog_admin.set_weekly_hours(found, texts, actor=actor(), now=clock.now())
        except CatalogError as error:
            show_error(hours_form, error.field, error.message)
        else:
            flash(f"Weekly hours of “{found.name}” saved; availability uses them from now on.")
            return redirect(url_for("admin.therapist", therapist_id=found.id), 303)
    found = db.session.get(Therapist, therapist_id) or abort(404)
    return _render_therapist(found, _therapist_form(found, formdata=False), hours_form, 400)


# ---- rooms ---------------------------------------------------------------------------------


def _render_rooms(form: RoomForm, status=200):
    rooms = list(db.session.scalars(select(Room).order_by(Room.position, Room.id)))
    return render_template(
        "reception/admin/rooms.html",
        rooms=rooms,
        form=form,
        rename_forms={r.id: RoomForm(formdata=None, obj=r, prefix=f"room{r.id}") for r in rooms},
        button_form=ButtonForm(),
    ), status


@admin_bp.route("/rooms", methods=["GET", "POST"])
def rooms():
    form = RoomForm()
    if form.validate_on_submit():
        try:
            room = catalog_admin.create_room(name=form.name.data, actor=actor(), now=clock.now())
        except CatalogError as error:
            show_error(form, error.field, error.message)
        else:
            flash(f"Room “{room.name}” added.")
            return redirect(url_for("admin.rooms"), 303)
    return _render_rooms(form, 400 if form.is_submitted() else 200)


@admin_bp.post("/rooms/<int:room_id>/rename")
def room_rename(room_id: int):
    room = db.session.get(Room, room_id) or abort(404)
    form = RoomForm(prefix=f"room{room.id}")
    if form.validate_on_submit():
        try:
            catalog_admin.rename_room(room, name=form.name.data, actor=actor(), now=clock.now())
        except CatalogError as error:
            flash(f"Room not renamed: {error.message}", "error")
        else:
            flash(f"Room renamed to “{room.name}”.")
    return redirect(url_for("admin.rooms"), 303)


@admin_bp.post("/rooms/<int:room_id>/active")
def room_active(room_id: int):
    room = db.session.get(Room, room_id) or abort(404)
    if ButtonForm().validate_on_submit():
        catalog_admin.set_room_active(room, not room.active, actor=actor(), now=clock.now())
        flash(f"Room “{room.name}” {'is back in use' if room.active else 'taken out of use'}.")
    return redirect(url_for("admin.rooms"), 303)
