"""The patient's booking flow: treatment -> health questions -> time -> details -> review
-> done.

Each step reads and writes the server-side draft (``web.drafts``) and redirects after a
POST, so the back button and validation errors never lose what was typed. Everything
works without JavaScript. Every route is listed here, once:

- ``treatment``: the treatment, its length and the therapist;
- ``screen``: the pain screen and what its outcome means for the booking;
- ``times``: the week picker and the chosen time (a course's first session's);
- ``course``: a course's sessions as planned from that time, and the patient's acceptance
  of any moved one;
- ``details``: who is booking;
- ``review``: check and book, then the done page (``course_review`` for a course);
- ``steps``: what each step reads from the draft, and the gates it passes first.
"""

from __future__ import annotations

from flask import Blueprint

from booking.web.booking_flow import (
    course,
    course_review,
    details,
    review,
    screen,
    times,
    treatment,
)

ROUTES = (
    ("GET,POST", "/", "choose", treatment.choose),
    ("GET,POST", "/health", "health", screen.health),
    ("GET", "/time", "time", times.time),
    ("POST", "/time", "pick_time", times.pick_time),
    ("GET,POST", "/course", "course", course.course_plan),
    ("GET,POST", "/details", "details", details.details),
    ("GET,POST", "/review", "review", review.review),
    ("GET", "/done/<ref>", "done", review.done),
    ("GET", "/course/done/<ref>", "course_done", course_review.done),
)

bp = Blueprint("book", __name__, url_prefix="/book")
for methods, rule, endpoint, view in ROUTES:
    bp.add_url_rule(rule, endpoint, view_func=view, methods=methods.split(","))


@bp.after_request
def _personal(response):
    # Every step shows the patient's own choices and details.
    response.headers["Cache-Control"] = "no-store"
    return response
