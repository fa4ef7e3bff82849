"""Booking race benchmark: prints figures and ratios, asserts nothing on time (``make bench``).

Against gunicorn with the production settings (``gunicorn.conf.py``: its worker count and
class) on PostgreSQL (its own database ``bench_race``, or ``BENCH_RACE_DATABASE_URL``),
through ``POST /api/v1/bookings`` over loopback:

1. 64 client threads book DISTINCT free slots for 15 s. The free starts are read first from
   ``GET /api/v1/availability``; each client gets its own disjoint list of
   (therapist, start) targets, whole start times at a time, so two clients never want the
   same therapist or compete for a room: a 409 here would be a bug, not a lost race.
2. 64 clients all aim at the same slot at once (a ``threading.Barrier``), a few rounds on
   different slots: prints how many bookings each round made - it must be exactly 1, checked
   in the database afterwards - and the lost-race answer time (409, p50 / p95) beside the
   winner's (201), and, in the worker, beside an ordinary booking's from part 1: a "just
   taken" with alternatives should not cost several times a booking.
3. The lost-race answer against a winning booking: p95 of the 409s of part 2 over the p95
   of the 201s of part 1, both as the worker timed them (its access log), target <= 1.5.
4. Throughput against its floor: the same 64 clients and requests against
   ``benchmarks/_insert_app.py`` (one INSERT and a commit per request) under the same
   gunicorn settings, target: bookings/s at least a third of it. Part 1 is repeated with
   the other worker class (sync or gthread, whichever gunicorn.conf.py does not choose) on
   fresh slots, to say which measures better.

Each booking uses its own email address, as real patients do, so the per-email caps are not
in play; the per-address rate limits are switched off (``FLASK_RATELIMIT_ENABLED=false``)
because every client here shares one address. The worker process (emails) is not needed.
Never touches the test database or the developer's instance folder.
"""

from __future__ import annotations

import http.client
import json
import os
import runpy
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Isolate from instance/config.py before anything builds an app.
INSTANCE = tempfile.mkdtemp(prefix="bench-race-")
os.environ["BOOKING_INSTANCE_PATH"] = INSTANCE

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import _results  # noqa: E402
from benchmarks._support import (  # noqa: E402
    free_port,
    percentile,
    reset_postgres_database,
    wait_until_up,
)
from booking import clock, create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.intake import ScreenAnswers  # noqa: E402
from booking.models import (  # noqa: E402
    Booking,
    BookingStatus,
    Room,
    Service,
    ServiceDuration,
    Therapist,
    WorkingHours,
)
from booking.services import availability  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_race"
THERAPISTS, ROOMS = 10, 10
OPEN, CLOSE = 7 * 60, 22 * 60  # every day of the week
SERVICE, MINUTES, PRICE, BUFFER = "back-massage", 30, 3500, 10
# Start times on a grid wider than duration + buffer: bookings at different grid times never
# overlap, for a therapist or a room.
GRID = 45
CLIENTS, SECONDS = 64, 15.0
RACE_CLIENTS, RACE_ROUNDS = 64, 5
TARGET_RATE = 150.0
TARGET_FLOOR_RATIO, TARGET_RACE_RATIO = 1 / 3, 1.5
THREADS = 4
# A benign pain screen: the outcome is "book", never a hold.
SCREEN = ScreenAnswers(
    location="lower_back",
    duration="over_12_weeks",
    sudden_onset=False,
    pain_score=3,
    disturbs_sleep_or_daily_life=False,
    recent_injury="none",
    long_term_steroids=False,
).to_data()


# --- The database and the clinic ----------------------------------------------------------


def database_url() -> str:
    url = os.environ.get("BENCH_RACE_DATABASE_URL") or PG_DEFAULT
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("booking_race.py measures PostgreSQL only (exclusion constraints).")
    # A fresh schema every run: this database is the benchmark's own.
    reset_postgres_database(url)
    return url


