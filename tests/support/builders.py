"""Builders for test data: pass only what the test is about, the rest is sensible."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from booking.extensions import db
from booking.models import (
    Booking,
    BookingStatus,
    Patient,
    Room,
    Service,
    ServiceDuration,
    Therapist,
    WorkingHours,
)

_seq = itertools.count(1)


def make_service(*, durations=((60, 5500),), buffer_minutes=15, **fields) -> Service:
    n = next(_seq)
    service = Service(
        slug=fields.pop("slug", f"service-{n}"),
        name=fields.pop("name", f"Service {n}"),
        summary=fields.pop("summary", "A service."),
        buffer_minutes=buffer_minutes,
        durations=[ServiceDuration(minutes=m, price_pence=p) for m, p in durations],
        **fields,
    )
    db.session.add(service)
    db.session.commit()  # verbs start clean: they refuse changes left pending
    return service


def make_therapist(*, services=(), hours=None, **fields) -> Therapist:
    """``hours`` maps weekday -> [(start_minute, end_minute), ...]; default Mon-Fri 9-17."""
    n = next(_seq)
    if hours is None:
        hours = {day: [(9 * 60, 17 * 60)] for day in range(5)}
    therapist = Therapist(
        slug=fields.pop("slug", f"therapist-{n}"),
        name=fields.pop("name", f"Therapist {n}"),
        position=fields.pop("position", n),
        services=list(services),
        working_hours=[
            WorkingHours(weekday=day, start_minute=s, end_minute=e)
            for day, ranges in hours.items()
            for s, e in ranges
        ],
        **fields,
    )
    db.session.add(therapist)
    db.session.commit()  # verbs start clean: they refuse changes left pending
    return therapist


def make_room(**fields) -> Room:
    n = next(_seq)
    room = Room(
        slug=fields.pop("slug", f"room-{n}"), name=fields.pop("name", f"Room {n}"), **fields
    )
    db.session.add(room)
    db.session.commit()  # verbs start clean: they refuse changes left pending
    return room


def make_patient(**fields) -> Patient:
    n = next(_seq)
    patient = Patient(
        name=fields.pop("name", f"Patient {n}"),
        email=fields.pop("email", f"patient{n}@example.org"),
        phone=fields.pop("phone", "+447700900123"),
        **fields,
    )
    db.session.add(patient)
    db.session.commit()  # verbs start clean: they refuse changes left pending
    return patient


def make_booking(
    *,
    starts_at: datetime,
    minutes: int = 60,
    buffer_minutes: int = 15,
    status: BookingStatus = BookingStatus.CONFIRMED,
    service: Service | None = None,
    therapist: Therapist | None = None,
    room: Room | None = None,
    patient: Patient | None = None,
    **fields,
) -> Booking:
    service = service or make_service(durations=((minutes, 5500),), buffer_minutes=buffer_minutes)
    ends_at = fields.pop("ends_at", starts_at + timedelta(minutes=minutes))
    booking = Booking(
        patient=patient or make_patient(),
        service=service,
        therapist=therapist or make_therapist(services=[service]),
        room=room or make_room(),
        starts_at=starts_at,
        ends_at=ends_at,
        busy_until=fields.pop("busy_until", ends_at + timedelta(minutes=buffer_minutes)),
        duration_minutes=minutes,
        price_pence=fields.pop("price_pence", 5500),
        status=status,
        **fields,
    )
    db.session.add(booking)
    db.session.commit()  # verbs start clean: they refuse changes left pending
    return booking
