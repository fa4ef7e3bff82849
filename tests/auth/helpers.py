"""Now ``tests.support.auth``; this name stays for imports written before the move."""

from tests.support.auth import *  # noqa: F403
