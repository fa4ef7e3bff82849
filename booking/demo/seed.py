"""Writing the demo clinic (``data``) into an empty database: ``flask booking seed-demo``."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from booking.demo.data import DEMO_PATIENTS, DEMO_PATTERN, ROOMS, SERVICES, THERAPISTS
from booking.demo.follow_ups import seed_demo_follow_ups
from booking.demo.full_day import fill_a_day
from booking.demo.waitlist import seed_demo_waitlist
from booking.extensions import db
from booking.models import (
    Booking,
    ClinicianLink,
    Closure,
    Room,
    Service,
    ServiceDuration,
    Therapist,
    WorkingHours,
)
from booking.notify import clinician_mail
from booking.services.clinic_settings import current_policy


def seed_demo(*, now: datetime, with_bookings: bool = True) -> bool:
    """Create the demo clinic if the database has no services; return whether it did.

    The holiday is the next Christmas and Boxing Day after ``now``, so the demo always has
    a closure ahead of it. ``with_bookings`` adds the fortnight of bookings around ``now``
    that make the reception views alive (tests of the empty clinic leave it out).
    """
    if db.session.scalar(select(func.count()).select_from(Service)):
        return False

    services = {}
    for position, spec in enumerate(SERVICES):
        service = Service(
            slug=spec["slug"],
            name=spec["name"],
            summary=spec["summary"],
            body=spec["body"],
            suits=spec["suits"],
            buffer_minutes=spec["buffer"],
            deep_pressure=spec["deep"],
            new_patients=spec["new"],
            course_sessions=spec.get("course"),
            position=position,
            durations=[ServiceDuration(minutes=m, price_pence=p) for m, p in spec["durations"]],
        )
        services[spec["slug"]] = service
        db.session.add(service)

    for position, (slug, name, title, bio, offered, hours) in enumerate(THERAPISTS):
        therapist = Therapist(
            slug=slug,
            name=name,
            title=title,
            bio=bio,
            position=position,
            services=[services[s] for s in offered],
            working_hours=[
                WorkingHours(weekday=day, start_minute=start, end_minute=end)
                for day, ranges in hours.items()
                for start, end in ranges
            ],
        )
        db.session.add(therapist)

    for position, (slug, name) in enumerate(ROOMS):
        db.session.add(Room(slug=slug, name=name, position=position))

    zone = current_policy().zone
    today = now.astimezone(zone).date()
    christmas = date(today.year, 12, 25)
    if christmas + timedelta(days=1) < today:
        christmas = date(today.year + 1, 12, 25)
    db.session.add(
        Closure(
            starts_at=datetime.combine(christmas, time(0), zone),
            ends_at=datetime.combine(christmas + timedelta(days=2), time(0), zone),
            reason="Christmas and Boxing Day",
        )
    )
    db.session.commit()
    if with_bookings:
        seed_demo_bookings(now)
        fill_a_day(now)  # before the waitlist, whose demo patients wait for free days
        seed_demo_follow_ups(now)
        seed_demo_waitlist(now)
    return True


def seed_demo_bookings(now: datetime) -> int:
    """Add a fortnight of bookings around ``now`` to the demo clinic; return how many.

    Seven local days back and seven ahead, inside working hours, never overlapping for a
    therapist or a room (buffers included), skipping closures. Past bookings are completed
    (one no-show), those under way have arrived, later ones are confirmed (one cancelled),
    and three are held with different deadlines, one with a clearance awaiting approval.
    Rows are written directly, so no email is queued. Deterministic for a given ``now``;
    does nothing if any booking exists.
    """
    from booking.intake import ScreenAnswers, assess
    from booking.models import (
        ApprovalState,
        BookingSource,
        BookingStatus,
        Clearance,
        ClearanceOutcome,
        ClearanceSource,
        ClinicianKind,
        Intake,
        Patient,
    )
    from booking.scheduling.localtime import wall_to_utc
    from booking.services import screening
    from booking.services.bookings import policy_snapshot

    if db.session.scalar(select(func.count()).select_from(Booking)):
        return 0
    zone = current_policy().zone
    step = current_policy().slot_minutes
    today = now.astimezone(zone).date()
    services = {s.slug: s for s in db.session.scalars(select(Service))}
    therapists = list(db.session.scalars(select(Therapist).order_by(Therapist.position)))
    rooms = list(db.session.scalars(select(Room).order_by(Room.position)))
    closures = list(db.session.scalars(select(Closure)))
    if not rooms or not therapists:
        return 0

    patients = [
        Patient(name=name, email=f"{handle}@example.org", phone=f"+44770090{i:04d}")
        for i, (name, handle) in enumerate(DEMO_PATIENTS, start=101)
    ]
    db.session.add_all(patients)
    db.session.flush()

    room_busy: dict[int, list[tuple[datetime, datetime]]] = {r.id: [] for r in rooms}
    planned: list[dict] = []
    turn = 0
    for offset in range(-7, 8):
        day = today + timedelta(days=offset)
        for ti, therapist in enumerate(therapists):
            offered = {s.slug for s in therapist.services}
            ranges = sorted(
                (h.start_minute, h.end_minute)
                for h in therapist.working_hours
                if h.weekday == day.weekday()
            )
            k = offset * 3 + ti  # where in the pattern this therapist's day starts
            for range_start, range_end in ranges:
                minute = range_start
                while True:
                    slug, minutes, gap = DEMO_PATTERN[k % len(DEMO_PATTERN)]
                    k += 1
                    if slug not in offered:
                        slug = "therapeutic-back-massage"
                        minutes = 60
                    service = services[slug]
                    if service.duration(minutes) is None:
                        minutes = service.durations[0].minutes
                    minute += gap
                    minute += -minute % step
                    busy_end = minute + minutes + service.buffer_minutes
                    if busy_end > range_end:
                        break
                    wall = datetime.combine(day, time(0)) + timedelta(minutes=minute)
                    start = wall_to_utc(wall, zone)
                    if start is None:
                        minute = busy_end
                        continue
                    ends = start + timedelta(minutes=minutes)
                    busy_until = ends + timedelta(minutes=service.buffer_minutes)
                    closed = any(c.starts_at < busy_until and c.ends_at > start for c in closures)
                    room = next(
                        (
                            r
                            for r in rooms[ti % len(rooms) :] + rooms[: ti % len(rooms)]
                            if all(b >= busy_until or e <= start for b, e in room_busy[r.id])
                        ),
                        None,
                    )
                    if not closed and room is not None:
                        room_busy[room.id].append((start, busy_until))
                        planned.append(
                            {
                                "start": start,
                                "ends": ends,
                                "busy_until": busy_until,
                                "minutes": minutes,
                                "service": service,
                                "therapist": therapist,
                                "room": room,
                                "patient": patients[turn % len(patients)],
                            }
                        )
                        turn += 1
                    minute = busy_end

    planned.sort(key=lambda p: (p["start"], p["therapist"].position))
    past = [p for p in planned if p["ends"] <= now]
    future = [p for p in planned if p["start"] > now]
    # Holds: a start far enough ahead for its deadline (a hold ends 24 h before the start).
    held: dict[int, tuple[timedelta, bool]] = {}
    for hours_left, with_clearance, min_lead in ((5, False, 30), (30, False, 55), (20, True, 72)):
        pick = next(
            (
                p
                for p in future
                if id(p) not in held
                and p["start"] - now >= timedelta(hours=min_lead)
                and not p["service"].deep_pressure
            ),
            None,
        )
        if pick is not None:
            held[id(pick)] = (timedelta(hours=hours_left), with_clearance)
    no_show = past[len(past) // 2] if past else None
    confirmed_future = [p for p in future if id(p) not in held]
    cancelled = confirmed_future[len(confirmed_future) // 3] if confirmed_future else None

    snapshot = policy_snapshot()
    screen_settings = screening.settings()
    bookings = []
    gp_asked: Booking | None = None  # the hold whose patient sent their GP a link
    for i, p in enumerate(planned):
        patient = p["patient"]
        created = min(p["start"] - timedelta(days=4), now - timedelta(days=1))
        fields: dict = {}
        if id(p) in held:
            hours_left, with_clearance = held[id(p)]
            expires = now + hours_left
            status = BookingStatus.HELD
            # Booked 48 h before the deadline: the hold rule's own arithmetic.
            created = expires - timedelta(hours=48)
            fields["hold_expires_at"] = expires
        elif p is no_show:
            status = BookingStatus.NO_SHOW
        elif p is cancelled:
            status = BookingStatus.CANCELLED
            fields["cancelled_at"] = now - timedelta(hours=20)
        elif p["ends"] <= now:
            status = BookingStatus.COMPLETED
        elif p["start"] <= now:
            status = BookingStatus.ARRIVED
        else:
            status = BookingStatus.CONFIRMED
        if status is not BookingStatus.HELD:
            fields["confirmed_at"] = created
        price = p["service"].duration(p["minutes"]).price_pence
        booking = Booking(
            patient=patient,
            service=p["service"],
            therapist=p["therapist"],
            room=p["room"],
            starts_at=p["start"],
            ends_at=p["ends"],
            busy_until=p["busy_until"],
            duration_minutes=p["minutes"],
            price_pence=price,
            status=status,
            source=BookingSource.RECEPTION if i % 3 == 0 else BookingSource.ONLINE,
            policy_snapshot=snapshot,
            ics_sequence=0,
            contact_name=patient.name,
            contact_email=patient.email,
            contact_phone=patient.phone,
            created_at=created,
            updated_at=fields.get("cancelled_at", created),
            **fields,
        )
        bookings.append(booking)
        db.session.add(booking)
        if status is BookingStatus.HELD:
            answers = ScreenAnswers(
                location="lower_back",
                duration="over_12_weeks" if i % 2 else "under_4_weeks",
                sudden_onset=False,
                pain_score=8,
                disturbs_sleep_or_daily_life=True,
                recent_injury="none",
                long_term_steroids=False,
            )
            assessment = assess(answers, screen_settings)
            db.session.add(
                Intake(
                    booking=booking,
                    answers=answers.to_data(),
                    outcome=assessment.outcome.value,
                    rule_codes=list(assessment.codes),
                    flags=sorted(assessment.flags),
                    no_deep_pressure=assessment.no_deep_pressure,
                    consent_version=screening.CONSENT_VERSION,
                    consented_at=created,
                    created_at=created,
                )
            )
            if not held[id(p)][1] and gp_asked is None:
                gp_asked = booking
            if held[id(p)][1]:
                db.session.add(
                    Clearance(
                        booking=booking,
                        patient_id=patient.id,
                        source=ClearanceSource.PATIENT,
                        clinician_name="Dr Ruth Alvarez",
                        clinician_kind=ClinicianKind.GP,
                        consultation_date=(now - timedelta(days=1)).date(),
                        outcome=ClearanceOutcome.CLEARED_WITH_RESTRICTIONS,
                        restrictions="Gentle pressure only over the lower back.",
                        wording_version=screening.ATTESTATION_VERSION,
                        attested_at=now - timedelta(hours=3),
                        approval=ApprovalState.PENDING,
                        screen_answers=answers.to_data(),
                    )
                )
    if gp_asked is not None:
        _ask_the_gp(gp_asked, now=now)
    db.session.commit()
    return len(bookings)


def _ask_the_gp(booking: Booking, *, now: datetime) -> None:
    """A clinician link the patient sent an hour ago, not used yet: its email is queued, so
    the worker mails the GP a working link (``instance/mail``) a newcomer can open."""
    db.session.flush()
    link = ClinicianLink(
        booking_id=booking.id,
        clinician_name="Dr Sam Okafor",
        clinician_email="dr.okafor@surgery.example",
        created_at=now - timedelta(hours=1),
    )
    db.session.add(link)
    db.session.flush()
    clinician_mail.queue_request(link, booking, now=now)
