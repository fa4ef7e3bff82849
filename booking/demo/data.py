"""The demo clinic that ``make run`` starts with (DOMAIN.md section 3): who, what, when.

Only data; ``seed`` writes it.
"""

from __future__ import annotations

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
        "course": 6,  # sessions in a course of this treatment
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
        "course": 6,  # sessions in a course of this treatment
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
        "course": 6,  # sessions in a course of this treatment
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
