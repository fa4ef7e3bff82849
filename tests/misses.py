"""Now ``tests.support.misses``; this name stays for imports written before the move."""

from tests.support.misses import *  # noqa: F403
