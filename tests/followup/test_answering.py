"""Answering a follow-up: once, by its link only; red flags give the screen's advice and
flag the therapist inside the app, never in an email; the answers pre-fill the next screen,
count as a material change, and are encrypted at rest."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, text

from booking import clock
from booking.extensions import db
from booking.intake import EMERGENCY_MESSAGE, EmergencySymptom, sign_field
from booking.intake.wording import EMERGENCY_ADVICE, NO_BOOKING_MADE, UNSURE_MESSAGE
from booking.models import (
    ApprovalState,
    AuditEvent,
    Clearance,
    ClearanceOutcome,
    ClearanceSource,
    ClinicianKind,
    FollowUp,
    FollowUpToken,
    StaffRole,
)
from booking.services import privacy, screening
from booking.services.audit import Actor
from tests.followup.helpers import END, completed_session, follow_up_of, link_token, send_follow_ups
from tests.support.screens import fine
from tests.web.test_reception_patients import client_for

SENT = END + timedelta(hours=24)
CANARY = "Quokkafeather"


def answers(*, pain="2", progress="better", signs=None, urgent=(), reactions=(), note=""):
    data = {"pain_now": pain, "progress": progress, "reaction_text": note}
    for sign in EmergencySymptom:
        data[sign_field(sign)] = (signs or {}).get(sign, "no")
    data["urgent_symptoms"] = list(urgent)
    data["reactions"] = list(reactions)
    return data


def opened(mail_app, smtp_server, **session):
    booking = completed_session(**session)
    (message,) = send_follow_ups(smtp_server, SENT)
    return booking, link_token(message), mail_app.test_client()


def post(client, token, data, at=SENT + timedelta(hours=2)):
    with clock.frozen(at):
        return client.post(f"/follow-up/{token}", data=data)


def test_answers_are_kept_once_and_a_second_send_is_refused_kindly(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    first = post(client, token, answers(pain="2"))
    assert first.status_code == 303
    again = post(client, token, answers(pain="9"))
    assert again.status_code == 409
    assert b"We already have your answers" in again.data
    follow_up = follow_up_of(booking)
    db.session.refresh(follow_up)
    assert follow_up.answers["pain_now"] == 2


def test_get_never_submits_and_shows_the_form(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    with clock.frozen(SENT):
        page = client.get(f"/follow-up/{token}?pain_now=9&progress=worse")
    assert page.status_code == 200
    assert b'name="pain_now"' in page.data
    assert follow_up_of(booking).answered_at is None


def test_unknown_and_expired_links_get_the_same_404(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    expiry = follow_up_of(booking).expires_at
    with clock.frozen(expiry):
        expired = client.get(f"/follow-up/{token}")
        expired_post = client.post(f"/follow-up/{token}", data=answers())
    with clock.frozen(SENT):
        unknown = client.get("/follow-up/" + "x" * 32)
        short = client.get("/follow-up/abc")
    assert expired.status_code == unknown.status_code == short.status_code == 404
    assert expired_post.status_code == 404
    assert b"not found" in expired.data.lower() and b"not found" in unknown.data.lower()
    assert follow_up_of(booking).answered_at is None


def test_bad_answers_change_nothing_and_say_what_to_fix(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    data = answers(pain="07")
    del data[sign_field(EmergencySymptom.BLADDER)]
    refused = post(client, token, data)
    assert refused.status_code == 400
    assert b"Choose a number from 0 to 10." in refused.data
    assert b"Choose yes, no or not sure." in refused.data
    assert follow_up_of(booking).answered_at is None


def test_a_999_sign_gives_the_screens_emergency_advice(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(signs={EmergencySymptom.BLADDER: "yes"}))
    with clock.frozen(SENT + timedelta(hours=2)):
        page = client.get(f"/follow-up/{token}")
    advice = EMERGENCY_ADVICE.format(emergency_number="999").replace("&", "&amp;")
    assert advice.encode() in page.data
    assert EMERGENCY_MESSAGE.startswith(EMERGENCY_ADVICE)  # the screen's own words
    assert NO_BOOKING_MADE.encode() not in page.data  # nothing about a booking was asked
    assert b"Book your next visit" not in page.data
    follow_up = follow_up_of(booking)
    db.session.refresh(follow_up)
    assert follow_up.needs_review is True


def test_not_sure_spells_out_the_signs_like_the_screen(mail_app, smtp_server):
    _booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(signs={EmergencySymptom.SADDLE_NUMBNESS: "not_sure"}))
    with clock.frozen(SENT + timedelta(hours=2)):
        page = client.get(f"/follow-up/{token}").data
    assert b"Please speak to a doctor today" in page
    assert b"If any of these is true" in page
    assert EmergencySymptom.SADDLE_NUMBNESS.label.encode() in page
    assert UNSURE_MESSAGE  # the same instruction as the screen's "not sure"


def test_a_red_flag_shows_on_the_day_view_and_patient_page_but_never_in_an_email(
    mail_app, smtp_server
):
    booking, token, client = opened(mail_app, smtp_server, note=CANARY)
    post(
        client,
        token,
        answers(urgent=["fever_or_unwell"], reactions=["bruising"], note=f"{CANARY} bruise"),
    )
    day = booking.starts_at.date().isoformat()
    with clock.frozen(SENT + timedelta(hours=3)):
        reception, _ = client_for(mail_app, StaffRole.RECEPTION)
        therapist, _ = client_for(
            mail_app,
            StaffRole.THERAPIST,
            therapist_id=booking.therapist_id,
            email="t@clinic.example",
        )
        desk_day = reception.get(f"/reception/day?date={day}").data
        desk_patient = reception.get(f"/reception/patients/{booking.patient_id}").data
        own = therapist.get(f"/reception/patients/{booking.patient_id}").data
    assert b"Follow-up: therapist to look" in desk_day
    assert b"Follow-up needs the therapist" in desk_patient
    # Reception sees that the therapist should look, never what was answered.
    assert b"fever" not in desk_patient.lower() and CANARY.encode() not in desk_patient
    assert b"Red flag: A fever, or feeling very unwell" in own
    assert f"{CANARY} bruise".encode() in own
    assert "follow_up.viewed" in db.session.scalars(select(AuditEvent.action)).all()
    # Nothing of it in any email: later worker passes send nothing new, and what was sent
    # says nothing of it.
    send_follow_ups(smtp_server, SENT + timedelta(days=1))
    for received in smtp_server.received:
        lowered = received.data.lower()
        assert b"fever" not in lowered and CANARY.lower().encode() not in lowered


def test_the_therapist_marks_a_flag_as_seen(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(urgent=["night_or_rest_pain"]))
    follow_up = follow_up_of(booking)
    with clock.frozen(SENT + timedelta(hours=3)):
        therapist, _ = client_for(
            mail_app,
            StaffRole.THERAPIST,
            therapist_id=booking.therapist_id,
            email="t@clinic.example",
        )
        done = therapist.post(f"/reception/follow-ups/{follow_up.id}/seen")
        page = therapist.get(f"/reception/patients/{booking.patient_id}").data
    assert done.status_code in (302, 303)
    assert follow_up_of(booking).reviewed_at is not None
    assert b"Follow-up needs the therapist" not in page
    assert b"Seen " in page


def test_reception_cannot_mark_a_flag_as_seen(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(urgent=["night_or_rest_pain"]))
    with clock.frozen(SENT + timedelta(hours=3)):
        reception, _ = client_for(mail_app, StaffRole.RECEPTION)
        refused = reception.post(f"/reception/follow-ups/{follow_up_of(booking).id}/seen")
    assert refused.status_code == 403
    assert follow_up_of(booking).reviewed_at is None


def test_answers_without_red_flags_or_changes_flag_nothing(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(pain="3", progress="same"))
    follow_up = follow_up_of(booking)
    db.session.refresh(follow_up)
    assert follow_up.needs_review is False
    with clock.frozen(SENT + timedelta(hours=2)):
        page = client.get(f"/follow-up/{token}").data
    assert b"Book your next visit" in page


def test_the_answers_pre_fill_the_next_screen_in_this_browser(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(pain="6", signs={EmergencySymptom.CHEST_PAIN: "not_sure"}))
    with clock.frozen(SENT + timedelta(hours=2)):
        option = f"{booking.service.slug}:60"
        client.post("/book/", data={"option": option, "therapist": ""})
        screen = client.get("/book/health").data.decode()
    assert "We have filled in your answers from last time" in screen
    assert 'id="pain_score-6" name="pain_score" value="6" checked' in screen
    assert 'id="sign_chest_pain-not_sure" name="sign_chest_pain" value="not_sure" checked' in screen
    # What the screen said before the session is kept where it was not asked again.
    assert 'id="location-lower_back" name="location" value="lower_back" checked' in screen


def test_a_material_change_in_the_follow_up_ends_the_clearances_cover(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    email = booking.patient.email
    # A clearance given on the screen the session was booked with (pain 3).
    db.session.add(
        Clearance(
            booking_id=booking.id,
            patient_id=booking.patient_id,
            source=ClearanceSource.PATIENT,
            outcome=ClearanceOutcome.CLEARED,
            wording_version="2026-11",
            approval=ApprovalState.NOT_NEEDED,
            clinician_name="Dr Lee",
            clinician_kind=ClinicianKind.GP,
            screen_answers=fine().to_data(),
            attested_at=END,
            valid_until=END + timedelta(days=180),
        )
    )
    db.session.commit()
    later = SENT + timedelta(days=2)
    assert screening.covering_clearance(email, fine(), now=later) is not None
    post(client, token, answers(pain="8", progress="worse"))
    follow_up = follow_up_of(booking)
    db.session.refresh(follow_up)
    assert follow_up.needs_review is True
    # Pain 8 now, when it was 3: the next booking needs a new clearance, even if the next
    # screen says 3 again.
    assert screening.covering_clearance(email, fine(), now=later) is None


def test_a_small_change_is_not_material(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(pain="4", progress="same"))
    follow_up = follow_up_of(booking)
    db.session.refresh(follow_up)
    assert follow_up.needs_review is False
    assert follow_up.review_reasons == []


def test_answers_are_encrypted_at_rest(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(
        client,
        token,
        answers(urgent=["fever_or_unwell"], reactions=["numbness_or_tingling"], note=CANARY),
    )
    row = db.session.execute(
        text("SELECT answers, screen_after, review_reasons FROM follow_ups WHERE booking_id = :b"),
        {"b": booking.id},
    ).one()
    for stored in row:
        assert stored and CANARY not in stored
        assert "fever" not in stored and "numbness" not in stored and "pain" not in stored
    assert follow_up_of(booking).answers["reaction_text"] == CANARY


def test_only_hashes_of_the_links_are_stored(mail_app, smtp_server):
    _booking, token, _client = opened(mail_app, smtp_server)
    stored = db.session.scalars(select(FollowUpToken.token_hash)).all()
    assert token not in stored and len(stored) == 1
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


def test_erasing_the_patient_deletes_their_follow_ups_and_links(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(note=CANARY))
    privacy.erase_patient(booking.patient_id, actor=Actor.system(), now=SENT + timedelta(days=1))
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 0
    assert db.session.scalar(select(func.count()).select_from(FollowUpToken)) == 0
    with clock.frozen(SENT + timedelta(days=1)):
        assert client.get(f"/follow-up/{token}").status_code == 404


def test_the_patients_export_carries_their_follow_ups(mail_app, smtp_server):
    booking, token, client = opened(mail_app, smtp_server)
    post(client, token, answers(pain="4", note=CANARY))
    data = privacy.export_patient(booking.patient_id, actor=Actor.system(), now=SENT)
    (exported,) = data["follow_ups"]
    assert exported["booking"] == booking.public_id
    assert exported["answers"]["pain_now"] == 4 and exported["answers"]["reaction_text"] == CANARY
