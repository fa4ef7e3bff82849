"""``flask booking create-staff | staff-password | staff-deactivate``: staff accounts.

No account exists until someone creates one here. Passwords are typed at a hidden prompt,
or, for scripts, read from ``BOOKING_STAFF_PASSWORD``; never from a command-line option,
which would leave them in the shell history and the process list.
"""

from __future__ import annotations

import os

import click
from flask.cli import AppGroup
from sqlalchemy import select

from booking import clock
from booking.extensions import db
from booking.models import StaffRole, StaffUser, Therapist
from booking.services import staff as staff_service
from booking.services.audit import Actor

group = AppGroup("staff", help="Staff accounts.")

PASSWORD_ENV = "BOOKING_STAFF_PASSWORD"  # noqa: S105 - the variable's name, not a secret


def _read_password(prompt: str) -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _existing_staff(email: str) -> StaffUser:
    staff = staff_service.find_by_email(email)
    if staff is None:
        raise click.ClickException(f"There is no staff account for {email}.")
    return staff


@group.command("create-staff")
@click.option("--email", required=True, help="Sign-in address.")
@click.option("--name", required=True, help="Name shown to colleagues.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in StaffRole]),
    default=StaffRole.ADMIN.value,
    show_default=True,
)
@click.option("--therapist", "therapist_slug", help="The therapist's slug (role therapist).")
def create_staff_command(email: str, name: str, role: str, therapist_slug: str | None) -> None:
    """Create a staff account (the first one is the clinic's admin)."""
    therapist_id = None
    if therapist_slug:
        therapist = db.session.scalar(select(Therapist).where(Therapist.slug == therapist_slug))
        if therapist is None:
            raise click.ClickException(f"There is no therapist with slug {therapist_slug!r}.")
        therapist_id = therapist.id
    if staff_service.find_by_email(email) is not None:
        # Checked before the prompt, so nobody types a password twice for nothing.
        raise click.ClickException(f"A staff account for {email} already exists.")
    password = _read_password("Password (at least 12 characters)")
    try:
        staff = staff_service.create_staff(
            email=email,
            name=name,
            role=role,
            password=password,
            therapist_id=therapist_id,
            actor=Actor.system(),
            now=clock.now(),
        )
    except staff_service.StaffError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {staff.role.value} account for {staff.email}.")


@group.command("staff-password")
@click.option("--email", required=True)
def staff_password_command(email: str) -> None:
    """Set a new password for a staff account; its open sessions end."""
    staff = _existing_staff(email)
    password = _read_password("New password (at least 12 characters)")
    try:
        staff_service.change_password(staff, password, actor=Actor.system(), now=clock.now())
    except staff_service.StaffError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Password changed for {staff.email}; existing sessions have ended.")


@group.command("staff-deactivate")
@click.option("--email", required=True)
def staff_deactivate_command(email: str) -> None:
    """Stop a staff account signing in; its open sessions end."""
    staff = _existing_staff(email)
    staff_service.deactivate(staff, actor=Actor.system(), now=clock.now())
    click.echo(f"Deactivated {staff.email}; existing sessions have ended.")
