"""Medical clearance: what the patient's clinician said, and what became of the booking."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal

from pydantic import Field, field_validator

from booking import validation
from booking.models import ClearanceOutcome, ClinicianKind
from booking.services.clearance import RESTRICTION_TICKS
from booking.web.api.schemas.bookings import BookingOut
from booking.web.api.schemas.fields import (
    CLEARANCE_LIMITS,
    DATE_PATTERN,
    _cleaned,
    _Request,
    _Response,
    _text_schema,
)

# Restriction ticks, from the clearance service's own list.
RestrictionTick = StrEnum("RestrictionTick", {key: key for key in RESTRICTION_TICKS})
RestrictionTick.__doc__ = "; ".join(f"{k}: {v}" for k, v in RESTRICTION_TICKS.items())


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


class ClearanceResponse(_Response):
    result: Literal["confirmed", "awaiting_approval", "released"] = Field(
        description='"confirmed": the booking is confirmed; "awaiting_approval": cleared with '
        "restrictions, a therapist checks them and the booking stays held meanwhile; "
        '"released": not cleared, the time is released at no charge.'
    )
    message: str = Field(description="What to tell the patient.")
    booking: BookingOut
