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

from benchmarks import _results  # noqa: E402
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


def clock_ms(fn) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


class Clinic:
    """One clinic in its own database, with the calls to time prepared."""

    def __init__(self, url: str, scale: int) -> None:
        self.app = create_app(
            {"TESTING": True, "SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": url}
        )
        self.scale = scale
        with self.app.app_context():
            from flask_migrate import upgrade

            upgrade()
            self.zone = availability.clinic_zone()
            today = clock.now().astimezone(self.zone).date()
            self.first, self.last = today + timedelta(days=1), today + timedelta(days=31)
            self.service_id, self.bookings = build_clinic(scale, self.zone, today)
            self.now = clock.now()
            self.window_start, self.window_end = availability.utc_window(
                self.first, self.last, self.zone
            )
            self.starts = 0

    def cold(self) -> float:
        """One cold call: a new session, the service loaded (as the view does by slug) before
        the clock starts, then slots_for."""
        with self.app.app_context():
            db.session.remove()
            service = db.session.get(Service, self.service_id)
            began = time.perf_counter()
            found = availability.slots_for(service, 60, self.first, self.last, now=self.now)
            elapsed = (time.perf_counter() - began) * 1000
            self.starts = len(found.slots)
            db.session.remove()
            return elapsed

    def prepare_floor(self) -> None:
        """Open a raw driver connection and load the window once, for fetch() and sweep()."""
        with self.app.app_context():
            self.sql, self.params = availability.window_sql(
                db.engine.dialect, self.service_id, self.window_start, self.window_end, None
            )
            self.sqlite = db.engine.dialect.name == "sqlite"
            self.raw = db.engine.raw_connection()
            self.cursor = self.raw.cursor()
            self.cursor.execute(self.sql, self.params)  # the transaction opens before timing
            self.rows = len(self.cursor.fetchall())
            self.window = availability.load_window(
                self.service_id, self.window_start, self.window_end, None
            )
            service = db.session.get(Service, self.service_id)
            self.query = SlotQuery(
                service_id=self.service_id,
                duration_minutes=60,
                buffer_minutes=service.buffer_minutes,
                first_day=self.first,
                last_day=self.last,
            )
            self.rules = availability.policy()
            db.session.remove()

    def fetch(self) -> float:
        """The window's statement on a raw driver cursor in an open transaction, all rows."""

        def run() -> None:
            self.cursor.execute(self.sql, self.params)
            self.cursor.fetchall()

        return clock_ms(run)

    def sweep(self) -> float:
        """The pure slot search on the window already loaded."""
        w = self.window
        return clock_ms(
            lambda: find_slots(
                self.query,
                tz=self.zone,
                therapists=w.therapists,
                room_ids=w.room_ids,
                bookings=w.bookings,
                closures=w.closures,
                now=self.now,
                policy=self.rules,
            )
        )

    def server_sql(self) -> float | None:
        """The statement alone as PostgreSQL timed it (EXPLAIN ANALYZE), median."""
        if self.sqlite:
            return None
        times = []
        for _ in range(WARMUP + RUNS):
            self.cursor.execute("EXPLAIN (ANALYZE, TIMING OFF) " + self.sql, self.params)
            plan = "\n".join(row[0] for row in self.cursor.fetchall())
            times.append(float(re.search(r"Execution Time: ([\d.]+)", plan).group(1)))
        return statistics.median(times[WARMUP:])

    def close(self) -> None:
        with self.app.app_context():
            if getattr(self, "raw", None) is not None:
                self.raw.rollback()
                self.raw.close()
            db.session.remove()
            db.engine.dispose()


def summary(samples: list[float]) -> tuple[float, float]:
    kept = samples[WARMUP:]
    return statistics.median(kept), percentile(kept, 0.95)


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
    one, ten = Clinic(url1, 1), Clinic(url10, 10)
    one.prepare_floor()
    # Interleaved run by run, so a change in the machine's load touches every figure alike.
    cold1, fetch1, sweep1, cold10 = [], [], [], []
    for _ in range(WARMUP + RUNS):
        cold1.append(one.cold())
        fetch1.append(one.fetch())
        sweep1.append(one.sweep())
        cold10.append(ten.cold())
    sql_ms = one.server_sql()
    results = {
        "one": {
            "cold": summary(cold1),
            "fetch": summary(fetch1),
            "sweep": summary(sweep1),
            "bookings": one.bookings,
            "starts": one.starts,
            "rows": one.rows,
        },
        "ten": {"cold": summary(cold10), "bookings": ten.bookings, "starts": ten.starts},
    }
    if sql_ms is not None:
        results["one"]["sql"] = sql_ms
    one.close()
    ten.close()
    one, ten = results["one"], results["ten"]

    c50, c95 = one["cold"]
    f50, s50 = one["fetch"][0], one["sweep"][0]
    floor = f50 + s50
    ratio = c50 / floor
    print(
        f"\na. 1x clinic ({one['bookings']} bookings), 31 days, any therapist, {RUNS} runs "
        "interleaved with b:"
    )
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
    floor_text = f"{c50:.1f} ms / ({f50:.1f} ms fetch + {s50:.1f} ms sweep)"
    if "sql" in one:
        floor_text += f"; the statement alone {one['sql']:.2f} ms in the server"
    _results.write(
        "scaling",
        [
            _results.figure(
                "cold_floor",
                "cold 31 days, any therapist, against its floor (the window's statement "
                "fetched on a raw cursor + the pure sweep)",
                floor_text,
                value=ratio,
                target=f"<= {TARGET_FLOOR}x",
                met=ratio <= TARGET_FLOOR,
            ),
            _results.figure(
                "scale_10x",
                "10x clinic (100 therapists, 50 rooms, 30,000 bookings) against 1x",
                f"{t50:.1f} ms / {c50:.1f} ms",
                value=scale,
                target=f"<= {TARGET_SCALE:.0f}x",
                met=scale <= TARGET_SCALE,
            ),
        ],
        database=kind,
        load_at_start=round(load[0], 2),
    )
    print(f"\n(total {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
