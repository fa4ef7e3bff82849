"""Helpers the admin views share: the acting staff member, form errors from a service."""

from __future__ import annotations

from flask import flash
from flask_login import current_user
from flask_wtf import FlaskForm

from booking.services.audit import Actor


def actor() -> Actor:
    return Actor.staff(current_user.id)


def show_error(form: FlaskForm, field: str | None, message: str) -> None:
    """Put a service's refusal next to its field, or in a flash when it names none."""
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, message] if isinstance(target.errors, list) else [message]
    else:
        flash(message, "error")
