"""The JSON API's contract: request and response bodies, and the registry of operations.

Request bodies are pydantic v2 models that the views validate with, so the OpenAPI document
(``booking.web.api.openapi``, built from these same models) cannot drift from what is accepted.
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
from enum import StrEnum
from typing import Annotated, Any, Literal

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

from booking import intake, validation
from booking.intake import (
    EmergencySymptom,
    HistoryItem,
    PainDuration,
    PainLocation,
    RecentInjury,
    UrgentSymptom,
)
from booking.models import BookingStatus, ClearanceOutcome, ClinicianKind
from booking.services.clearance import RESTRICTION_TICKS

LIMITS = {"name": 100, "email": 254, "phone": 20, "note": 2000}
CLEARANCE_LIMITS = {"clinician_name": 100, "restrictions": 1000}
SLUG_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
START_EXAMPLE = "2027-03-15T09:00:00+00:00"
# The message above a list of field errors, whichever check found them.
FIX_FIELDS = "Please correct the fields listed."


# --- Operations: what each view is, for the document -----------------------------------


ResponseBody = type[BaseModel] | tuple[type[BaseModel], ...] | None


@dataclass(frozen=True)
class Operation:
    """One documented view: its summary, body, parameters and responses."""

    summary: str
    description: str = ""
    request: type[BaseModel] | None = None
    # Query parameters, described by a model's fields (aliases are the parameter names).
    query: type[BaseModel] | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    # status -> (description, body model, a tuple of models (any one of them), or None for
    # a plain JSON object)
    responses: dict[int, tuple[str, ResponseBody]] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


OPERATIONS: dict[Callable[..., Any], Operation] = {}


def documented(summary: str, **details: Any) -> Callable:
    """Register the decorated view in ``OPERATIONS`` (the view is routed in ``booking.web.api``)."""

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


# --- The pain screen ----------------------------------------------------------------------
# Field types come from booking.intake's own enums, so the document lists exactly the values
# parse_answers accepts. The model only pins the JSON types (an integer score, true/false,
# arrays); booking.intake.parse_answers then reads the answers and has the last word.

SCREEN_CONSENT_MESSAGE = (
    "Please agree, so we can use your answers to plan your visit (send true). "
    + intake.CONSENT_TEXT
)


def _question_help(name: str) -> str:
    for question in intake.QUESTIONS:
        for item in question.fields:
            if item.name == name:
                return f"Q{question.number}: {item.text} {item.help}".strip()
    raise LookupError(name)  # pragma: no cover - a field renamed in intake fails at import


def _answer(name: str, **kwargs: Any) -> Any:
    return Field(description=_question_help(name), **kwargs)


def _ticks(name: str) -> Any:
    return Field(
        default_factory=list,
        description=_question_help(name) + " An empty array (or leaving it out) means none.",
    )


class ScreenIn(_Request):
    """The pain screen's answers, as ``booking.intake.parse_answers`` reads them from JSON."""

    location: PainLocation = _answer("location")
    duration: PainDuration = _answer("duration")
    sudden_onset: bool = _answer("sudden_onset")
    pain_score: int = _answer("pain_score", ge=0, le=10)
    disturbs_sleep_or_daily_life: bool = _answer("disturbs_sleep_or_daily_life")
    recent_injury: RecentInjury = _answer("recent_injury")
    long_term_steroids: bool = _answer("long_term_steroids")
    emergency_symptoms: list[EmergencySymptom] = Field(
        default_factory=list,
        description=_question_help("emergency_symptoms")
        + " The signs answered yes. An empty array (or leaving it out) means none.",
    )
    emergency_unsure: list[EmergencySymptom] = Field(
        default_factory=list,
        description='Q6: the signs answered "not sure" (never also in emergency_symptoms). '
        "Any of them means: see a doctor today, and call 999 if one turns out to be true.",
    )
    urgent_symptoms: list[UrgentSymptom] = _ticks("urgent_symptoms")
    history: list[HistoryItem] = _ticks("history")
    under_care: bool = _answer("under_care")
    told_not_to_massage: bool = _answer("told_not_to_massage")
    seen_doctor_since_onset: bool = Field(
        default=False,
        description=_question_help("seen_doctor_since_onset")
        + " Turns an urgent outcome into a held booking that waits for clearance.",
    )


def _screen_messages() -> dict[str, str]:
    # parse_answers' own message for each answer: feed it a value no field accepts.
    names = list(ScreenIn.model_fields)
    try:
        intake.parse_answers(dict.fromkeys(names, object()))
    except intake.ScreenError as error:
        return dict(error.errors)
    raise AssertionError("parse_answers accepted nonsense")  # pragma: no cover


SCREEN_MESSAGES = _screen_messages()
if set(SCREEN_MESSAGES) != set(ScreenIn.model_fields):  # pragma: no cover - drift guard
    raise AssertionError("ScreenIn and booking.intake disagree about the screen's fields")

# Outcomes that stop a booking, as booking.intake defines them.
STOPPED_OUTCOMES = tuple(o.value for o in intake.Outcome if not intake.Assessment(o).makes_booking)
StoppedOutcome = Literal[STOPPED_OUTCOMES]  # type: ignore[valid-type]


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


