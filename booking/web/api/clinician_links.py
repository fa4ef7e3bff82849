"""The clinician's own link over JSON: the manage page's "ask your GP or physio" form.

``POST /api/v1/bookings/<token>/clinician-link`` sends the held booking's clinician a
one-time link, as the manage page does: the same verb (``clinician_links.send``), the same
refusals. The clinician's answer itself is given on the page the link opens, never here.
"""

from __future__ import annotations

from pydantic import Field

from booking import clock
from booking.services import clinician_links
from booking.services.audit import Actor
from booking.web.api.bookings import TOKEN_PARAM, _load
from booking.web.api.common import booking_out, read_body, require_json, send
from booking.web.api.errors import ApiError
from booking.web.api.schemas import (
    FIX_FIELDS,
    BookingOut,
    ClinicTime,
    ErrorResponse,
    _Request,
    _Response,
    _text_schema,
    documented,
)

SENT_MESSAGE = (
    "We've emailed your clinician a link to tell us directly. We'll email you as soon as "
    "they answer."
)


class ClinicianLinkRequest(_Request):
    """Who to send the link to: the clinician's name and email address."""

    name: str = Field(json_schema_extra=_text_schema(100, "The clinician's name."))
    email: str = Field(json_schema_extra=_text_schema(254, "The address the link is sent to."))


class ClinicianLinkSent(_Response):
    message: str = Field(description="What to tell the patient.")
    name: str = Field(description="The clinician's name, as it will be greeted.")
    email: str = Field(description="The address the link is sent to (normalised).")
    works_until: ClinicTime = Field(
        description="The link works once, until the hold ends (an extension extends it)."
    )
    booking: BookingOut


@documented(
    "Send the clinician their own link to clear a held booking",
    description="Emails the patient's GP or physio a one-time link (DOMAIN.md section 2): "
    "the email names the patient and nothing else; the page it opens shows the treatment "
    "planned and the clearance questions, and the clinician's answer confirms, waits for "
    "a therapist or releases the hold as the patient's own attestation would. At most "
    "CLINICIAN_LINKS_PER_HOLD (3 by default) per booking.",
    request=ClinicianLinkRequest,
    path_params=TOKEN_PARAM,
    responses={
        201: ("The link is being sent.", ClinicianLinkSent),
        400: ("Not JSON, not an object, a wrong type or an invalid field.", ErrorResponse),
        404: ("No booking has that token (the same answer as any miss).", ErrorResponse),
        409: (
            '"not_held" (the booking is not a live hold waiting for a clearance) or '
            '"too_many" (the most links for one hold were sent already).',
            ErrorResponse,
        ),
        415: ("The Content-Type is not application/json.", ErrorResponse),
    },
    tags=("bookings",),
)
def send_clinician_link(token: str):
    booking = _load(token)
    require_json()
    body, fields, _ = read_body(ClinicianLinkRequest)
    if body is None or fields:
        raise ApiError(FIX_FIELDS, fields=fields)
    now = clock.now()
    link = clinician_links.send(
        booking.id, name=body.name, email=body.email, actor=Actor.patient(), now=now
    )
    booking = link.booking
    return send(
        ClinicianLinkSent(
            message=SENT_MESSAGE,
            name=link.clinician_name,
            email=link.clinician_email,
            works_until=booking.hold_expires_at,
            booking=booking_out(booking, now),
        ),
        201,
    )
