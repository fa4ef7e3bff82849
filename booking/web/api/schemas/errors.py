"""Errors: pydantic's errors turned into the API's ``fields``, and the error body."""

from __future__ import annotations

from pydantic import Field, ValidationError

from booking.web.api.schemas.availability import SlotOut
from booking.web.api.schemas.fields import DATE_MESSAGE, _Response
from booking.web.api.schemas.screen import SCREEN_CONSENT_MESSAGE, SCREEN_MESSAGES

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
