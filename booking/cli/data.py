"""``flask booking seed-demo|purge``: the demo clinic and the retention purge."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from booking import clock

group = AppGroup("data", help="The demo clinic and the retention purge.")


@group.command("seed-demo")
def seed_demo_command() -> None:
    """Fill an empty database with the demo clinic (does nothing if it has services)."""
    from booking.demo import seed_demo

    created = seed_demo(now=clock.now())
    if created:
        click.echo("Seeded the demo clinic: services, therapists, rooms, hours and a holiday.")
    else:
        click.echo("The database already has a clinic; nothing seeded.")


@group.command("purge")
def purge_command() -> None:
    """Delete screen answers of never-confirmed bookings past retention, and old drafts."""
    from booking.services.retention import purge

    report = purge(now=clock.now())
    click.echo(
        f"Removed the answers of {report.answers_removed} unconfirmed booking(s) and "
        f"{report.drafts_removed} unfinished booking draft(s)."
    )
