"""Now ``tests.support.ics``; this name stays for imports written before the move."""

from tests.support.ics import *  # noqa: F403
