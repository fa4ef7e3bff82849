"""The JSON API (``/api/v1``): the catalogue, free times, bookings and its own document.

No cookies, so no CSRF; errors are JSON ``{"error": {"code", "message", "fields"}}``
(``errors``). Every route is listed here, once; the view modules never see the blueprint:

- ``availability``: the services and their free start times;
- ``bookings``: create, read, reschedule, cancel and attest clearance;
- ``clinician_links``: send a held booking's clinician their own link;
- ``waitlist``: join, view and leave by the entry's token, claim an offer;
- ``openapi``: the OpenAPI document, built from ``schemas`` and this route table.
"""

from __future__ import annotations

from flask import Blueprint

from booking.web import limits
from booking.web.api import availability, bookings, clinician_links, errors, openapi, waitlist

ROUTES = (
    ("GET", "/services", availability.services),
    ("GET", "/availability", availability.availability_view),
    ("POST", "/bookings", bookings.create_booking),
    ("GET", "/bookings/<token>", bookings.get_booking),
    ("POST", "/bookings/<token>/reschedule", bookings.reschedule_booking),
    ("POST", "/bookings/<token>/cancel", bookings.cancel_booking),
    ("POST", "/bookings/<token>/clearance", bookings.attest_clearance),
    ("POST", "/bookings/<token>/clinician-link", clinician_links.send_clinician_link),
    ("POST", "/waitlist", waitlist.join_waitlist),
    ("GET", "/waitlist/<token>", waitlist.get_waitlist_entry),
    ("POST", "/waitlist/<token>/leave", waitlist.leave_waitlist),
    ("POST", "/waitlist/<token>/offers/<offer>/claim", waitlist.claim_offer),
    ("GET", "/openapi.json", openapi.openapi_document),
)

bp = Blueprint("api", __name__, url_prefix="/api/v1")
limits.api(bp)
bp.register_error_handler(errors.ApiError, errors.answer)
bp.after_request(bookings.never_cached)
bp.after_request(waitlist.never_cached)
for method, rule, view in ROUTES:
    bp.add_url_rule(rule, view_func=view, methods=[method])
