"""Fixtures for the real-stack tests: only collected when BOOKING_REALSTACK=1 (make test-stack).

These start real processes on committed data, so they use none of the suite's app or
database fixtures: each stack has its own scratch database, folder and free ports.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.realstack.stack import Stack, postgres_reachable

collect_ignore_glob = [] if os.environ.get("BOOKING_REALSTACK") == "1" else ["test_*.py"]


def make_stack(backend: str, folder: Path, **options) -> Stack:
    if backend == "postgresql" and not postgres_reachable():
        if os.environ.get("BOOKING_REALSTACK_REQUIRE_PG") == "1":
            pytest.fail("PostgreSQL is not reachable and the real-stack run requires it")
        pytest.skip("PostgreSQL is not reachable")
    return Stack(backend, folder, **options)


@pytest.fixture
def stack_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Start stacks on demand; stop and remove every one of them after the test."""
    made: list[Stack] = []

    def factory(backend: str, **options) -> Stack:
        stack = make_stack(backend, tmp_path_factory.mktemp(f"stack-{backend}"), **options)
        made.append(stack)
        return stack

    yield factory
    for stack in made:
        stack.close()
