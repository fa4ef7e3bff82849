"""Courses of treatment: planning one, booking every session at once, acting on the rest.

``planning`` plans a course against what is free (read-only, for the page); ``making``
books every session in one transaction (the same rules as one booking, through
``bookings.placing``) or none.
"""

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
    "book_course",
    "find_by_form_key",
    "plan",
    "sessions_of",
]
