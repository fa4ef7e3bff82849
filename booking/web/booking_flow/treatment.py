"""Step 1: the treatment, its length and (optionally) the therapist."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from booking import clock
from booking.services import catalog, screening
from booking.web import drafts
from booking.web.booking_flow import steps
from booking.web.forms import ChooseTreatmentForm, choices

NOT_SUITABLE = (
    "This treatment uses deep pressure, which isn't suitable for you from what you told us. "
    "Please choose a gentler one."
)


def choose():
    data = drafts.load()
    services = catalog.active_services()
    form = ChooseTreatmentForm()
    form.option.choices = choices(
        (f"{s.slug}:{d.minutes}", f"{s.name}, {d.minutes} minutes")
        for s in services
        for d in s.durations
    )
    therapists = catalog.active_therapists()
    form.therapist.choices = choices(
        [("", "Any therapist")] + [(t.slug, t.name) for t in therapists]
    )
    assessment = steps.assessment(data)
    no_deep_pressure = screening.deep_pressure_ruled_out(
        assessment, steps.email(data), now=clock.now()
    )
    if request.method == "GET":
        wanted = request.args.get("service") or data.get("service")
        minutes = data.get("minutes")
        if wanted and not minutes:
            service = next((s for s in services if s.slug == wanted), None)
            minutes = service.durations[0].minutes if service and service.durations else None
        if wanted and minutes:
            form.option.data = f"{wanted}:{minutes}"
        form.therapist.data = data.get("therapist", "")
        wanted_course = data.get("course") if isinstance(data.get("course"), dict) else None
        form.kind.data = "course" if wanted_course else "single"
        form.every_weeks.data = str((wanted_course or {}).get("every_weeks", 1))
    if form.validate_on_submit():
        slug, _, minutes = form.option.data.partition(":")
        service = next(s for s in services if s.slug == slug)
        chosen = next((t for t in therapists if t.slug == form.therapist.data), None)
        if chosen is not None and chosen not in service.therapists:
            form.therapist.errors.append(
                f"{chosen.name} doesn't offer {service.name}; choose someone else or any therapist."
            )
        elif service.deep_pressure and no_deep_pressure:
            form.option.errors.append(NOT_SUITABLE)
        elif form.kind.data == "course" and not service.offers_course:
            form.kind.errors.append(
                f"{service.name} isn't offered as a course. Choose a single session, or one "
                "of the treatments offered as a course."
            )
        else:
            wants_course = form.kind.data == "course"
            drafts.save(
                service=slug,
                minutes=int(minutes),
                therapist=form.therapist.data,
                start=None,
                course={"every_weeks": int(form.every_weeks.data or 1)} if wants_course else None,
                course_plan=None,
            )
            return redirect(url_for("book.health" if assessment is None else "book.time"))
    return render_template(
        "booking/choose.html",
        form=form,
        services=services,
        therapists=therapists,
        step=steps.step_info("book.choose"),
        no_deep_pressure=no_deep_pressure,
        course_services=[s for s in services if s.offers_course],
    ), (400 if form.errors else 200)