def build_clinic() -> None:
    service = Service(
        slug=SERVICE,
        name="Back massage",
        summary="Benchmark service.",
        buffer_minutes=BUFFER,
        durations=[ServiceDuration(minutes=MINUTES, price_pence=PRICE)],
    )
    therapists = [
        Therapist(
            slug=f"therapist-{n:02d}",
            name=f"Therapist {n}",
            position=n,
            services=[service],
            working_hours=[
                WorkingHours(weekday=day, start_minute=OPEN, end_minute=CLOSE) for day in range(7)
            ],
        )
        for n in range(THERAPISTS)
    ]
    rooms = [Room(slug=f"room-{n}", name=f"Room {n}", position=n) for n in range(ROOMS)]
    db.session.add_all([service, *therapists, *rooms])
    db.session.commit()


# --- HTTP ---------------------------------------------------------------------------------


def body(therapist: str, start: str, n: int) -> bytes:
    return json.dumps(
        {
            "service": SERVICE,
            "duration": MINUTES,
            "start": start,
            "therapist": therapist,
            "name": f"Bench Patient {n}",
            "email": f"patient-{n}@bench.example.org",
            "phone": "07700 900123",
            "over_18": True,
            "agree_policy": True,
            "screen_consent": True,
            "screen": SCREEN,
        }
    ).encode()


class Client:
    """One keep-alive connection (reopened when the server closes it)."""

    HEADERS = {"Content-Type": "application/json", "Connection": "keep-alive"}

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def post(self, payload: bytes) -> tuple[int, float, bytes]:
        began = time.perf_counter()
        try:
            self.conn.request("POST", "/api/v1/bookings", body=payload, headers=self.HEADERS)
            response = self.conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            status, data = 0, repr(error).encode()
        return status, time.perf_counter() - began, data

    def close(self) -> None:
        self.conn.close()


