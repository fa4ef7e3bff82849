"""The demo clinic: its data (``data``), the code that seeds it (``seed``) and its
follow-ups after sessions (``follow_ups``)."""

from booking.demo.seed import seed_demo, seed_demo_bookings

__all__ = ["seed_demo", "seed_demo_bookings"]
