"""The waitlist's JSON bodies: joining, an entry as its patient sees it, claiming an offer.

Same conventions as ``api_schemas``: strict request models that refuse unknown keys, field
checks through ``booking.validation``, and answers that carry only what the patient sent
(never the screen's answers or what the clinic concluded from them).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from booking import intake, validation
from booking.waitlist import DAY_PARTS
from booking.web.api.schemas import (
    DATE_MESSAGE,
    DATE_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    LIMITS,
    SCREEN_CONSENT_MESSAGE,
    BookingOut,
    ClinicTime,
    NamedRef,
    ScreenIn,
    Slug,
    _cleaned,
    _Request,
    _Response,
    _text_schema,
)

DayPart = Literal[tuple(DAY_PARTS)]  # type: ignore[valid-type]


def _day(value: str) -> str:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(DATE_MESSAGE) from None
    return value


class WaitlistJoin(_Request):
    """Wait for a time: the service and length, who, which dates, and the days and times."""

    service: Slug = Field(description="Service slug, as listed by GET /api/v1/services.")
    duration: int = Field(ge=1, le=24 * 60, description="Minutes; one the service offers.")
    therapist: Slug | None = Field(
        default=None, description="Therapist slug, or null for any therapist."
    )
    first_day: str = Field(
        pattern=DATE_PATTERN,
        description="The first day that suits (YYYY-MM-DD), today or later.",
        json_schema_extra={"format": "date"},
    )
    last_day: str = Field(
        pattern=DATE_PATTERN,
        description="The last day that suits (YYYY-MM-DD), inside the booking horizon; the "
        "entry ends by itself after it.",
        json_schema_extra={"format": "date"},
    )
    weekdays: list[int] = Field(
        default_factory=list,
        max_length=7,
        description="Days of the week that suit, 0 (Monday) to 6; empty for any.",
    )
    day_parts: list[DayPart] = Field(  # type: ignore[valid-type]
        default_factory=list,
        max_length=3,
        description="Times of day that suit (morning before 12:00, afternoon to 17:00, "
        "evening after); empty for any.",
    )
    name: str = Field(json_schema_extra=_text_schema(LIMITS["name"], "The patient's name."))
    email: str = Field(json_schema_extra=_text_schema(LIMITS["email"], "Email address."))
    phone: str = Field(
        json_schema_extra=_text_schema(
            LIMITS["phone"], "Phone number; national numbers read in the clinic's country."
        )
    )
    over_18: bool = Field(
        description="The patient confirms they are 18 or over: must be true.",
        json_schema_extra={"const": True},
    )
    idempotency_key: str | None = Field(
        default=None,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key: a retry with the same key returns the same entry.",
    )
    screen: ScreenIn = Field(
        description="The pain screen's answers, as when booking. Answers that would book "
        "nothing join nothing (the advice is answered instead)."
    )
    screen_consent: bool = Field(
        description="Consent to the use of the answers: must be true. The words: "
        + intake.CONSENT_TEXT,
        json_schema_extra={"const": True},
    )

    @field_validator("first_day", "last_day")
    @classmethod
    def _days(cls, value: str) -> str:
        return _day(value)

    @field_validator("weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(not 0 <= d <= 6 for d in value):
            raise ValueError("Days of the week are 0 (Monday) to 6 (Sunday).")
        return value

    @field_validator("over_18")
    @classmethod
    def _over_18(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("Please confirm you are 18 or over (send true).")
        return value

    @field_validator("screen_consent")
    @classmethod
    def _screen_consent(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError(SCREEN_CONSENT_MESSAGE)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _cleaned(validation.clean_name, value, max_length=LIMITS["name"])

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _cleaned(validation.normalise_email, value, max_length=LIMITS["email"])

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str, info: ValidationInfo) -> str:
        region = (info.context or {}).get("phone_region")
        return _cleaned(
            validation.normalise_phone, value, region=region, max_length=LIMITS["phone"]
        )


class LeaveRequest(_Request):
    """An empty object: ``{}``."""


class ClaimRequest(_Request):
    """Claim the offered time. The screen is asked again only when the joining one is old."""

    idempotency_key: str | None = Field(
        default=None,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key: a retry with the same key returns the same booking.",
    )
    screen: ScreenIn | None = Field(
        default=None,
        description='Fresh answers, required only when a claim was refused "screen_required".',
    )
    screen_consent: bool | None = Field(
        default=None, description="Must be true when screen is sent."
    )


class OfferOut(_Response):
    """A time kept for this entry until ``expires_at``."""

    public_id: str = Field(description="Name this offer in .../offers/{offer}/claim.")
    start: ClinicTime
    end: ClinicTime
    therapist: NamedRef
    expires_at: ClinicTime


class EntryOut(_Response):
    """An entry as its patient sees it: the wish they sent, and any offer open for it."""

    public_id: str
    service: NamedRef
    duration: int = Field(description="Minutes.")
    therapist: NamedRef | None = Field(description="null for any therapist.")
    first_day: date
    last_day: date
    weekdays: list[int]
    day_parts: list[str]
    joined_at: ClinicTime
    name: str
    timezone: str
    offer: OfferOut | None = Field(description="The time kept for this entry, if any.")


class EntryResponse(_Response):
    entry: EntryOut


class EntryCreated(_Response):
    entry: EntryOut
    token: str | None = Field(
        description="The entry's token (for GET /api/v1/waitlist/{token}, leave and claim). "
        "Only in the response that created it; null on a replay of the idempotency_key."
    )
    note: str | None = None


class LeftResponse(_Response):
    left: Literal[True]


class WaitlistStopped(_Response):
    """The pain screen stopped joining: nothing was stored but an anonymous daily count."""

    outcome: str = Field(description='"emergency", "urgent" or "declined".')
    message: str = Field(description="What to tell the patient, with the clinic's numbers.")
    entry: None = Field(description="Always null: nobody was put on the waitlist.")


class ClaimResponse(_Response):
    booking: BookingOut
