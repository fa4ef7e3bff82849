"""The JSON API's contract: request and response bodies, and the registry of operations.

Request bodies are pydantic v2 models that the views validate with, so the OpenAPI document
(``booking.web.openapi``, built from these same models) cannot drift from what is accepted.
Field checks call ``booking.validation``, the functions the web form uses, so both refuse
the same things with the same words. Response models describe what the views send; the
booking views build their bodies through them, and the tests validate the older views'
bodies against theirs.

This module knows nothing of Flask: the phone region arrives in the validation context.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from booking import validation
from booking.models import BookingStatus

LIMITS = {"name": 100, "email": 254, "phone": 20, "note": 2000}
SLUG_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
START_EXAMPLE = "2027-03-15T09:00:00+00:00"


# --- Operations: what each view is, for the document -----------------------------------


@dataclass(frozen=True)
class Operation:
    """One documented view: its summary, body, parameters and responses."""

    summary: str
    description: str = ""
    request: type[BaseModel] | None = None
    # Query parameters, described by a model's fields (aliases are the parameter names).
    query: type[BaseModel] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    # status -> (description, body model or None for a plain JSON object)
    responses: dict[int, tuple[str, type[BaseModel] | None]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


OPERATIONS: dict[Callable[..., Any], Operation] = {}


def documented(summary: str, **details: Any) -> Callable:
    """Register the decorated view in ``OPERATIONS`` (put it below ``@bp.get``/``@bp.post``)."""

    def register(view: Callable) -> Callable:
        OPERATIONS[view] = Operation(summary=summary, **details)
        return view

    return register


# --- Field types ------------------------------------------------------------------------


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


# --- Requests ---------------------------------------------------------------------------


class _Request(BaseModel):
    # Strict: "60" is not 60, 1 is not true; unknown keys (such as "price") are refused.
    model_config = ConfigDict(strict=True, extra="forbid")


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
    screen: dict[str, Any] | None = Field(
        default=None,
        description="Pain screen answers. Reserved: accepted but not yet interpreted.",
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


def _cleaned(func: Callable[..., str], value: str, **kwargs: Any) -> str:
    try:
        return func(value, **kwargs)
    except validation.InvalidInput as error:
        raise ValueError(str(error)) from None


# --- Turning pydantic's errors into the API's ``fields`` ------------------------------

_BY_FIELD = {
    ("over_18", "bool_type"): "Please confirm you are 18 or over (send true).",
    ("agree_policy", "bool_type"): "Please agree to the cancellation policy (send true).",
    ("service", "string_pattern_mismatch"): "No bookable service has that slug.",
    ("therapist", "string_pattern_mismatch"): (
        "No therapist has that slug; send null for any therapist."
    ),
    ("idempotency_key", "string_pattern_mismatch"): "Use 8 to 64 letters, digits, - or _.",
    ("price", "extra_forbidden"): "The price comes from the service; do not send it.",
}
_BY_TYPE = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "string_type": "Must be a JSON string.",
    "int_type": "Must be a whole number (a JSON integer).",
    "bool_type": "Must be true or false.",
    "dict_type": "Must be a JSON object.",
    "greater_than_equal": "Choose one of the lengths the service offers.",
    "less_than_equal": "Choose one of the lengths the service offers.",
    "string_too_long": "That is too long.",
}


class BodyError(Exception):
    """The body cannot be read at all (not JSON, or not an object)."""


def field_errors(error: ValidationError) -> dict[str, str]:
    """Return ``{field: message}`` for every field at fault (the first message per field).

    Raises BodyError when the body itself is not a JSON object.
    """
    fields: dict[str, str] = {}
    for problem in error.errors():
        loc = problem["loc"]
        if not loc:
            if problem["type"] == "json_invalid":
                raise BodyError("The body is not valid JSON.")
            raise BodyError("The body must be a JSON object.")
        name = ".".join(str(part) for part in loc)
        kind = problem["type"]
        if kind == "value_error":
            message = str(problem.get("ctx", {}).get("error", problem["msg"]))
        else:
            message = _BY_FIELD.get((name, kind)) or _BY_TYPE.get(kind) or problem["msg"]
        fields.setdefault(name, message)
    return fields


# --- Responses --------------------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


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
    booking: BookingOut
    manage_url: str | None = Field(
        description="The manage link. Only in the response that created the booking; null on "
        "a replay of the same idempotency_key (the link is never stored in readable form)."
    )
    note: str | None = None


class BookingResponse(_Response):
    booking: BookingOut


class SlotOut(_Response):
    start: ClinicTime
    end: ClinicTime
    therapists: list[str] = Field(description="Slugs of the therapists free then.")


class ErrorDetail(_Response):
    code: int
    message: str
    fields: dict[str, str] | None = Field(
        default=None, description="Per-field messages (400); absent otherwise."
    )
    reason: str | None = Field(
        default=None,
        description='Why a change was refused (409): "taken", "not_active", "cutoff", '
        '"same_time" or "idempotency_key_reused"; absent otherwise.',
    )
    alternatives: list[SlotOut] | None = Field(
        default=None, description='The nearest free starts (409 "taken"); absent otherwise.'
    )
    id: str | None = Field(default=None, description="Reference to quote for a 500.")


class ErrorResponse(_Response):
    error: ErrorDetail


class DurationOut(_Response):
    minutes: int
    price_pence: int


class ServiceOut(_Response):
    slug: str
    name: str
    summary: str
    deep_pressure: bool
    buffer_minutes: int
    durations: list[DurationOut]
    therapists: list[str]


class ServicesOut(_Response):
    services: list[ServiceOut]


class AvailabilityOut(_Response):
    timezone: str
    service: str
    duration: int
    slots: list[SlotOut]


class AvailabilityQuery(BaseModel):
    """Query parameters of GET /api/v1/availability (documentation of its hand-read args)."""

    service: str = Field(description="Service slug.")
    duration: int = Field(description="Minutes; one the service offers.")
    from_: date = Field(alias="from", description="First clinic-local day, YYYY-MM-DD.")
    to: date = Field(description="Last clinic-local day (inclusive), at most 62 days on.")
    therapist: str | None = Field(default=None, description="Only this therapist's times.")
