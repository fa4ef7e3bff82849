"""The patient's waitlist pages. Every route is listed here, once:

- ``joining``: join from the picker (the booking draft's treatment and screen), or from a
  booking's manage page to move it earlier; the page shown after joining;
- ``entry``: the entry's own link: view, change the wish, leave;
- ``offers``: a freed time kept for the patient: see it, claim it with one confirmation,
  or let it go to the next person.

A GET never changes anything (mail scanners fetch links); every wrong or ended link gets
the same 404 as any other miss.
"""

from __future__ import annotations

from flask import Blueprint

from booking.web import limits
from booking.web.waitlist import entry, joining, offers

ROUTES = (
    (("GET", "POST"), "/waitlist/join", limits.booking_submissions(joining.join)),
    (("GET",), "/waitlist/joined/<ref>", joining.joined),
    (("GET", "POST"), "/manage/<token>/earlier", limits.booking_submissions(joining.earlier)),
    (("GET",), "/waitlist/<token>", entry.view),
    (("GET", "POST"), "/waitlist/<token>/change", entry.change),
    (("POST",), "/waitlist/<token>/leave", entry.leave),
    (("GET",), "/waitlist/<token>/offers/<ref>", offers.offer),
    (("POST",), "/waitlist/<token>/offers/<ref>/claim", limits.booking_submissions(offers.claim)),
    (("POST",), "/waitlist/<token>/offers/<ref>/decline", offers.decline),
)


bp = Blueprint("waitlist", __name__)
limits.token_lookups(bp)
for methods, rule, view in ROUTES:
    bp.add_url_rule(rule, endpoint=view.__name__, view_func=view, methods=list(methods))
