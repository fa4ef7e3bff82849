"""Professional registration numbers, checked for the shape of the UK registers.

A GP is on the GMC register (a seven-digit reference number), a physiotherapist on the
HCPC's ("PH" and five or six digits); other clinicians belong to registers of many shapes,
so only letters and digits (with at least one digit) are asked of them. The shape is all
that is checked: the number is kept with the clearance for the therapist to look up.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s-]+")
_FORMATS = {
    "gp": (re.compile(r"\d{7}"), "A GMC number is 7 digits, for example 1234567."),
    "physiotherapist": (
        re.compile(r"PH\d{5,6}"),
        "An HCPC number for a physiotherapist is PH and 5 or 6 digits, for example PH123456.",
    ),
}
_OTHER = (
    re.compile(r"(?=.*\d)[A-Z0-9]{4,20}"),
    "A registration number is 4 to 20 letters and digits, with at least one digit.",
)


class RegistrationInvalid(ValueError):
    """The number does not have the register's shape; the message says which it needs."""


def clean_registration(kind: str, value: str | None) -> str:
    """Return ``value`` upper-cased without spaces or hyphens, or raise RegistrationInvalid."""
    number = _SEPARATORS.sub("", value or "").upper()
    if not number:
        raise RegistrationInvalid("Please give your professional registration number.")
    pattern, message = _FORMATS.get(kind, _OTHER)
    if not pattern.fullmatch(number):
        raise RegistrationInvalid(message)
    return number
