"""Now ``tests.support.screens``; this name stays for imports written before the move."""

from tests.support.screens import *  # noqa: F403
