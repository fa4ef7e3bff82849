"""The demo clinic that make run starts with."""

from datetime import UTC, datetime

from sqlalchemy import func, select

from booking.demo import seed_demo
from booking.extensions import db
from booking.models import Closure, Room, Service, Therapist, WorkingHours

NOW = datetime(2027, 3, 10, 9, 0, tzinfo=UTC)


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Service, Therapist, Room, WorkingHours, Closure)
    }


def test_seed_creates_the_clinic_of_the_domain_rules(app):
    assert seed_demo(now=NOW) is True
    services = {s.slug: s for s in db.session.scalars(select(Service))}
    assert len(services) == 6
    assert [d.minutes for d in services["therapeutic-back-massage"].durations] == [30, 45, 60]
    assert services["initial-assessment"].buffer_minutes == 20
    assert services["deep-tissue-massage"].deep_pressure is True
    assert counts()["Therapist"] == 3
    assert counts()["Room"] == 2


def test_every_therapist_has_a_lunch_break(app):
    seed_demo(now=NOW)
    for therapist in db.session.scalars(select(Therapist)):
        days = {}
        for hours in therapist.working_hours:
            days.setdefault(hours.weekday, []).append(hours)
        assert any(len(ranges) >= 2 for ranges in days.values()), therapist.name


def test_seed_adds_the_next_christmas_closure(app):
    seed_demo(now=NOW)
    closure = db.session.scalar(select(Closure))
    assert closure.starts_at == datetime(2027, 12, 25, 0, 0, tzinfo=UTC)  # GMT in December
    assert closure.ends_at == datetime(2027, 12, 27, 0, 0, tzinfo=UTC)


def test_seed_is_idempotent(app):
    assert seed_demo(now=NOW) is True
    before = counts()
    assert seed_demo(now=NOW) is False
    assert counts() == before


def test_seed_command_says_what_it_did(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["booking", "seed-demo"])
    second = runner.invoke(args=["booking", "seed-demo"])
    assert first.exit_code == 0 and "Seeded" in first.output
    assert second.exit_code == 0 and "nothing seeded" in second.output