# Restriction ticks, from the clearance service's own list.
RestrictionTick = StrEnum("RestrictionTick", {key: key for key in RESTRICTION_TICKS})
RestrictionTick.__doc__ = "; ".join(f"{k}: {v}" for k, v in RESTRICTION_TICKS.items())

DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
DATE_MESSAGE = "Please give the date as YYYY-MM-DD, for example 2027-03-04."


class ClearanceRequest(_Request):
    """What the patient's clinician said (DOMAIN.md section 2), with their attestation."""

    clinician_name: str = Field(
        json_schema_extra=_text_schema(CLEARANCE_LIMITS["clinician_name"], "Who the patient saw.")
    )
    clinician_kind: ClinicianKind = Field(description="What kind of clinician they are.")
    consultation_date: str = Field(
        pattern=DATE_PATTERN,
        description="When the patient saw them (YYYY-MM-DD): not in the future, and at most "
        "CLEARANCE_MAX_AGE_DAYS (30 by default) ago.",
        json_schema_extra={"format": "date", "examples": ["2027-03-04"]},
    )
    outcome: ClearanceOutcome = Field(
        description="cleared: massage is fine; cleared_with_restrictions: fine with "
        "restrictions (a therapist approves them); not_cleared: no massage for now."
    )
    restriction_ticks: list[RestrictionTick] = Field(  # type: ignore[valid-type]
        default_factory=list, description="The restrictions the clinician gave, if any."
    )
    restrictions: str = Field(
        default="",
        json_schema_extra=_text_schema(
            CLEARANCE_LIMITS["restrictions"], "Anything else about the restrictions."
        ),
    )
    truthful: bool = Field(
        description="This is true, and the patient will tell the clinic if anything changes: "
        "must be true.",
        json_schema_extra={"const": True},
    )

    @field_validator("clinician_name")
    @classmethod
    def _clinician_name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Please tell us who you saw.")
        return _cleaned(validation.clean_name, value, max_length=CLEARANCE_LIMITS["clinician_name"])

    @field_validator("consultation_date")
    @classmethod
    def _consultation_date(cls, value: str) -> str:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(
                "Please give the date as YYYY-MM-DD, for example 2027-03-04."
            ) from None
        return value

    @field_validator("restrictions")
    @classmethod
    def _restrictions(cls, value: str) -> str:
        return _cleaned(
            validation.clean_text,
            value,
            max_length=CLEARANCE_LIMITS["restrictions"],
            multiline=True,
        )

    @field_validator("truthful")
    @classmethod
    def _truthful(cls, value: bool) -> bool:
        if value is not True:
            raise ValueError("Please confirm that this is true (send true).")
        return value

    @property
    def consultation_day(self) -> date:
        return date.fromisoformat(self.consultation_date)


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
    ("screen_consent", "bool_type"): SCREEN_CONSENT_MESSAGE,
    ("clinician_kind", "enum"): "Please tell us what kind of clinician they are.",
    ("consultation_date", "string_pattern_mismatch"): DATE_MESSAGE,
    ("outcome", "enum"): "Please tell us what they said.",
    ("restriction_ticks", "enum"): "Unknown restriction.",
    ("truthful", "bool_type"): "Please confirm that this is true (send true).",
}
_BY_TYPE = {
    "missing": "This field is required.",
    "extra_forbidden": "Unknown field.",
    "string_type": "Must be a JSON string.",
    "int_type": "Must be a whole number (a JSON integer).",
    "bool_type": "Must be true or false.",
    "dict_type": "Must be a JSON object.",
    "model_type": "Must be a JSON object.",
    "list_type": "Must be a JSON array.",
    "enum": "Choose one of the values the API document lists.",
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
        # An item of an array is reported on the array: "screen.history", not ".history.0".
        parts = [str(part) for part in loc if not isinstance(part, int)]
        name = ".".join(parts)
        kind = problem["type"]
        if len(parts) == 2 and parts[0] == "screen" and kind != "extra_forbidden":
            # Every problem with an answer gets the screen's own words for it.
            message = SCREEN_MESSAGES.get(parts[1], problem["msg"])
        elif kind == "value_error":
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


class ScreenStopped(_Response):
    """The pain screen stopped the booking: nothing was booked and the answers were not kept."""

    outcome: StoppedOutcome = Field(
        description='"emergency" (medical help now), "urgent" (see a doctor today) or '
        '"declined" (told not to have massage).'
    )
    message: str = Field(description="What to tell the patient, with the clinic's numbers.")
    booking: None = Field(description="Always null: no booking was made.")


class ClearanceResponse(_Response):
    result: Literal["confirmed", "awaiting_approval", "released"] = Field(
        description='"confirmed": the booking is confirmed; "awaiting_approval": cleared with '
        "restrictions, a therapist checks them and the booking stays held meanwhile; "
        '"released": not cleared, the time is released at no charge.'
    )
    message: str = Field(description="What to tell the patient.")
    booking: BookingOut


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
        '"same_time", "idempotency_key_reused", "not_suitable", "not_held"; absent otherwise.',
    )
    alternatives: list[SlotOut] | None = Field(
        default=None, description='The nearest free starts (409 "taken"); absent otherwise.'
    )
    id: str | None = Field(default=None, description="Reference to quote for a 500.")
    request_id: str | None = Field(
        default=None, description="This request's reference (also the X-Request-ID header)."
    )


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
