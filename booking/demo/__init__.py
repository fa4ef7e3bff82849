"""The demo clinic: its data (``data``), the code that seeds it (``seed``), its follow-ups
after sessions (``follow_ups``) and the fully booked day to try the waitlist on
(``full_day``)."""

from booking.demo.seed import seed_demo, seed_demo_bookings

__all__ = ["seed_demo", "seed_demo_bookings"]
