"""Cleaning and checking what people type: names, emails, phone numbers, notes.

Used by the web forms and the JSON API alike, so both refuse the same things with the same
words. Each function returns the cleaned value or raises ``InvalidInput`` with a message a
patient can act on.
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers
from email_validator import EmailNotValidError, validate_email

# Everything in Unicode category C (controls, format characters, unassigned, surrogates)
# except the ordinary line break and tab that multi-line fields may hold.
_LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}


class InvalidInput(ValueError):
    """The value cannot be accepted; ``str(error)`` says why, in plain words."""


def _has_control(value: str, *, multiline: bool) -> bool:
    for ch in value:
        if multiline and ch in "\n\t":
            continue
        if ch in _LINE_BREAKS or unicodedata.category(ch).startswith("C"):
            return True
    return False


def clean_text(value: str | None, *, max_length: int, multiline: bool = False) -> str:
    """Return ``value`` trimmed, with CRLF folded to LF in multi-line text.

    Raises InvalidInput for line breaks in single-line text, control or invisible format
    characters anywhere, and text longer than ``max_length`` characters.
    """
    text = (value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    elif any(ch in _LINE_BREAKS for ch in text):
        raise InvalidInput("Please keep this on one line.")
    if _has_control(text, multiline=multiline):
        raise InvalidInput("Please remove the special or invisible characters.")
    if len(text) > max_length:
        raise InvalidInput(f"Please use at most {max_length} characters (you used {len(text)}).")
    return text


def clean_name(value: str | None, *, max_length: int = 100) -> str:
    name = re.sub(r"\s+", " ", clean_text(value, max_length=max_length))
    if not name:
        raise InvalidInput("Please tell us your name.")
    if not any(ch.isalpha() for ch in name):
        raise InvalidInput("Please enter your name using letters.")
    return name


def normalise_email(value: str | None, *, max_length: int = 254) -> str:
    """Return the address in the form used to recognise a returning patient.

    Syntax only (no DNS look-up). The domain is lower-cased by email-validator; the local
    part is lower-cased too, because patients type it inconsistently and no mail provider
    we will meet treats case as significant.
    """
    text = clean_text(value, max_length=max_length)
    if not text:
        raise InvalidInput("Please enter your email address.")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(f"That email address doesn't look right: {error}") from None
    normalised = result.normalized
    local, _, domain = normalised.rpartition("@")
    return f"{local.lower()}@{domain.lower()}"


def normalise_phone(value: str | None, *, region: str, max_length: int = 20) -> str:
    """Return the number in E.164 form (+447700900123), reading it as ``region`` by default."""
    text = clean_text(value, max_length=max_length)
    if not text:
        raise InvalidInput("Please enter a phone number we can reach you on.")
    if not re.fullmatch(r"[0-9+()\-. ]+", text):
        raise InvalidInput("Please use only digits, spaces and + ( ) - in the phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput("That phone number doesn't look right.") from None
    # "Possible" (right length for the country) rather than "valid" (a range known to
    # libphonenumber's metadata): a newly issued range must never stop someone booking.
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput("That phone number doesn't look right; please check the digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    """Format a stored E.164 number for people (national form for clinic-country numbers)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
