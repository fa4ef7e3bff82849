"""Availability against its floor and at ten times the clinic: prints ratios (``make bench``).

Two clinics, each in its own scratch database (PostgreSQL ``bench_scaling_1x`` and
``bench_scaling_10x`` when the local server answers, else SQLite files in a temporary
folder): 1x is 10 therapists, 5 rooms and 3,000 upcoming bookings; 10x is 100 therapists,
50 rooms and 30,000 bookings, equally busy. Measured in the same run:

a. the cold 31-day "any therapist" call (``availability.slots_for`` in a new session)
   against its floor: the window's statement run on a raw driver cursor inside an open
   transaction with its rows fetched, plus the pure sweep (``find_slots``) on the window
   already loaded. Also printed: the statement alone
   as the server timed it (PostgreSQL's EXPLAIN ANALYZE). Target: at most 1.5x the floor.
b. the same call at 10x against 1x. Target: at most 11x.

Never touches the test database or the developer's instance folder.
"""

from __future__ import annotations

import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INSTANCE = tempfile.mkdtemp(prefix="bench-scaling-")
os.environ["BOOKING_INSTANCE_PATH"] = INSTANCE

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks._support import percentile, reset_postgres_database  # noqa: E402
from booking import clock, create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.models import (  # noqa: E402
    Booking,
    BookingStatus,
    Patient,
    Room,
    Service,
    ServiceDuration,
    Therapist,
    WorkingHours,
)
from booking.scheduling import SlotQuery, find_slots  # noqa: E402
from booking.services import availability  # noqa: E402

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scaling_{}"
BASE_THERAPISTS, BASE_ROOMS, BASE_UPCOMING = 10, 5, 3_000
HOURS = [(8 * 60, 13 * 60), (14 * 60, 20 * 60)]  # Mon-Sat
DURATIONS = ((30, 3500), (60, 5800))
BUFFER = 10
RUNS, WARMUP = 30, 3
TARGET_FLOOR, TARGET_SCALE = 1.5, 11.0


def database_url(scale: int) -> str:
    url = os.environ.get("BENCH_DATABASE_URL_BASE", PG_BASE).format(f"{scale}x")
    try:
        reset_postgres_database(url)
        return url
    except Exception as error:  # any failure means "no PostgreSQL here"
        print(f"PostgreSQL not reachable ({type(error).__name__}); using SQLite.")
        return f"sqlite:///{Path(INSTANCE) / f'scaling-{scale}x.sqlite3'}"


