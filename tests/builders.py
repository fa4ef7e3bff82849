"""Now ``tests.support.builders``; this name stays for imports written before the move."""

from tests.support.builders import *  # noqa: F403
