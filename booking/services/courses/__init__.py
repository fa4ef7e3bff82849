"""Courses of treatment: planning one, booking every session at once, acting on the rest.

``planning`` plans a course against what is free (read-only, for the page); ``making``
books every session in one transaction (the same rules as one booking, through
``bookings.placing``) or none; ``cover`` applies one clearance to the whole course;
``changes`` lists a course's sessions for its manage page and cancels the rest at once.
"""

from booking.services.courses.changes import CourseView, RestCancelled, cancel_rest, view
from booking.services.courses.cover import clearance_runs_out
from booking.services.courses.making import (
    CourseRequest,
    CourseResult,
    CourseTaken,
    book_course,
    find_by_form_key,
)
from booking.services.courses.planning import plan, sessions_of

__all__ = [
    "CourseRequest",
    "CourseResult",
    "CourseTaken",
    "CourseView",
    "RestCancelled",
    "book_course",
    "cancel_rest",
    "clearance_runs_out",
    "find_by_form_key",
    "plan",
    "sessions_of",
    "view",
]
