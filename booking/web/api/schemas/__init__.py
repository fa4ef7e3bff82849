"""The JSON API's contract: request and response bodies, and the registry of operations.

Request bodies are pydantic v2 models that the views validate with, so the OpenAPI document
(``booking.web.api.openapi``, built from these same models) cannot drift from what is accepted.
Field checks call ``booking.validation``, the functions the web form uses, so both refuse
the same things with the same words. Response models describe what the views send; the
booking views build their bodies through them, and the tests validate the older views'
bodies against theirs.

A module per concern: ``operations`` (the registry the document is built from), ``fields``
(limits, field types, base models), ``screen`` (the pain screen), ``bookings``,
``clearance``, ``availability`` (services and free times) and ``errors`` (field messages
and the error body). Everything is importable from here, as before the split.

This package knows nothing of Flask: the phone region arrives in the validation context.
"""

from __future__ import annotations

from booking.web.api.schemas.availability import (
    AvailabilityOut,
    AvailabilityQuery,
    DurationOut,
    ServiceOut,
    ServicesOut,
    SlotOut,
)
from booking.web.api.schemas.bookings import (
    BookingCreate,
    BookingCreated,
    BookingOut,
    BookingResponse,
    CancelRequest,
    NamedRef,
    RescheduleRequest,
)
from booking.web.api.schemas.clearance import (
    ClearanceRequest,
    ClearanceResponse,
    RestrictionTick,
)
from booking.web.api.schemas.errors import BodyError, ErrorDetail, ErrorResponse, field_errors
from booking.web.api.schemas.fields import (
    CLEARANCE_LIMITS,
    DATE_MESSAGE,
    DATE_PATTERN,
    FIX_FIELDS,
    IDEMPOTENCY_KEY_PATTERN,
    LIMITS,
    SLUG_PATTERN,
    START_EXAMPLE,
    ClinicTime,
    Slug,
    StartTime,
    _cleaned,
    _Request,
    _Response,
    _text_schema,
    parse_start,
)
from booking.web.api.schemas.operations import OPERATIONS, Operation, ResponseBody, documented
from booking.web.api.schemas.screen import (
    SCREEN_CONSENT_MESSAGE,
    SCREEN_MESSAGES,
    STOPPED_OUTCOMES,
    ScreenIn,
    ScreenStopped,
    StoppedOutcome,
)

__all__ = [
    "CLEARANCE_LIMITS",
    "DATE_MESSAGE",
    "DATE_PATTERN",
    "FIX_FIELDS",
    "IDEMPOTENCY_KEY_PATTERN",
    "LIMITS",
    "OPERATIONS",
    "SCREEN_CONSENT_MESSAGE",
    "SCREEN_MESSAGES",
    "SLUG_PATTERN",
    "START_EXAMPLE",
    "STOPPED_OUTCOMES",
    "AvailabilityOut",
    "AvailabilityQuery",
    "BodyError",
    "BookingCreate",
    "BookingCreated",
    "BookingOut",
    "BookingResponse",
    "CancelRequest",
    "ClearanceRequest",
    "ClearanceResponse",
    "ClinicTime",
    "DurationOut",
    "ErrorDetail",
    "ErrorResponse",
    "NamedRef",
    "Operation",
    "RescheduleRequest",
    "ResponseBody",
    "RestrictionTick",
    "ScreenIn",
    "ScreenStopped",
    "ServiceOut",
    "ServicesOut",
    "SlotOut",
    "Slug",
    "StartTime",
    "StoppedOutcome",
    "_Request",
    "_Response",
    "_cleaned",
    "_text_schema",
    "documented",
    "field_errors",
    "parse_start",
]
