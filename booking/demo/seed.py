"""The demo clinic that ``make run`` starts with (DOMAIN.md section 3)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select

from booking.extensions import db
from booking.models import Closure, Room, Service, ServiceDuration, Therapist, WorkingHours

H = 60  # minutes in an hour, for readable hours below

SERVICES = [
    {
        "slug": "initial-assessment",
        "name": "Initial assessment and treatment",
        "summary": "A first visit: we talk through your back pain, check how you move, "
        "and start treatment.",
        "suits": "New patients, and anyone whose pain has changed since their last visit.",
        "buffer": 20,
        "deep": False,
        "new": True,
        "durations": [(60, 6500), (90, 8500)],
        "body": (
            "We start by listening: where the pain is, how long you have had it, what "
            "makes it better or worse, and what you want to get back to doing.\n\n"
            "Your therapist then looks at how you stand, bend and turn, and treats the "
            "areas that are tight or tender with hands-on massage suited to you. You "
            "leave with simple ideas for staying active between sessions.\n\n"
            "If anything you tell us suggests you should see a doctor first, we will say "
            "so plainly and hold your appointment while you do."
        ),
    },
    {
        "slug": "therapeutic-back-massage",
        "name": "Therapeutic back massage",
        "summary": "Gentle-to-moderate massage focused on the back, neck and shoulders.",
        "suits": "Most people with everyday back ache; our gentlest option when you are unsure.",
        "buffer": 15,
        "deep": False,
        "new": False,
        "durations": [(30, 3500), (45, 4800), (60, 5800)],
        "body": (
            "A calm, steady massage of the back and the muscles around it. Pressure is "
            "adjusted to what feels comfortable for you, and you can ask for lighter or "
            "firmer at any time.\n\n"
            "It may ease muscle tension and stiffness for a while afterwards, and works "
            "best alongside staying active."
        ),
    },
    {
        "slug": "deep-tissue-massage",
        "name": "Deep tissue massage",
        "summary": "Slow, firm pressure on deeper layers of muscle.",
        "suits": "People who already know they like firm pressure and have no condition "
        "that makes deep pressure unwise.",
        "buffer": 15,
        "deep": True,
        "new": False,
        "durations": [(60, 6200), (90, 8200)],
        "body": (
            "Firm, slow strokes work on the deeper layers of muscle around the spine and "
            "hips. It can feel intense; your therapist checks in with you throughout.\n\n"
            "Deep pressure is not suitable for everyone. If you take blood thinners, have "
            "osteoporosis or are pregnant, we will suggest a gentler treatment instead."
        ),
    },
    {
        "slug": "myofascial-release",
        "name": "Myofascial release",
        "summary": "Sustained, gentle stretching pressure on tight areas.",
        "suits": "People whose back feels stiff and restricted rather than sharply painful.",
        "buffer": 15,
        "deep": False,
        "new": False,
        "durations": [(60, 6000)],
        "body": (
            "Your therapist holds gentle, sustained pressure on areas that feel tight, "
            "waiting for the tissue to soften before moving on. Many people find it "
            "relaxing; the evidence for it is still limited, so we will tell you honestly "
            "how you respond."
        ),
    },
    {
        "slug": "trigger-point-therapy",
        "name": "Trigger point therapy",
        "summary": "Focused pressure on specific tender knots in the muscle.",
        "suits": "People with one or two very tender spots, for example beside the shoulder blade.",
        "buffer": 15,
        "deep": False,
        "new": False,
        "durations": [(30, 3500), (60, 5800)],
        "body": (
            "Trigger points are tender spots in a muscle that can refer pain elsewhere. "
            "Your therapist finds them and applies steady pressure that you control; it "
            "should never be more than you are happy with."
        ),
    },
    {
        "slug": "swedish-massage",
        "name": "Relaxation (Swedish) massage",
        "summary": "Long, flowing strokes over the whole back for general relaxation.",
        "suits": "Anyone who wants to relax and unwind; a good follow-up session.",
        "buffer": 15,
        "deep": False,
        "new": False,
        "durations": [(60, 5500), (90, 7500)],
        "body": (
            "Long, flowing strokes with light to medium pressure. Feeling relaxed can "
            "make everyday aches easier to live with for a while."
        ),
    },
]

# (slug, name, title, bio, services, {weekday: [(start, end), ...]})
THERAPISTS = [
    (
        "amira-hassan",
        "Amira Hassan",
        "Clinic lead, sports and remedial massage therapist",
        "Amira has treated back pain for twelve years and leads our initial assessments. "
        "She is happiest when a patient is back to gardening or running.",
        [
            "initial-assessment",
            "therapeutic-back-massage",
            "deep-tissue-massage",
            "trigger-point-therapy",
        ],
        {d: [(9 * H, 13 * H), (14 * H, 18 * H)] for d in (0, 1, 2, 3)},
    ),
    (
        "tom-reilly",
        "Tom Reilly",
        "Remedial massage therapist",
        "Tom works with office workers and tradespeople alike, and likes explaining what "
        "he finds in plain words.",
        [
            "initial-assessment",
            "therapeutic-back-massage",
            "myofascial-release",
            "trigger-point-therapy",
            "swedish-massage",
        ],
        {
            **{d: [(11 * H, 14 * H), (15 * H, 20 * H)] for d in (1, 2, 3, 4)},
            5: [(9 * H, 13 * H)],
        },
    ),
    (
        "grace-okafor",
        "Grace Okafor",
        "Massage therapist",
        "Grace specialises in gentle treatment for people who are nervous about massage "
        "or in a lot of discomfort.",
        [
            "therapeutic-back-massage",
            "myofascial-release",
            "swedish-massage",
            "deep-tissue-massage",
        ],
        {
            0: [(8 * H, 12 * H), (12 * H + 45, 16 * H)],
            2: [(8 * H, 12 * H), (12 * H + 45, 16 * H)],
            4: [(8 * H, 12 * H), (12 * H + 45, 16 * H)],
            5: [(10 * H, 15 * H)],
        },
    ),
]

ROOMS = [("room-1", "Treatment room 1"), ("room-2", "Treatment room 2")]


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

    zone = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
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
    return True


# Fictional patients (example.org addresses, Ofcom's drama range of mobile numbers).
DEMO_PATIENTS = [
    ("Olivia Bennett", "olivia.bennett"),
    ("Rahul Mehta", "rahul.mehta"),
    ("Siobhan Kelly", "siobhan.kelly"),
    ("George Adeyemi", "george.adeyemi"),
    ("Hannah Kowalski", "hannah.kowalski"),
    ("Daniel Price", "daniel.price"),
    ("Priya Nair", "priya.nair"),
    ("Marcus Webb", "marcus.webb"),
    ("Eleanor Hughes", "eleanor.hughes"),
    ("Tariq Rahman", "tariq.rahman"),
    ("Chloe Martin", "chloe.martin"),
    ("Samuel Osei", "samuel.osei"),
    ("Isla Fraser", "isla.fraser"),
    ("Benjamin Cohen", "benjamin.cohen"),
    ("Aisha Bello", "aisha.bello"),
    ("Lucy Thompson", "lucy.thompson"),
]

# How the demo fills a therapist's day: (service slug, minutes, minutes free before it).
# Cycled per therapist and day so the calendar has a realistic mix with gaps.
DEMO_PATTERN = [
    ("therapeutic-back-massage", 45, 0),
    ("initial-assessment", 60, 15),
    ("deep-tissue-massage", 60, 45),
    ("trigger-point-therapy", 30, 0),
    ("myofascial-release", 60, 30),
    ("swedish-massage", 60, 0),
    ("therapeutic-back-massage", 60, 60),
    ("initial-assessment", 90, 0),
]


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
        Booking,
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
    zone = ZoneInfo(current_app.config["CLINIC_TIMEZONE"])
    step = int(current_app.config["BOOKING_SLOT_MINUTES"])
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
    db.session.commit()
    return len(bookings)
