"""The whole course journey through the pages and the worker, on the demo clinic.

A patient in severe pain books a six-week course online; every session is held. From the
manage page they send their GP a link; the worker mails it; the GP clears the course through
it, and every session is confirmed by that one clearance. Reception marks the first session
arrived and completed; a day later the worker sends the follow-up; the patient answers it,
and the therapist's patient page charts the pain score. Real mail over loopback SMTP; the
clock is frozen at each step.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import Booking, BookingStatus, Clearance, ClearanceSource, Course, StaffRole
from booking.worker.delivery import deliver_due
from booking.worker.jobs import run_jobs
from tests.followup.helpers import link_token
from tests.notify.conftest import mail_app, smtp_server  # noqa: F401
from tests.support.database import DEFAULT_NOW
from tests.support.flows import DETAILS, FORM_KEY_RE, MANAGE_RE, answer_screen, offered_starts
from tests.support.notify import parse_mail
from tests.support.screens import severe
from tests.web.test_reception_patients import make_member, signed_in

OPTION = "therapeutic-back-massage:60"  # six sessions in the demo clinic
CLINICIAN_LINK = re.compile(r"/clinician/([A-Za-z0-9_-]+)")
GP = {
    "clinician_name": "Dr Amara Patel",
    "clinician_kind": "gp",
    "registration": "7654321",
    "outcome": "cleared",
    "truthful": "y",
}


def sessions() -> list[Booking]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Booking).where(Booking.course_id.is_not(None)).order_by(Booking.course_session)
        )
    )


def worker_pass(smtp_server, at) -> list:  # noqa: F811
    """One worker pass at ``at``; the emails it delivered."""
    before = len(smtp_server.received)
    with clock.frozen(at):
        run_jobs(at)
        deliver_due(at)
    return [parse_mail(r.data) for r in smtp_server.received[before:]]


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def book_a_held_course(client) -> str:
    """The online flow with severe pain; return the manage link's path."""
    response = client.post(
        "/book/", data={"option": OPTION, "therapist": "", "kind": "course", "every_weeks": "1"}
    )
    assert response.status_code == 303
    assert answer_screen(client, severe()).status_code == 303
    start = offered_starts(client)[0]
    assert client.post("/book/time", data={"start": start}).status_code == 303
    assert client.post("/book/course", data={}).status_code == 303
    assert client.post("/book/details", data=DETAILS).status_code == 303
    key = FORM_KEY_RE.search(client.get("/book/review").get_data(as_text=True)).group(1)
    done = client.post("/book/review", data={"form_key": key})
    assert done.status_code == 303, done.get_data(as_text=True)
    page = client.get(done.location).get_data(as_text=True)
    assert "Your course is reserved" in page
    return MANAGE_RE.search(page).group(1)


@pytest.mark.usefixtures("demo")
def test_a_held_course_cleared_by_the_gp_completed_and_followed_up_ends_on_the_chart(
    mail_app,  # noqa: F811
    smtp_server,  # noqa: F811
):
    patient = mail_app.test_client()
    with clock.frozen(DEFAULT_NOW):
        manage = book_a_held_course(patient)
        course = sessions()
        assert len(course) == 6 and {b.status for b in course} == {BookingStatus.HELD}
        assert len({b.course_id for b in course}) == 1

        # The patient asks their GP from the course's manage page.
        sent = patient.post(
            f"{manage}/clinician", data={"name": "Dr Amara Patel", "email": "gp@surgery.example"}
        )
        assert sent.status_code == 303

    mails = worker_pass(smtp_server, DEFAULT_NOW + timedelta(minutes=1))
    to_gp = [m for m in mails if m["To"] and "gp@surgery.example" in m["To"]]
    assert len(to_gp) == 1
    token = CLINICIAN_LINK.search(text_of(to_gp[0])).group(1)

    gp = mail_app.test_client()
    with clock.frozen(DEFAULT_NOW + timedelta(hours=2)):
        assert gp.get(f"/clinician/{token}").status_code == 200
        cleared = gp.post(f"/clinician/{token}", data=GP)
        assert cleared.status_code == 303, cleared.get_data(as_text=True)
    # One clearance, from the clinician, confirms every session of the course.
    course = sessions()
    assert {b.status for b in course} == {BookingStatus.CONFIRMED}
    clearances = list(db.session.scalars(select(Clearance)))
    ours = [c for c in clearances if c.patient_id == course[0].patient_id]
    assert len(ours) == 1 and ours[0].source is ClearanceSource.CLINICIAN
    assert db.session.get(Course, course[0].course_id).sessions == 6

    # Reception runs the first session: arrived, then completed.
    first = course[0]
    desk = make_member(StaffRole.RECEPTION)
    status = f"/reception/bookings/{first.public_id}/status"
    with clock.frozen(first.starts_at - timedelta(minutes=5)):
        arrived = signed_in(mail_app, desk).post(status, data={"value": "arrived"})
        assert arrived.status_code == 303 and status not in arrived.location
    with clock.frozen(first.ends_at):
        done = signed_in(mail_app, desk).post(status, data={"value": "completed"})
        assert done.status_code == 303
    assert sessions()[0].status is BookingStatus.COMPLETED

    # A day later the follow-up arrives, with no health words in it, and is answered.
    mails = worker_pass(smtp_server, first.ends_at + timedelta(hours=30))
    follow_ups = [m for m in mails if "/follow-up/" in text_of(m)]
    assert len(follow_ups) == 1 and "jo.bloggs@example.org" in follow_ups[0]["To"].lower()
    assert "pain" not in follow_ups[0]["Subject"].lower()
    answered_at = first.ends_at + timedelta(hours=31)
    form = {"pain_now": "3", "progress": "better", "reaction_text": ""}
    from booking.intake import EmergencySymptom, sign_field

    for sign in EmergencySymptom:
        form[sign_field(sign)] = "no"
    with clock.frozen(answered_at):
        answer = patient.post(f"/follow-up/{link_token(follow_ups[0])}", data=form)
        assert answer.status_code in (200, 303), answer.get_data(as_text=True)

        # The session's therapist sees the score on the patient's chart.
        therapist = make_member(
            StaffRole.THERAPIST,
            therapist_id=first.therapist_id,
            email="course.therapist@clinic.example",
        )
        page = (
            signed_in(mail_app, therapist)
            .get(f"/reception/patients/{first.patient_id}")
            .get_data(as_text=True)
        )
    chart = page[page.index('<figure class="pain-chart">') : page.index("</figure>")]
    assert "<svg" in chart and "after the session 3" in chart
