"""What every body shares: limits and patterns, the field types and the base models.

Field checks call ``booking.validation``, the functions the web form uses, so both refuse
the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from booking import validation

LIMITS = {"name": 100, "email": 254, "phone": 20, "note": 2000}
CLEARANCE_LIMITS = {"clinician_name": 100, "restrictions": 1000}
SLUG_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
START_EXAMPLE = "2027-03-15T09:00:00+00:00"
# The message above a list of field errors, whichever check found them.
FIX_FIELDS = "Please correct the fields listed."

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_MESSAGE = "Please give the date as YYYY-MM-DD, for example 2027-03-04."


def parse_start(value: str) -> datetime:
    """Return ``value`` (ISO 8601 with a UTC offset) as an aware UTC datetime.

    Raises ValueError with a message a person can act on.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"Use an ISO 8601 date and time with its UTC offset, e.g. {START_EXAMPLE}."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise ValueError(f"Include the UTC offset, e.g. {START_EXAMPLE}.")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("That date is out of range.") from None


StartTime = Annotated[
    str,
    Field(
        max_length=64,
        description="ISO 8601 date and time with its UTC offset.",
        examples=[START_EXAMPLE],
    ),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "maxLength": 64,
            "description": "ISO 8601 date and time with its UTC offset.",
            "examples": [START_EXAMPLE],
        }
    ),
]

# Times in responses: the clinic's zone, with its offset (isoformat, as /availability does).
ClinicTime = Annotated[
    datetime,
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

Slug = Annotated[str, Field(pattern=SLUG_PATTERN)]


def _text_schema(max_length: int, description: str) -> dict:
    return {"maxLength": max_length, "description": description}


class _Request(BaseModel):
    # Strict: "60" is not 60, 1 is not true; unknown keys (such as "price") are refused.
    model_config = ConfigDict(strict=True, extra="forbid")


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _cleaned(func: Callable[..., str], value: str, **kwargs: Any) -> str:
    try:
        return func(value, **kwargs)
    except validation.InvalidInput as error:
        raise ValueError(str(error)) from None
