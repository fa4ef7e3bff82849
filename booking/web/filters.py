"""Template filters and globals: money, clinic-local times, the clinic's details."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app
from markdown_it import MarkdownIt
from markupsafe import Markup

from booking.services.clinic_settings import current_policy

# CommonMark without raw HTML: staff-written text can format, never inject markup.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def money(pence: int) -> str:
    """Format minor units as pounds: 5500 -> "£55", 5250 -> "£52.50"."""
    pounds, rest = divmod(int(pence), 100)
    return f"£{pounds:,}" if rest == 0 else f"£{pounds:,}.{rest:02d}"


def local(value: datetime, fmt: str = "%A %-d %B %Y, %H:%M") -> str:
    """Show an aware instant in the clinic's zone."""
    return value.astimezone(current_policy().zone).strftime(fmt)


def minutes_to_clock(minutes: int) -> str:
    """540 -> "09:00"; 1500 -> "01:00" (past midnight)."""
    minutes %= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


_NUMBERS = (
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def validity_words(days: int) -> str:
    """A clearance's validity as people say it: 182 -> "six months", 28 -> "four weeks"."""
    if days % 7 == 0 and 1 <= days // 7 <= 12:
        weeks = days // 7
        return "one week" if weeks == 1 else f"{_NUMBERS[weeks - 1]} weeks"
    months = round(days / 30.44)
    if 1 <= months <= 12 and abs(months * 30.44 - days) <= 3:
        return "one month" if months == 1 else f"{_NUMBERS[months - 1]} months"
    return "one day" if days == 1 else f"{days} days"


def fromiso(value: str) -> datetime:
    return datetime.fromisoformat(value)


def markdown(text: str) -> Markup:
    return Markup(_markdown.render(text or ""))  # noqa: S704 - html disabled above


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(local)
    app.add_template_filter(minutes_to_clock, "clock")
    app.add_template_filter(markdown)
    app.add_template_filter(fromiso)

    @app.template_global()
    def has_endpoint(endpoint: str) -> bool:
        """Let shared navigation link only to pages that exist in this build."""
        return endpoint in current_app.view_functions

    @app.template_global()
    def emergency_signs() -> tuple[str, ...]:
        """The 999 signs, for the safety net on held, urgent and waiting pages."""
        from booking.intake import emergency_signs as signs

        return signs()

    @app.context_processor
    def clinic_details() -> dict:
        c = current_app.config
        policy = current_policy()
        return {
            # The policy in force, for pages that state it (cut-offs, how long an offer lasts).
            "clinic_policy": policy,
            "clinic": {
                "name": c["CLINIC_NAME"],
                "address": c["CLINIC_ADDRESS"],
                "phone": c["CLINIC_PHONE"],
                "email": c["CLINIC_EMAIL"],
                "timezone": policy.zone.key,
                "emergency_number": policy.emergency_number,
                "urgent_number": policy.urgent_number,
            },
        }
