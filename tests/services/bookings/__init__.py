"""Tests of the booking verbs, a module per module of ``booking/services/bookings/``."""
