"""Now ``tests.support.flows``; this name stays for imports written before the move."""

from tests.support.flows import *  # noqa: F403
