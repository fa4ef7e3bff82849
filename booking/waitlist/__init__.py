"""The waitlist's pure rules (no Flask, no database): who gets a freed time, for how long."""

from booking.waitlist.offering import (
    DAY_PARTS,
    FreeTime,
    Wish,
    assign,
    fits,
    offer_expiry,
)

__all__ = ["DAY_PARTS", "FreeTime", "Wish", "assign", "fits", "offer_expiry"]
