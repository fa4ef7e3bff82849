"""How staff pages show stored values: phone numbers, audit details, references.

Phone numbers are stored in E.164; the desk reads them the way the clinic's country
writes them (``020 7946 0000`` in the UK), and foreign numbers in international form.
Audit details are small JSON objects; they are shown as labelled, plain values (times in
the clinic's zone), never as Python reprs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from flask import current_app

from booking.services.availability import clinic_zone
from booking.web.reception import admin_bp, bp


def display_phone(e164: str | None, region: str | None = None) -> str:
    """Format a stored number for the clinic's country; anything unparseable as typed."""
    if not e164:
        return ""
    region = region or current_app.config.get("CLINIC_COUNTRY", "GB")
    try:
        number = phonenumbers.parse(e164, region)
    except phonenumbers.NumberParseException:
        return e164
    # By country code, not region: Ofcom's drama numbers (07700 900xxx) have no region.
    if number.country_code == phonenumbers.country_code_for_region(region):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _label(key: str) -> str:
    words = str(key).replace("_", " ").replace(".", " ").strip()
    return words[:1].upper() + words[1:]


def _when(text: str) -> str | None:
    if len(text) < 16 or text[4:5] != "-" or "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(clinic_zone()).strftime("%-d %b %Y, %H:%M")


def detail_value(value: Any) -> str:
    """One stored value in words: times local, yes/no, lists joined, mappings labelled."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return _when(value) or value
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {detail_value(v)}" for k, v in value.items()) or "none"
    return str(value)


def audit_details(details: dict | None) -> list[tuple[str, str]]:
    """Return ``(label, value)`` pairs for an audit event's details, in stored order."""
    if not isinstance(details, dict):
        return [] if details is None else [("Details", detail_value(details))]
    return [(_label(k), detail_value(v)) for k, v in details.items()]


def _helpers() -> dict:
    return {"display_phone": display_phone, "audit_details": audit_details}


bp.context_processor(_helpers)
admin_bp.context_processor(_helpers)