def free_targets(port: int, first, last) -> list[tuple[str, list[str]]]:
    """Free starts on the grid, in time order: (start ISO, [therapist slugs free then])."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request(
        "GET",
        f"/api/v1/availability?service={SERVICE}&duration={MINUTES}"
        f"&from={first.isoformat()}&to={last.isoformat()}",
    )
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"availability answered {response.status}: {data[:300]!r}")
    groups = []
    for slot in json.loads(data)["slots"]:
        local = datetime.fromisoformat(slot["start"])
        minute = local.hour * 60 + local.minute
        if (minute - OPEN) % GRID == 0 and slot["therapists"]:
            groups.append((slot["start"], sorted(slot["therapists"])))
    return groups


# --- 1. Distinct slots --------------------------------------------------------------------


def distinct_slots(port: int, groups: list[tuple[str, list[str]]]) -> dict:
    """CLIENTS threads, each booking its own targets, for SECONDS (or until they run out)."""
    # Start time g goes to client g % CLIENTS, with all its therapists: no two clients ever
    # want the same start, so none compete for a therapist or a room.
    targets: list[list[tuple[str, str]]] = [[] for _ in range(CLIENTS)]
    for g, (start, therapists) in enumerate(groups):
        targets[g % CLIENTS].extend((t, start) for t in therapists)
    results: list[list[tuple[int, float]]] = [[] for _ in range(CLIENTS)]
    samples: list[bytes] = []
    barrier = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def run(i: int) -> None:
        client = Client(port)
        mine = results[i]
        barrier.wait()
        for k, (therapist, start) in enumerate(targets[i]):
            if time.monotonic() >= stop_at[0]:
                break
            status, took, data = client.post(body(therapist, start, i * 1_000_000 + k))
            mine.append((status, took))
            if status != 201 and len(samples) < 3:
                samples.append(f"{status}: ".encode() + data[:300])
        client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + SECONDS
    began = time.monotonic()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    flat = [r for mine in results for r in mine]
    statuses = Counter(status for status, _ in flat)
    latencies = [took * 1000 for _, took in flat]
    return {
        "elapsed": elapsed,
        "statuses": statuses,
        "rate": statuses.get(201, 0) / elapsed,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95),
        "targets": sum(len(t) for t in targets),
        "exhausted": sum(1 for i in range(CLIENTS) if len(results[i]) == len(targets[i])),
        "samples": samples,
    }


# --- 2. One slot, many clients ------------------------------------------------------------


def one_slot(port: int, therapist: str, start: str, round_no: int) -> dict:
    results: list[tuple[int, float]] = [(0, 0.0)] * RACE_CLIENTS
    barrier = threading.Barrier(RACE_CLIENTS)
    payloads = [
        body(therapist, start, 900_000_000 + round_no * 1_000 + i) for i in range(RACE_CLIENTS)
    ]

    def run(i: int) -> None:
        client = Client(port)
        barrier.wait()
        status, took, _ = client.post(payloads[i])
        results[i] = (status, took * 1000)
        client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"therapist": therapist, "start": start, "results": results}


def bookings_at(therapist: str, start: str) -> int:
    """Live bookings of ``therapist`` overlapping the slot at ``start``, from the database."""
    begins = datetime.fromisoformat(start).astimezone(UTC)
    ends = begins + timedelta(minutes=MINUTES + BUFFER)
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .join(Therapist, Booking.therapist_id == Therapist.id)
        .where(
            Therapist.slug == therapist,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.HELD]),
            Booking.starts_at < ends,
            Booking.busy_until > begins,
        )
    )


def server_times(log_path: Path, start: int, end: int | None = None) -> dict[int, list[float]]:
    """The app's own request durations (ms) for POST /api/v1/bookings, by status.

    Read from its access log lines (``booking.access``) between two byte offsets: time in
    the worker, without the wait for a free worker that the client-side latency includes.
    """
    times: dict[int, list[float]] = {}
    with log_path.open("rb") as log:
        log.seek(start)
        data = log.read() if end is None else log.read(end - start)
    for line in data.splitlines():
        if not line.startswith(b"{"):
            continue
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if record.get("logger") == "booking.access" and record.get("path") == "/api/v1/bookings":
            times.setdefault(record["status"], []).append(float(record["duration_ms"]))
    return times


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def describe(times: dict[int, list[float]]) -> str:
    return "; ".join(
        f"{status}: p50 {statistics.median(ms):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms"
        for status, ms in sorted(times.items())
    )


# --- Main ---------------------------------------------------------------------------------


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def start_server(url: str, target: str, extra: list[str], log_path: Path):
    """gunicorn with the production settings (gunicorn.conf.py), plus ``extra`` arguments."""
    port = free_port()
    env = {
        **os.environ,
        "FLASK_SQLALCHEMY_DATABASE_URI": url,
        "FLASK_SECRET_KEY": secrets.token_hex(32),
        "FLASK_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "FLASK_DATA_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "FLASK_RATELIMIT_ENABLED": "false",
        "BOOKING_INSTANCE_PATH": INSTANCE,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_LOG_LEVEL": "warning",
    }
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        *extra,
        target,
    ]
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_until_up(port, server)
    except BaseException:
        stop(server)
        raise
    return server, port, command


def rate_line(name: str, one: dict) -> str:
    statuses = one["statuses"]
    other = {s: n for s, n in statuses.items() if s not in (201, 409)}
    return (
        f"   {name}: {one['rate']:.1f}/s over {one['elapsed']:.1f} s "
        f"(201 x {statuses.get(201, 0)}, 409 x {statuses.get(409, 0)}, other {other or 0}; "
        f"client p50 {one['p50']:.0f} ms, p95 {one['p95']:.0f} ms)"
    )


def verdict(ok: bool) -> str:
    return "met" if ok else "miss"


def worker_classes() -> tuple[dict, dict]:
    """The production worker class (read from gunicorn.conf.py) and the other one to compare.

    Each is a name, a label and the gunicorn arguments that select it (none for production:
    the config file alone). sync is forced to one thread, or gunicorn would pick gthread.
    """
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    name = settings.get("worker_class", "sync")
    threads = int(settings.get("threads", 1))
    if name == "sync" and threads > 1:
        name = "gthread"  # what gunicorn itself does with threads on a sync worker
    workers = settings["workers"]
    if name not in ("sync", "gthread"):
        raise SystemExit(f"gunicorn.conf.py uses {name!r}; this compares sync and gthread")
    sync = {"name": "sync", "label": f"{workers} sync workers"}
    gthread = {"name": "gthread", "label": f"{workers} gthread workers x {THREADS} threads"}
    if name == "sync":
        gthread["args"] = ["--worker-class", "gthread", "--threads", str(THREADS)]
        return {**sync, "args": []}, gthread
    gthread["label"] = f"{workers} gthread workers x {threads} threads"
    sync["args"] = ["--worker-class", "sync", "--threads", "1"]
    return {**gthread, "args": []}, sync


def main() -> None:
    began = time.monotonic()
    command_line = shlex.join([Path(sys.executable).name, *sys.argv])
    url = database_url()
    app = create_app(
        {"TESTING": True, "SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": url}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        version = db.session.scalar(text("SELECT version()")).split(",")[0]
        build_clinic()
        # The floor endpoint's table, beside the app's own.
        db.session.execute(
            text("CREATE TABLE bench_inserts (id bigserial PRIMARY KEY, email text, start text)")
        )
        db.session.commit()
        zone = availability.clinic_zone()
        today = clock.now().astimezone(zone).date()
        db.session.remove()
        db.engine.dispose()

    load = os.getloadavg()[0]
    print(f"command:   {command_line}")
    print(f"database:  {version} {make_url(url).render_as_string()}")
    print(f"machine:   {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(
        f"load:      {load:.1f} (1-minute average) at the start"
        + ("; the machine was loaded by other work, compare ratios only" if load > 1 else "")
    )
    print(
        f"clinic:    {THERAPISTS} therapists, {ROOMS} rooms, every day "
        f"{OPEN // 60:02d}:00-{CLOSE // 60:02d}:00; {MINUTES} min + {BUFFER} min buffer"
    )
    production, alt = worker_classes()
    log_path = Path(INSTANCE) / "gunicorn.log"
    server, port, command = start_server(url, "wsgi:app", [], log_path)
    print(
        f"server:    {shlex.join(command)}  (production settings: {production['label']}; "
        f"log: {log_path})"
    )
    try:
        groups = free_targets(port, today + timedelta(days=1), today + timedelta(days=61))
        # The last start times are kept out of part 1 for the races of part 2; the rest is
        # split so the other worker class books slots nobody booked before.
        races, groups = groups[-RACE_ROUNDS:], groups[:-RACE_ROUNDS]
        half = len(groups) // 2
        production_groups, alt_groups = groups[:half], groups[half:]
        print(f"free:      {sum(len(t) for _, t in groups)} (therapist, start) targets")

        one = distinct_slots(port, production_groups)
        statuses = one["statuses"]
        print(
            f"\n1. {CLIENTS} clients, distinct free slots, {SECONDS:.0f} s "
            f"({one['exhausted']} clients ran out of targets)"
        )
        print(rate_line("bookings", one))
        for sample in one["samples"]:
            print(f"   e.g. {sample.decode(errors='replace')}")

        logged = log_path.stat().st_size
        rounds = [one_slot(port, t[0], start, n) for n, (start, t) in enumerate(races)]
    finally:
        stop(server)
    in_worker_1 = server_times(log_path, 0, logged)
    in_worker_2 = server_times(log_path, logged)

    alt_log = Path(INSTANCE) / f"gunicorn-{alt['name']}.log"
    server, port, alt_command = start_server(url, "wsgi:app", alt["args"], alt_log)
    try:
        alternative = distinct_slots(port, alt_groups)
    finally:
        stop(server)

    floor_log = Path(INSTANCE) / "gunicorn-insert.log"
    server, port, floor_command = start_server(url, "benchmarks._insert_app:app", [], floor_log)
    try:
        floor = distinct_slots(port, production_groups)
    finally:
        stop(server)

    with app.app_context():
        stored = db.session.scalar(
            select(func.count())
            .select_from(Booking)
            .where(Booking.status == BookingStatus.CONFIRMED)
        )
        checks = [bookings_at(r["therapist"], r["start"]) for r in rounds]
        db.session.remove()
        db.engine.dispose()
    made_part1 = statuses.get(201, 0) + alternative["statuses"].get(201, 0)

    print(f"   in the worker (the app's access log), by status: {describe(in_worker_1)}")

    refusals = [ms for r in rounds for status, ms in r["results"] if status == 409]
    winners = [ms for r in rounds for status, ms in r["results"] if status == 201]
    print(f"\n2. {RACE_CLIENTS} clients at once on the same slot, {len(rounds)} rounds")
    all_ok = True
    for r, in_db in zip(rounds, checks, strict=True):
        counted = Counter(status for status, _ in r["results"])
        ok = counted.get(201, 0) == 1 and in_db == 1
        all_ok &= ok
        other = {s: n for s, n in counted.items() if s not in (201, 409)}
        print(
            f"   {r['therapist']} {r['start']}: 201 x {counted.get(201, 0)}, "
            f"409 x {counted.get(409, 0)}, other {other or 0}; in the database: {in_db} "
            f"-> {'OK (exactly 1)' if ok else 'WRONG'}"
        )
    print(
        f"   lost race (409): p50 {_median(refusals):.0f} ms, p95 "
        f"{percentile(refusals, 0.95):.0f} ms over {len(refusals)}; "
        f"winner (201): p50 {_median(winners):.0f} ms, p95 {percentile(winners, 0.95):.0f} ms "
        f"over {len(winners)} (client side, all {RACE_CLIENTS} queued at once)"
    )
    print(f"   in the worker (the app's access log), by status: {describe(in_worker_2)}")
    lost_in_worker = in_worker_2.get(409, [])
    booked_in_worker = in_worker_1.get(201, [])
    print(
        f"   a lost race costs {_median(lost_in_worker) / _median(booked_in_worker):.1f}x a "
        f"booking in the worker (p50 {_median(lost_in_worker):.0f} ms vs "
        f"{_median(booked_in_worker):.0f} ms; p95 {percentile(lost_in_worker, 0.95):.0f} ms vs "
        f"{percentile(booked_in_worker, 0.95):.0f} ms)"
    )
    total_made = made_part1 + sum(Counter(s for s, _ in r["results"]).get(201, 0) for r in rounds)
    print(
        f"   database check: {stored} confirmed bookings stored, {total_made} 201s answered "
        f"-> {'OK' if stored == total_made else 'MISMATCH'}; every race made exactly one: "
        f"{'YES' if all_ok else 'NO'}"
    )

    lost = percentile(in_worker_2.get(409, []), 0.95)
    won = percentile(in_worker_1.get(201, []), 0.95)
    race_ratio = lost / won
    print(
        f"\n3. lost-race answer (409, part 2) against a winning booking (201, part 1), "
        f"in the worker: p95 {lost:.0f} ms / {won:.0f} ms = {race_ratio:.2f}; "
        f"target <= {TARGET_RACE_RATIO}: {verdict(race_ratio <= TARGET_RACE_RATIO)}"
    )

    ratio = one["rate"] / floor["rate"] if floor["rate"] else 0.0
    alt_ratio = alternative["rate"] / floor["rate"] if floor["rate"] else 0.0
    by_class = {production["name"]: one["rate"], alt["name"]: alternative["rate"]}
    gthread_gain = by_class["gthread"] / by_class["sync"] if by_class["sync"] else 0.0
    print(f"\n4. {CLIENTS} clients for {SECONDS:.0f} s each, same settings, same run")
    print(f"   floor: {shlex.join(floor_command)}")
    print(rate_line("one INSERT + commit", floor))
    print(rate_line(f"bookings, {production['label']} (production)", one))
    print(f"   other worker class: {shlex.join(alt_command)}")
    print(rate_line(f"bookings, {alt['label']}", alternative))
    print(
        f"   bookings / floor = {ratio:.2f} ({production['label']}, the production default), "
        f"{alt_ratio:.2f} ({alt['label']}); target >= {TARGET_FLOOR_RATIO:.2f}: "
        f"{verdict(ratio >= TARGET_FLOOR_RATIO)}"
    )
    print(f"   gthread / sync bookings per second = {gthread_gain:.2f}")

    print(f"\nFor the README (PostgreSQL, {os.cpu_count()} CPUs; `{command_line}`):\n")
    print("| Measure | Figure | Target | Result |")
    print("|---|---|---|---|")
    print(
        f"| {CLIENTS} clients booking distinct slots against one INSERT + commit "
        f"| {one['rate']:.0f}/s / {floor['rate']:.0f}/s = {ratio:.2f} "
        f"| >= {TARGET_FLOOR_RATIO:.2f} | {verdict(ratio >= TARGET_FLOOR_RATIO)} |"
    )
    print(
        f"| the same with {alt['label']} | {alternative['rate']:.0f}/s "
        f"= {alt_ratio:.2f} of the floor | | |"
    )
    print(
        f"| bookings per second (absolute) | {one['rate']:.0f}/s | >= {TARGET_RATE:.0f}/s "
        f"| {verdict(one['rate'] >= TARGET_RATE)} |"
    )
    print(
        f"| {RACE_CLIENTS} clients, one slot, {len(rounds)} rounds | bookings per round: "
        f"{', '.join(str(c) for c in checks)} (database) | exactly 1 | "
        f"{'met' if all_ok else 'FAIL'} |"
    )
    print(
        f"| lost-race answer against a winning booking, p95 in the worker "
        f"| {lost:.0f} ms / {won:.0f} ms = {race_ratio:.2f} | <= {TARGET_RACE_RATIO} "
        f"| {verdict(race_ratio <= TARGET_RACE_RATIO)} |"
    )
    consistent = all_ok and stored == total_made
    _results.write(
        "booking_race",
        [
            _results.figure(
                "throughput",
                f"{CLIENTS} clients booking distinct slots against an endpoint doing one INSERT "
                f"and commit, production gunicorn settings ({production['label']}), PostgreSQL",
                f"{one['rate']:.1f}/s / {floor['rate']:.1f}/s",
                value=ratio,
                target=f">= {TARGET_FLOOR_RATIO:.2f}",
                met=ratio >= TARGET_FLOOR_RATIO,
            ),
            _results.figure(
                "worker_class",
                "the worker class: bookings/s with gthread against sync workers, same clients, "
                "same run",
                f"{by_class['gthread']:.1f}/s / {by_class['sync']:.1f}/s",
                value=gthread_gain,
                target=f"production: {production['name']}",
            ),
            _results.figure(
                "race_ratio",
                "lost-race answer (409) against a winning booking (201), p95 in the worker",
                f"{lost:.0f} ms / {won:.0f} ms",
                value=race_ratio,
                target=f"<= {TARGET_RACE_RATIO}",
                met=race_ratio <= TARGET_RACE_RATIO,
            ),
            _results.figure(
                "one_slot",
                f"{RACE_CLIENTS} clients at one slot, {len(rounds)} rounds: bookings per round, "
                "counted in the database",
                ", ".join(str(c) for c in checks)
                + f"; {stored} stored for {total_made} answered 201",
                target="exactly 1",
                met=consistent,
            ),
        ],
        database="postgresql",
        load_at_start=round(load, 2),
        production_worker=production["label"],
    )
    print(f"\n(total {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
