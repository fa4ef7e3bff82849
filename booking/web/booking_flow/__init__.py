"""The patient's booking flow: treatment -> health questions -> time -> details -> review
-> done.

Each step reads and writes the server-side draft (``web.drafts``) and redirects after a
POST, so the back button and validation errors never lose what was typed. Everything
works without JavaScript. Every route is listed here, once:

- ``treatment``: the treatment, its length and the therapist;
- ``screen``: the pain screen and what its outcome means for the booking;
- ``times``: the week picker and the chosen time;
- ``details``: who is booking;
- ``review``: check and book, then the done page;
- ``steps``: what each step reads from the draft, and the gates it passes first.
"""

from __future__ import annotations

from flask import Blueprint

from booking.web.booking_flow import details, review, screen, times, treatment

ROUTES = (
    ("GET,POST", "/", "choose", treatment.choose),
    ("GET,POST", "/health", "health", screen.health),
    ("GET", "/time", "time", times.time),
    ("POST", "/time", "pick_time", times.pick_time),
    ("GET,POST", "/details", "details", details.details),
    ("GET,POST", "/review", "review", review.review),
    ("GET", "/done/<ref>", "done", review.done),
)

bp = Blueprint("book", __name__, url_prefix="/book")
for methods, rule, endpoint, view in ROUTES:
    bp.add_url_rule(rule, endpoint, view_func=view, methods=methods.split(","))


@bp.after_request
def _personal(response):
    # Every step shows the patient's own choices and details.
    response.headers["Cache-Control"] = "no-store"
    return response
