"""One booking in process against django-appointment's booking path: prints a ratio.

Both on the local PostgreSQL server, each in its own scratch database with the same clinic
shape (10 therapists, 60-minute appointments, 3,000 upcoming bookings):

* ours: ``bookings.book`` as the API calls it (pain screen, availability re-check, room
  and therapist choice, the confirmation queued in the outbox), timed from a fresh session;
* the peer: django-appointment 3.12.0 with Django, installed by this script into a
  throwaway virtual environment under a temporary folder (never a project dependency), its
  booking path run by ``_peer_django.py`` in that environment: request form, staff check,
  saving the request, creating the client, saving the appointment. It re-checks nothing:
  nothing stops it saving two overlapping appointments.

Prints both p50s, their ratio (target at most 1.0) and the SQL statements of one booking
each (target at most 10 for ours). Needs PostgreSQL and the package index; without either it
says so and skips.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

INSTANCE = tempfile.mkdtemp(prefix="bench-peer-")
os.environ["BOOKING_INSTANCE_PATH"] = INSTANCE

from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from benchmarks import _results  # noqa: E402
from benchmarks import availability as clinic_bench  # noqa: E402
from benchmarks._support import percentile, reset_postgres_database  # noqa: E402
from booking import clock, create_app  # noqa: E402
from booking.extensions import db  # noqa: E402
from booking.intake import ScreenAnswers  # noqa: E402
from booking.models import Service  # noqa: E402
from booking.services import availability  # noqa: E402
from booking.services.audit import Actor  # noqa: E402
from booking.services.bookings import BookingRequest, book  # noqa: E402

OURS = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_peer_ours"
PEER = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_peer_django"
PEER_PACKAGES = ["django-appointment==3.12.0", "psycopg[binary]"]
# Steady state, as a server that has been up a while (connections open, caches warm, our
# statements prepared by psycopg from their fifth run): both sides get twelve bookings
# before the measured ones.
RUNS, WARMUP = 30, 12
TARGET_RATIO, TARGET_STATEMENTS = 1.0, 10
CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
SCREEN = ScreenAnswers(
    location="lower_back",
    duration="over_12_weeks",
    sudden_onset=False,
    pain_score=3,
    disturbs_sleep_or_daily_life=False,
    recent_injury="none",
    long_term_steroids=False,
)


def measure_ours() -> dict:
    app = create_app(
        {"TESTING": True, "SECRET_KEY": secrets.token_hex(32), "SQLALCHEMY_DATABASE_URI": OURS}
    )
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        zone = availability.clinic_zone()
        today = clock.now().astimezone(zone).date()
        made, ids = clinic_bench.build_clinic(zone, today)
        # Fresh statistics, as autovacuum keeps them in a clinic that has been running;
        # otherwise its first analyse of the new rows lands among the measured bookings.
        db.session.commit()
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
        service = db.session.get(Service, ids["service"])
        found = availability.slots_for(
            service, 60, today + timedelta(days=1), today + timedelta(days=60), now=clock.now()
        ).slots
        # Starts at least two hours apart: no booking here takes another's therapist or room.
        targets, last = [], None
        for slot in found:
            if last is None or slot.start - last >= timedelta(hours=2):
                targets.append(slot)
                last = slot.start
        if len(targets) < RUNS + WARMUP:
            raise SystemExit(f"only {len(targets)} free targets")
        samples: list[float] = []
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            if statement.split(None, 1)[0].upper() not in CONTROL:
                statements.append(statement)

        for i in range(RUNS + WARMUP):
            slot = targets[i]
            db.session.remove()
            wanted = BookingRequest(
                service_id=ids["service"],
                minutes=60,
                start=slot.start,
                name=f"Bench Patient {i}",
                email=f"patient{i}@bench.example.org",
                phone="07700 900123",
                therapist_id=slot.therapist_ids[0],
                screen=SCREEN,
            )
            counting = i == RUNS + WARMUP - 1
            if counting:
                event.listen(db.engine, "before_cursor_execute", record)
            began = time.perf_counter()
            try:
                book(wanted, actor=Actor.patient(), now=clock.now())
            finally:
                elapsed = (time.perf_counter() - began) * 1000
                if counting:
                    event.remove(db.engine, "before_cursor_execute", record)
            if i >= WARMUP:
                samples.append(elapsed)
        db.session.remove()
        db.engine.dispose()
    return {
        "p50": statistics.median(samples),
        "p95": percentile(samples, 0.95),
        "statements": len(statements),
        "bookings": made,
    }


def measure_peer() -> dict:
    where = Path(tempfile.mkdtemp(prefix="bench-peer-venv-"))
    try:
        return _install_and_run(where)
    finally:
        shutil.rmtree(where, ignore_errors=True)  # throwaway: nothing of the peer stays


def _install_and_run(where: Path) -> dict:
    venv.create(where, with_pip=True)
    python = where / "bin" / "python"
    began = time.monotonic()
    # Quiet unless it fails: the index's warnings are not figures.
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *PEER_PACKAGES],
        check=True,
        capture_output=True,
        text=True,
    )
    print(
        f"peer:      installed {', '.join(PEER_PACKAGES)} in {where} "
        f"({time.monotonic() - began:.0f} s)"
    )
    reset_postgres_database(PEER)
    url = make_url(PEER)
    out = subprocess.run(
        [
            str(python),
            str(ROOT / "benchmarks" / "_peer_django.py"),
            url.database,
            url.host,
            str(url.port),
            url.username,
            str(RUNS),
            str(WARMUP),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=where,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "miss"


def main() -> None:
    began = time.monotonic()
    try:
        reset_postgres_database(OURS)
    except Exception as error:
        print(f"PostgreSQL not reachable ({type(error).__name__}); skipped.")
        return
    load = os.getloadavg()[0]
    print(f"machine:   {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(
        f"load:      {load:.1f} (1-minute average) at the start"
        + ("; the machine was loaded by other work, compare ratios only" if load > 1 else "")
    )
    try:
        peer = measure_peer()
    except (subprocess.CalledProcessError, OSError) as error:
        detail = getattr(error, "stderr", "") or ""
        print(f"peer could not be installed or run ({error}); skipped.\n{detail[-2000:]}")
        return
    ours = measure_ours()
    ratio = ours["p50"] / peer["p50"]
    print(f"\nOne booking in process, {RUNS} runs each, PostgreSQL, same clinic shape:")
    print(
        f"   ours: p50 {ours['p50']:.1f} ms, p95 {ours['p95']:.1f} ms, "
        f"{ours['statements']} SQL statements ({ours['bookings']} upcoming bookings)"
    )
    print(
        f"   django-appointment 3.12.0 (Django {peer['django']}): p50 {peer['p50']:.1f} ms, "
        f"p95 {peer['p95']:.1f} ms, {peer['statements']} SQL statements (re-checks nothing)"
    )
    print(
        f"   ours / peer = {ratio:.2f}; target <= {TARGET_RATIO}: {verdict(ratio <= TARGET_RATIO)}"
    )
    print(
        f"   our statements {ours['statements']}; target <= {TARGET_STATEMENTS}: "
        f"{verdict(ours['statements'] <= TARGET_STATEMENTS)}"
    )
    print("\nFor the README:\n")
    print("| Measure | Figure | Target | Result |")
    print("|---|---|---|---|")
    print(
        f"| one booking in process against django-appointment | {ours['p50']:.1f} ms / "
        f"{peer['p50']:.1f} ms = {ratio:.2f} | <= {TARGET_RATIO} | "
        f"{verdict(ratio <= TARGET_RATIO)} |"
    )
    print(
        f"| SQL statements per booking | {ours['statements']} (peer {peer['statements']}) "
        f"| <= {TARGET_STATEMENTS} | {verdict(ours['statements'] <= TARGET_STATEMENTS)} |"
    )
    _results.write(
        "peer_booking",
        [
            _results.figure(
                "peer_ratio",
                "one booking in process against django-appointment 3.12.0's booking path, "
                "same clinic shape on the same PostgreSQL",
                f"{ours['p50']:.1f} ms / {peer['p50']:.1f} ms",
                value=ratio,
                target=f"<= {TARGET_RATIO}",
                met=ratio <= TARGET_RATIO,
            ),
            _results.figure(
                "statements",
                "SQL statements per booking (the peer's, which re-checks nothing, beside it)",
                f"{ours['statements']} (peer {peer['statements']})",
                value=ours["statements"],
                target=f"<= {TARGET_STATEMENTS}",
                met=ours["statements"] <= TARGET_STATEMENTS,
            ),
        ],
        database="postgresql",
        load_at_start=round(load, 2),
        peer=f"django-appointment 3.12.0, Django {peer['django']}",
    )
    print(f"\n(total {time.monotonic() - began:.0f} s)")


if __name__ == "__main__":
    main()
