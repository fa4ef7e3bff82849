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


def seed_demo(*, now: datetime) -> bool:
    """Create the demo clinic if the database has no services; return whether it did.

    The holiday is the next Christmas and Boxing Day after ``now``, so the demo always has
    a closure ahead of it.
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
    return True
