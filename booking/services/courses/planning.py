"""Planning a course for the page that shows it: which weeks are free, and the nearest times."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from booking.models import Service
from booking.policy import ClinicPolicy
from booking.scheduling import Policy, Slot
from booking.scheduling.courses import (
    CoursePlan,
    plan_course,
    session_week,
    wanted_starts,
    week_bounds,
)
from booking.services import availability
from booking.services.clinic_settings import current_policy
from booking.services.errors import BookingError


def sessions_of(service: Service) -> int:
    """How many sessions a course of ``service`` has; refuse when it offers no course."""
    if not service.offers_course:
        raise BookingError(
            "no_course", f"{service.name} is not offered as a course.", field="service"
        )
    return int(service.course_sessions)


def check_cadence(every_weeks: int) -> None:
    if not 1 <= int(every_weeks) <= 4:
        raise BookingError("invalid", "Choose a session every 1 to 4 weeks.", field="every_weeks")


def course_rules(wanted: list[datetime], *, now: datetime, policy: ClinicPolicy) -> Policy:
    """The clinic's policy with the horizon stretched to the course's last week.

    The first session must start within the booking horizon like any booking; the later
    ones follow it at the cadence, however far that is.
    """
    rules = availability.scheduling_rules(policy)
    last_end = week_bounds(wanted[-1], policy.zone)[1]
    return replace(rules, horizon=max(rules.horizon, last_end - now))


def plan(
    service: Service,
    minutes: int,
    first_start: datetime,
    *,
    every_weeks: int,
    now: datetime,
    therapist_id: int | None = None,
    earliest_start: datetime | None = None,
    sessions: int | None = None,
    policy: ClinicPolicy | None = None,
) -> CoursePlan:
    """Plan a course of ``service`` from ``first_start``: read-only, for the page.

    Each session is wanted at the first's local weekday and time every ``every_weeks``
    weeks; the plan says which are free with the course's therapist and offers the
    nearest other times of each week. ``earliest_start`` bounds every start (a held
    booking's time to get cleared). Raises BookingError("no_course" | "invalid").
    """
    policy = policy or current_policy()
    check_cadence(every_weeks)
    count = sessions if sessions is not None else sessions_of(service)
    zone = policy.zone
    wanted = wanted_starts(first_start, every_weeks=every_weeks, sessions=count, tz=zone)
    rules = course_rules(wanted, now=now, policy=policy)
    first_day = session_week(wanted[0], zone)[0]
    last_day = session_week(wanted[-1], zone)[1]
    found = availability.slots_for(
        service,
        minutes,
        first_day,
        last_day,
        now=now,
        earliest_start=earliest_start,
        rules=rules,
    ).slots
    horizon_end = now + policy.horizon
    weeks: list[list[Slot]] = []
    for number, start in enumerate(wanted, start=1):
        lo, hi = session_week(start, zone)
        week = [s for s in found if lo <= s.start.astimezone(zone).date() <= hi]
        if number == 1:  # the first session keeps the ordinary horizon
            week = [s for s in week if s.start <= horizon_end]
        weeks.append(week)
    return plan_course(wanted, weeks, therapist_id=therapist_id)
