"""The email of a booked course: its sessions' lines, and one invitation per session.

Each session is its own calendar event (its booking's UID and SEQUENCE), so one iTIP
message (one ``text/calendar`` part) cannot carry them all: an iTIP message is about one
calendar object, and mail clients act on the one inline part. The inline part (and
``invite.ics``, the very same bytes, ICS.md rule 2) is the first session's invitation;
every other session comes as its own ``invite-<n>.ics`` attachment, a ``METHOD:REQUEST``
for its own UID, each opening the session's own manage link.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from booking.ics import clean_line
from booking.tokens import session_token


def context(
    snap: dict[str, Any],
    *,
    when: Callable[[datetime], dict[str, str]],
    money: Callable[[int], str],
    link_for: Callable[[str], str] | None,
    token: str | None,
) -> dict[str, Any]:
    """The template values of the course: each session's line and the total."""
    course = snap["course"]
    lines = []
    for session in course["sessions"]:
        number = int(session["number"])
        lines.append(
            {
                "number": number,
                "when": when(datetime.fromisoformat(session["starts_at"])),
                "therapist": clean_line(session.get("therapist_name", "")),
                "held": session["status"] == "held",
                "price": money(session["price_pence"]),
                "manage_url": link_for(session_token(token, number))
                if link_for and token
                else None,
            }
        )
    runs_out = course.get("clearance_runs_out")
    return {
        "course": {
            "sessions": lines,
            "count": len(lines),
            "total": money(course["total_pence"]),
            "any_held": any(line["held"] for line in lines),
            "all_held": all(line["held"] for line in lines),
            "clearance_runs_out": when(datetime.fromisoformat(runs_out)) if runs_out else None,
        }
    }


def other_sessions(snap: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshots of every session after the first, for their own invitations."""
    return [
        s
        for s in snap["course"]["sessions"]
        if int(s["number"]) != int(snap["course"]["sessions"][0]["number"])
    ]
