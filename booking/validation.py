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

# Characters that end a line somewhere: CR, LF, NEL, VT, FF and the Unicode line and
# paragraph separators. A mail header or a calendar line must never see any of them.
_LINE_BREAKS = {"\n", "\r", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"}

# An RFC 2047 encoded word (``=?charset?Q?...?=``, ``=?utf-8*en?B?...?=``). A mail library
# decodes it when it reads a header back, which is how text that looks harmless here can
# turn into a line break inside the header block; no one writes one in a name by hand.
_ENCODED_WORD = re.compile(r"=\?[^?\s]*\?[^?\s]*\?.*?\?=", re.DOTALL)

# Joiners that belong inside a word: the zero-width joiner holds emoji sequences together
# (``👩\u200d⚕``) and, like the non-joiner, shapes Indic and
# Persian words. Between two visible characters they hide nothing.
_JOINERS = {"\u200c", "\u200d"}
# Subdivision flags are a black flag, tag characters (U+E0020-U+E007E) and a cancel tag.
# Anywhere else tag characters are invisible text, a known way to smuggle words past a reader.
_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]{1,8}\U000e007f")


def _newer_emoji(ch: str) -> bool:
    # Emoji added to Unicode after this Python's database are "unassigned" to it; the emoji
    # blocks hold nothing but pictographs, so an unknown code point there is a new emoji.
    return 0x1F000 <= ord(ch) <= 0x1FAFF and unicodedata.category(ch) == "Cn"


class InvalidInput(ValueError):
    """The value cannot be accepted; ``str(error)`` says why, in plain words."""


def _visible(ch: str) -> bool:
    return not ch.isspace() and not unicodedata.category(ch).startswith("C")


def _has_control(value: str, *, multiline: bool) -> bool:
    """True if ``value`` holds a control or invisible format character that could hide text.

    Unicode category C (controls, format characters such as bidirectional overrides and
    zero-width spaces, private use, unassigned, surrogates) is refused, except the line
    break and tab of multi-line text, joiners between two visible characters and well-formed
    subdivision flags. Directional marks and overrides are refused: a right-to-left name
    shows right without them (each field is its own paragraph), and with them two different
    strings can look the same.
    """
    value = _TAG_SEQUENCE.sub("\U0001f3f4", value)
    for index, ch in enumerate(value):
        if multiline and ch in "\n\t":
            continue
        if ch in _LINE_BREAKS:
            return True
        if not unicodedata.category(ch).startswith("C") or _newer_emoji(ch):
            continue
        inside = 0 < index < len(value) - 1
        if ch in _JOINERS and inside and _visible(value[index - 1]) and _visible(value[index + 1]):
            continue
        return True
    return False


def has_encoded_word(value: str) -> bool:
    return bool(_ENCODED_WORD.search(value))


def clean_text(value: str | None, *, max_length: int, multiline: bool = False) -> str:
    """Return ``value`` trimmed, with CRLF folded to LF in multi-line text.

    Raises InvalidInput for line breaks in single-line text, control or invisible format
    characters anywhere, encoded words (``=?...?=``) in single-line text (any of which may
    become part of a mail header), and text longer than ``max_length`` characters.
    """
    text = (value or "").strip()
    if multiline:
        text = text.replace("\r\n", "\n")
    elif any(ch in _LINE_BREAKS for ch in text):
        raise InvalidInput("Please keep this on one line.")
    if _has_control(text, multiline=multiline):
        raise InvalidInput("Please remove the special or invisible characters.")
    if not multiline and has_encoded_word(text):
        raise InvalidInput("Please remove the =?...?= sequence; it is not part of a name.")
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


def canonical_email(address: str) -> str:
    """Return the form that counts one person once in caps and rate limits.

    ``Jo+spa@Example.org`` and ``jo@example.org`` are one mailbox: sub-address tags (``+...``)
    are dropped and case is ignored. Only for counting: mail still goes to the address typed.
    """
    local, _, domain = address.strip().rpartition("@")
    local = local.split("+", 1)[0] or local
    return f"{local.lower()}@{domain.lower()}"
