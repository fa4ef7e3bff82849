"""Now ``tests.support.notify``; this name stays for imports written before the move."""

from tests.support.notify import *  # noqa: F403