def build_clinic(scale: int, zone: ZoneInfo, today: date) -> tuple[int, int]:
    """Create ``scale`` times the base clinic; return the service id and bookings made."""
    therapists_n, rooms_n = BASE_THERAPISTS * scale, BASE_ROOMS * scale
    service = Service(
        slug="back-massage",
        name="Back massage",
        summary="Benchmark service.",
        buffer_minutes=BUFFER,
        durations=[ServiceDuration(minutes=m, price_pence=p) for m, p in DURATIONS],
    )
    therapists = [
        Therapist(
            slug=f"therapist-{n:03d}",
            name=f"Therapist {n}",
            position=n,
            services=[service],
            working_hours=[
                WorkingHours(weekday=day, start_minute=start, end_minute=end)
                for day in range(6)
                for start, end in HOURS
            ],
        )
        for n in range(therapists_n)
    ]
    rooms = [Room(slug=f"room-{n}", name=f"Room {n}", position=n) for n in range(rooms_n)]
    patient = Patient(name="Bench Patient", email="bench@example.org")
    db.session.add_all([service, *therapists, *rooms, patient])
    db.session.commit()
    rows = []
    days = [today + timedelta(days=n) for n in range(1, 61)]
    days = [d for d in days if d.weekday() < 6]
    per_day = -(-BASE_UPCOMING * scale // len(days))
    k = 0
    for day in days:
        # The same greedy fill as availability.py: room and therapist that free first.
        room_free = [HOURS[0][0]] * rooms_n
        therapist_free = [HOURS[0][0]] * therapists_n
        for _ in range(per_day):
            if len(rows) >= BASE_UPCOMING * scale:
                break
            minutes, price = DURATIONS[1 if k % 4 == 0 else 0]
            gap = (0, 0, 0, 0, 15)[k % 5]
            k += 1
            r = min(range(rooms_n), key=room_free.__getitem__)
            t = min(range(therapists_n), key=lambda i: (therapist_free[i], i))
            start = max(room_free[r], therapist_free[t]) + gap
            if HOURS[0][1] < start + minutes and start < HOURS[1][0]:
                start = HOURS[1][0]
            if start + minutes > HOURS[1][1]:
                break
            room_free[r] = therapist_free[t] = start + minutes + BUFFER
            starts_at = datetime.combine(day, wall_time(0), zone) + timedelta(minutes=start)
            starts_at = starts_at.astimezone(UTC)
            rows.append(
                {
                    "patient_id": patient.id,
                    "service_id": service.id,
                    "therapist_id": therapists[t].id,
                    "room_id": rooms[r].id,
                    "starts_at": starts_at,
                    "ends_at": starts_at + timedelta(minutes=minutes),
                    "busy_until": starts_at + timedelta(minutes=minutes + BUFFER),
                    "duration_minutes": minutes,
                    "price_pence": price,
                    "status": BookingStatus.CONFIRMED,
                }
            )
    for at in range(0, len(rows), 2_000):
        db.session.execute(insert(Booking), rows[at : at + 2_000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return service.id, len(rows)


def timed(fn, runs: int = RUNS) -> tuple[float, float]:
    samples = []
    for run in range(WARMUP + runs):
        began = time.perf_counter()
        fn()
        if run >= WARMUP:
            samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def timed_inside(fn, runs: int = RUNS) -> tuple[float, float]:
    """Like ``timed``, for functions that time their own part and return milliseconds."""
    samples = [fn() for _ in range(WARMUP + runs)][WARMUP:]
    return statistics.median(samples), percentile(samples, 0.95)


def measure(url: str, scale: int, with_floor: bool) -> dict:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": url}
    )
    out: dict = {}
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        zone = availability.clinic_zone()
        today = clock.now().astimezone(zone).date()
        first, last = today + timedelta(days=1), today + timedelta(days=31)
        service_id, made = build_clinic(scale, zone, today)
        out["bookings"] = made
        now = clock.now()
        found = []

        def cold() -> float:
            # A new session every call, so nothing is carried over; the service is loaded
            # (as the view does by slug) before the clock starts: the call is slots_for.
            db.session.remove()
            service = db.session.get(Service, service_id)
            began = time.perf_counter()
            found.append(len(availability.slots_for(service, 60, first, last, now=now).slots))
            return (time.perf_counter() - began) * 1000

        out["cold"] = timed_inside(cold)
        out["starts"] = found[-1]
        if not with_floor:
            db.session.remove()
            db.engine.dispose()
            return out

        window_start, window_end = availability.utc_window(first, last, zone)
        sql, params = availability.window_sql(
            db.engine.dialect, service_id, window_start, window_end, None
        )
        sqlite = db.engine.dialect.name == "sqlite"
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()

            cursor.execute(sql, params)  # the transaction is open before timing starts
            cursor.fetchall()

            def fetch() -> None:
                cursor.execute(sql, params)
                cursor.fetchall()

            out["fetch"] = timed(fetch)
            cursor.execute(sql, params)
            out["rows"] = len(cursor.fetchall())
            raw.rollback()
            if not sqlite:
                server = []
                for _ in range(WARMUP + RUNS):
                    cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                    raw.rollback()
                    server.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
                out["sql"] = statistics.median(server[WARMUP:])
        finally:
            raw.close()

        db.session.remove()
        window = availability.load_window(service_id, window_start, window_end, None)
        service = db.session.get(Service, service_id)
        query = SlotQuery(
            service_id=service_id,
            duration_minutes=60,
            buffer_minutes=service.buffer_minutes,
            first_day=first,
            last_day=last,
        )
        rules = availability.policy()

        def sweep() -> None:
            find_slots(
                query,
                tz=zone,
                therapists=window.therapists,
                room_ids=window.room_ids,
                bookings=window.bookings,
                closures=window.closures,
                now=now,
                policy=rules,
            )

        out["sweep"] = timed(sweep)
        db.session.remove()
        db.engine.dispose()
    return out


def verdict(ok: bool) -> str:
    return "met" if ok else "miss"


def main() -> None:
    began = time.monotonic()
    url1, url10 = database_url(1), database_url(10)
    kind = make_url(url1).get_backend_name()
    load = os.getloadavg()
    print(f"database:  {kind}; machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(
        f"load:      {load[0]:.1f} (1-minute average) at the start"
        + ("; the machine was loaded by other work, compare ratios only" if load[0] > 1 else "")
    )
    one = measure(url1, 1, with_floor=True)
    ten = measure(url10, 10, with_floor=False)

    c50, c95 = one["cold"]
    f50, s50 = one["fetch"][0], one["sweep"][0]
    floor = f50 + s50
    ratio = c50 / floor
    print(f"\na. 1x clinic ({one['bookings']} bookings), 31 days, any therapist, {RUNS} runs:")
    print(f"   cold call:       p50 {c50:6.2f} ms, p95 {c95:6.2f} ms ({one['starts']} starts)")
    if "sql" in one:
        print(f"   statement alone: p50 {one['sql']:6.2f} ms (server's EXPLAIN ANALYZE)")
    print(f"   statement+fetch: p50 {f50:6.2f} ms ({one['rows']} rows, raw driver cursor)")
    print(f"   sweep, preloaded: p50 {s50:6.2f} ms (find_slots)")
    print(
        f"   cold / floor (fetch + sweep) = {ratio:.2f}; target <= {TARGET_FLOOR}: "
        f"{verdict(ratio <= TARGET_FLOOR)}"
    )
    t50, t95 = ten["cold"]
    scale = t50 / c50
    print(f"\nb. 10x clinic ({ten['bookings']} bookings, 100 therapists, 50 rooms):")
    print(f"   cold call:       p50 {t50:6.2f} ms, p95 {t95:6.2f} ms ({ten['starts']} starts)")
    print(
        f"   10x / 1x = {scale:.2f}; target <= {TARGET_SCALE:.0f}: {verdict(scale <= TARGET_SCALE)}"
    )
    print("\nFor the README:\n")
    print("| Measure | Figure | Target | Result |")
    print("|---|---|---|---|")
    print(
        f"| cold 31 days, any therapist, against its floor | {c50:.1f} ms / "
        f"({f50:.1f} ms fetch + {s50:.1f} ms sweep) = {ratio:.2f}x | <= {TARGET_FLOOR}x "
        f"| {verdict(ratio <= TARGET_FLOOR)} |"
    )
    print(
        f"| 10x clinic against 1x | {t50:.1f} ms / {c50:.1f} ms = {scale:.2f}x "
        f"| <= {TARGET_SCALE:.0f}x | {verdict(scale <= TARGET_SCALE)} |"
    )
    print(f"\n(total {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
