"""What a verb's refusal becomes on the web: its HTTP status, its JSON and its page.

The one mapping from the error root (``booking.services.errors.Refusal``) to answers. A
view that shows a refusal next to the form field it names catches it itself; anything it
lets through is answered here (registered by ``booking.errors``): the generic error page
with the verb's message, or the API's JSON body (``booking.web.api.errors``), both with the
status chosen here.
"""

from __future__ import annotations

from flask import render_template

from booking.logs import request_id
from booking.services.errors import Reason, Refusal

# A bad value in what was sent: the API names the field, the status is 400.
FIELD_REASONS = {
    Reason.INVALID: None,
    Reason.UNKNOWN_SERVICE: "service",
    Reason.UNKNOWN_DURATION: "duration",
}
STATUS = {Reason.NOT_FOUND: 404, Reason.NOT_ALLOWED: 403} | dict.fromkeys(FIELD_REASONS, 400)
# Anything else is a conflict with the state of things: 409, with the reason code.
CONFLICT = 409
PAGE_TITLES = {400: "We couldn't use that", 409: "That can't be done now"}


def status_for(refusal: Refusal) -> int:
    """The HTTP status that answers ``refusal``."""
    return STATUS.get(refusal.reason, CONFLICT)


def page_answer(refusal: Refusal):
    status = status_for(refusal)
    title = PAGE_TITLES.get(status, PAGE_TITLES[CONFLICT])
    return render_template(
        "errors/error.html",
        code=status,
        request_id=request_id(),
        title=title,
        lead=refusal.message,
    ), status
