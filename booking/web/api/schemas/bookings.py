"""Bookings: making, moving and cancelling one, and the booking as its patient sees it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from booking import intake, validation
from booking.models import BookingStatus
from booking.web.api.schemas.fields import (
    IDEMPOTENCY_KEY_PATTERN,
    LIMITS,
    ClinicTime,
    Slug,
    StartTime,
    _cleaned,
    _Request,
    _Response,
    _text_schema,
    parse_start,
)
from booking.web.api.schemas.screen import SCREEN_CONSENT_MESSAGE, ScreenIn


class BookingCreate(_Request):
    """Book a session. Duration and price come from the service, never from the request."""

    service: Slug = Field(description="Service slug, as listed by GET /api/v1/services.")
    duration: int = Field(ge=1, le=24 * 60, description="Minutes; one the service offers.")
    start: StartTime
    therapist: Slug | None = Field(
        default=None, description="Therapist slug, or null for any therapist."
    )
    name: str = Field(json_schema_extra=_text_schema(LIMITS["name"], "The patient's name."))
    email: str = Field(json_schema_extra=_text_schema(LIMITS["email"], "Email address."))
    phone: str = Field(
        json_schema_extra=_text_schema(
            LIMITS["phone"], "Phone number; national numbers read in the clinic's country."
        )
    )
    note: str = Field(
        default="",
        json_schema_extra=_text_schema(LIMITS["note"], "Optional note for the therapist."),
    )
    # bool, not Literal[True]: a Literal would take 1 for true even in strict mode.
    over_18: bool = Field(
        description="The patient confirms they are 18 or over: must be true.",
        json_schema_extra={"const": True},
    )
    agree_policy: bool = Field(
        description="The patient agrees to the cancellation policy: must be true.",
        json_schema_extra={"const": True},
    )
    idempotency_key: str | None = Field(
        default=None,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key: a retry with the same key returns the same booking.",
    )
    screen: ScreenIn = Field(
        description="The pain screen's answers (the nine questions). It decides whether the "
        "booking is made, held until medical clearance, or not made at all."
    )
    screen_consent: bool = Field(
        description="The patient's separate consent to the use of their answers: must be true "
        "to book. Without it the screen's advice is still given (an emergency, urgent or "
        "declined outcome answers as usual) and nothing is stored. The words they agree to: "
        + intake.CONSENT_TEXT,
        json_schema_extra={"const": True},
    )

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        parse_start(value)
        return value

    @field_validator("over_18")
    @classmethod
    def _over_18(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("Please confirm you are 18 or over (send true).")
        return value

    @field_validator("agree_policy")
    @classmethod
    def _agree_policy(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("Please agree to the cancellation policy (send true).")
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

    @field_validator("note")
    @classmethod
    def _note(cls, value: str) -> str:
        return _cleaned(validation.clean_text, value, max_length=LIMITS["note"], multiline=True)

    @property
    def start_utc(self) -> datetime:
        return parse_start(self.start)


class RescheduleRequest(_Request):
    """Move the booking to another free start (same service and length)."""

    start: StartTime

    @field_validator("start")
    @classmethod
    def _start(cls, value: str) -> str:
        parse_start(value)
        return value

    @property
    def start_utc(self) -> datetime:
        return parse_start(self.start)


class CancelRequest(_Request):
    """An empty object: ``{}``."""


class NamedRef(_Response):
    slug: str
    name: str


class BookingOut(_Response):
    """A booking as its patient sees it. Never the note or any health data."""

    public_id: str
    status: BookingStatus
    service: NamedRef
    duration: int = Field(description="Minutes.")
    price_pence: int
    start: ClinicTime
    end: ClinicTime
    timezone: str = Field(description="The clinic's IANA time zone; times carry its offset.")
    therapist: NamedRef
    hold_expires_at: ClinicTime | None = Field(
        description="When a held booking lapses unless clearance is confirmed; else null."
    )
    can_cancel: bool
    can_reschedule: bool
    name: str = Field(description="The name the booking was made under.")


class BookingCreated(_Response):
    result: Literal["confirmed", "not_yet_confirmed"] = Field(
        description='"confirmed", or "not_yet_confirmed": the time is reserved until '
        "hold_expires_at and the manage link says what is needed to confirm it. No health "
        "detail is ever part of this answer."
    )
    message: str | None = Field(
        description="What to tell the patient about a booking not yet confirmed; null when it "
        "is confirmed."
    )
    booking: BookingOut
    manage_url: str | None = Field(
        description="The manage link. Only in the response that created the booking; null on "
        "a replay of the same idempotency_key (the link is never stored in readable form)."
    )
    note: str | None = None


class BookingResponse(_Response):
    booking: BookingOut
