"""The pure scheduling core: which appointment slots can be offered, and to whom.

Plain values in, plain values out. Nothing here touches the database, Flask or the clock:
callers load rows, turn them into the immutable values below, and pass ``now`` in. All
instants are aware UTC datetimes; wall-clock rules (weekly hours, the slot grid, local
days) are evaluated in the clinic's zone with :mod:`zoneinfo`, DST changes included.

Modules, one concept each:

* ``intervals`` - half-open ``Interval`` and merge / subtract / clip / overlaps;
* ``timeline`` - a bisect index answering "is this span free?";
* ``localtime`` - wall time to UTC across DST gaps and overlaps;
* ``bookings`` - ``BusyBooking``, which statuses block, free rooms;
* ``inputs`` - weekly hours, therapist availability, policy and query values;
* ``slots`` - ``find_slots``, the slot search itself;
* ``choice`` - fair choice of a therapist for "any therapist";
* ``holds`` - deadlines for clearance holds;
* ``moves`` - a booking's life: the status changes allowed, and what each one writes;
* ``courses`` - a course's wanted weekly starts, and each week's free time or nearest one.
"""

from booking.scheduling.bookings import (
    ALWAYS_BLOCKING,
    STATUSES,
    BusyBooking,
    choose_room,
    free_rooms,
    is_blocking,
    trusted_busy_booking,
)
from booking.scheduling.choice import bookings_per_therapist, choose_therapist
from booking.scheduling.holds import earliest_hold_start, hold_expiry
from booking.scheduling.inputs import Policy, SlotQuery, TherapistAvailability, WeeklyRange
from booking.scheduling.intervals import Interval, clip, merge, overlaps, subtract
from booking.scheduling.localtime import boundary_to_utc, local_day, wall_to_utc
from booking.scheduling.slots import Slot, find_slots
from booking.scheduling.timeline import Timeline

__all__ = [
    "ALWAYS_BLOCKING",
    "STATUSES",
    "BusyBooking",
    "Interval",
    "Policy",
    "Slot",
    "SlotQuery",
    "TherapistAvailability",
    "Timeline",
    "WeeklyRange",
    "bookings_per_therapist",
    "boundary_to_utc",
    "choose_room",
    "choose_therapist",
    "clip",
    "earliest_hold_start",
    "find_slots",
    "free_rooms",
    "hold_expiry",
    "is_blocking",
    "local_day",
    "merge",
    "overlaps",
    "subtract",
    "trusted_busy_booking",
    "wall_to_utc",
]
