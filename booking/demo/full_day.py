"""A fully booked day in the demo clinic, to try the waitlist on.

Two days or more ahead, every 60-minute therapeutic back massage time is taken, so a
newcomer can join the waitlist for it, cancel one of its bookings in reception and watch
the worker offer the freed time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from booking.extensions import db
from booking.models import Booking, BookingSource, BookingStatus, Patient, Service
from booking.scheduling import bookings_per_therapist, choose_room, choose_therapist
from booking.services import availability
from booking.services.bookings import policy_snapshot

FULL_SERVICE = "therapeutic-back-massage"
FULL_MINUTES = 60
MOST = 40  # never more bookings than a clinic day could hold


def full_day_for(today: date) -> date:
    """The day the demo fills: the first Wednesday at least two days after ``today``.

    Every demo therapist works on Wednesdays, so it is the day with the most times to take.
    """
    day = today + timedelta(days=2)
    return day + timedelta(days=(2 - day.weekday()) % 7)


def fill_a_day(now: datetime) -> date | None:
    """Book every free time of the full day (rows written directly, no email); return it."""
    service = db.session.scalar(select(Service).where(Service.slug == FULL_SERVICE))
    patients = list(db.session.scalars(select(Patient).order_by(Patient.id)))
    if service is None or not patients:
        return None
    zone = availability.clinic_zone()
    day = full_day_for(now.astimezone(zone).date())
    option = service.duration(FULL_MINUTES)
    for n in range(MOST):
        found = availability.slots_for(service, FULL_MINUTES, day, day, now=now)
        if not found.slots or option is None:
            break
        slot = found.slots[0]
        window = found.window
        counts = bookings_per_therapist(window.bookings, day, tz=zone, now=now)
        therapist_id = choose_therapist(slot.therapist_ids, counts, window.positions)
        room_id = choose_room(window.room_ids, window.bookings, slot.start, slot.busy_until, now)
        if room_id is None:
            break
        patient = patients[(n * 5) % len(patients)]
        created = now - timedelta(days=3)
        db.session.add(
            Booking(
                patient=patient,
                service_id=service.id,
                therapist_id=therapist_id,
                room_id=room_id,
                starts_at=slot.start,
                ends_at=slot.end,
                busy_until=slot.busy_until,
                duration_minutes=FULL_MINUTES,
                price_pence=option.price_pence,
                status=BookingStatus.CONFIRMED,
                source=BookingSource.ONLINE,
                policy_snapshot=policy_snapshot(),
                ics_sequence=0,
                contact_name=patient.name,
                contact_email=patient.email,
                contact_phone=patient.phone,
                created_at=created,
                updated_at=created,
                confirmed_at=created,
            )
        )
        db.session.commit()  # the next look sees this booking (and the cache its version)
    return day
