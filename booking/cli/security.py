"""``flask booking rotate-data-key | staff-totp-reset``: keys and second factors."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from booking import clock, crypto
from booking.services import key_rotation, staff_totp
from booking.services import staff as staff_service
from booking.services.audit import Actor

group = AppGroup("security", help="Data-key rotation and second-step resets.")


@group.command("rotate-data-key")
def rotate_data_key_command() -> None:
    """Re-encrypt all health data and TOTP secrets with the newest DATA_ENCRYPTION_KEYS key.

    The procedure: put the new key FIRST in DATA_ENCRYPTION_KEYS (old key after it) and
    deploy; run this command; then remove the old key and deploy again. Safe to re-run.
    """
    try:
        counts = key_rotation.rotate_all()
    except crypto.DataKeyError as error:
        raise click.ClickException(str(error)) from None
    for name, count in counts.items():
        click.echo(f"{name}: {count} value(s) re-encrypted")
    click.echo("Done. Every encrypted value now uses the newest key; the old key may go.")


@group.command("staff-totp-reset")
@click.option("--email", required=True)
def staff_totp_reset_command(email: str) -> None:
    """Remove a staff account's two-step sign-in (a lost phone); its sessions end.

    An admin sets it up again at their next sign-in; other staff may choose to.
    """
    staff = staff_service.find_by_email(email)
    if staff is None:
        raise click.ClickException(f"There is no staff account for {email}.")
    staff_totp.reset(staff, actor=Actor.system(), now=clock.now())
    click.echo(f"Two-step sign-in removed for {staff.email}; existing sessions have ended.")
