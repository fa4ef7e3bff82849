"""The demo's waitlist: patients waiting, one offer in flight, a freed time for the figures."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Service


def seed_demo_waitlist(now: datetime) -> int:
    """Put three demo patients on the waitlist for the next free day; return how many.

    The longest waiting has an offer in flight (reserved as the worker reserves one), so the
    reception waitlist page shows a countdown; the demo's cancelled future booking is
    recorded as a freed time, so the admin figures have something to count.
    """
    from booking.intake import ScreenAnswers
    from booking.models import (
        Booking,
        BookingStatus,
        FreedTime,
        OfferState,
        Patient,
        WaitlistEntry,
        WaitlistOffer,
    )
    from booking.scheduling import choose_room
    from booking.services import availability

    service = db.session.scalar(select(Service).where(Service.slug == "therapeutic-back-massage"))
    if service is None or db.session.scalar(select(func.count(WaitlistEntry.id))):
        return 0
    today = now.astimezone(availability.clinic_zone()).date()
    found = None
    for ahead in range(1, 8):
        day = today + timedelta(days=ahead)
        found = availability.slots_for(service, 60, day, day, now=now)
        if found.slots:
            break
    if found is None or not found.slots:
        return 0
    slot = found.slots[0]
    room_id = choose_room(
        found.window.room_ids, found.window.bookings, slot.start, slot.busy_until, now
    )
    patients = list(db.session.scalars(select(Patient).order_by(Patient.id).limit(3)))
    screen = ScreenAnswers(
        location="lower_back",
        duration="over_12_weeks",
        sudden_onset=False,
        pain_score=3,
        disturbs_sleep_or_daily_life=False,
        recent_injury="none",
        long_term_steroids=False,
    ).to_data()
    wishes = [
        (timedelta(days=3), ()),
        (timedelta(days=1), ("morning",)),
        (timedelta(hours=2), ("evening",)),
    ]
    entries = []
    for patient, (waited, parts) in zip(patients, wishes, strict=False):
        entry = WaitlistEntry(
            patient=patient,
            service_id=service.id,
            minutes=60,
            first_day=today,
            last_day=day + timedelta(days=6),
            weekdays=[],
            day_parts=list(parts),
            contact_name=patient.name,
            contact_email=patient.email,
            contact_phone=patient.phone,
            screen_answers=screen,
            screened_at=now - waited,
            joined_at=now - waited,
            updated_at=now - waited,
        )
        db.session.add(entry)
        entries.append(entry)
    for booking in db.session.scalars(
        select(Booking).where(Booking.status == BookingStatus.CANCELLED, Booking.starts_at > now)
    ):
        db.session.add(
            FreedTime(
                freed_at=booking.cancelled_at or now,
                starts_at=booking.starts_at,
                ends_at=booking.ends_at,
                service_id=booking.service_id,
                therapist_id=booking.therapist_id,
                cause="cancelled",
                booking_id=booking.id,
            )
        )
    db.session.flush()
    if entries and room_id is not None:
        # Written directly like the worker's reservation (and, like the demo's bookings,
        # without queueing mail): the time is kept for the longest waiting patient.
        first, expires = entries[0], now + timedelta(minutes=25)
        kept = Booking(
            patient_id=first.patient_id,
            service_id=service.id,
            therapist_id=slot.therapist_ids[0],
            room_id=room_id,
            starts_at=slot.start,
            ends_at=slot.end,
            busy_until=slot.busy_until,
            duration_minutes=60,
            price_pence=service.duration(60).price_pence,
            status=BookingStatus.OFFERED,
            hold_expires_at=expires,
            contact_name=first.contact_name,
            contact_email=first.contact_email,
            contact_phone=first.contact_phone,
            created_at=now - timedelta(minutes=5),
            updated_at=now - timedelta(minutes=5),
        )
        db.session.add(kept)
        db.session.flush()
        db.session.add(
            WaitlistOffer(
                entry_id=first.id,
                reservation_id=kept.id,
                service_id=service.id,
                therapist_id=kept.therapist_id,
                starts_at=slot.start,
                ends_at=slot.end,
                minutes=60,
                state=OfferState.OPEN,
                source="worker",
                offered_at=now - timedelta(minutes=5),
                expires_at=expires,
            )
        )
    db.session.commit()
    return len(entries)
