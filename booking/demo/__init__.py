"""The demo clinic: its data (``data``) and the code that seeds it (``seed``)."""

from booking.demo.seed import seed_demo, seed_demo_bookings

__all__ = ["seed_demo", "seed_demo_bookings"]
