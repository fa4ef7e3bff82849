"""Only ``services/transitions.py`` changes a booking's status.

Every change of status goes through the one compare-and-set that also writes the audit row
and the outbox message; a booking is given its first status where it is made (a
``Booking(...)`` with ``status=``). This reads the package's source and fails on any other
write of a ``BookingStatus``: an attribute assignment, a ``status=`` keyword outside a
``Booking(...)`` constructor (``update(...).values(status=...)``), or a ``"status"`` key.
"""

from __future__ import annotations

import ast
from pathlib import Path

import booking

PACKAGE = Path(booking.__file__).parent
THE_ONE_PLACE = PACKAGE / "services" / "transitions.py"


def _is_status(node: ast.AST, names: frozenset[str] = frozenset()) -> bool:
    """Whether ``node`` evaluates to a BookingStatus: ``BookingStatus.HELD``,
    ``BookingStatus(value)``, a name bound to one, or a choice between such."""
    if isinstance(node, ast.Attribute):
        return isinstance(node.value, ast.Name) and node.value.id == "BookingStatus"
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "BookingStatus"
    if isinstance(node, ast.IfExp):
        return _is_status(node.body, names) or _is_status(node.orelse, names)
    return isinstance(node, ast.Name) and node.id in names


def _is_booking_constructor(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "Booking"


def status_writes(source: str) -> list[tuple[int, str]]:
    """Return (line, what) for each write of a booking status in ``source``."""
    tree = ast.parse(source)
    found: list[tuple[int, str]] = []
    # Local names bound to a BookingStatus (``status = BookingStatus.HELD``), so that
    # ``booking.status = status`` is caught too.
    status_names = frozenset(
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_status(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    )

    def is_status_value(value: ast.AST) -> bool:
        return _is_status(value, status_names)

    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "status"
                    and node.value is not None
                    and is_status_value(node.value)
                ):
                    found.append((node.lineno, "assigns .status"))
        elif isinstance(node, ast.Call):
            if (
                isinstance(node.func, ast.Name)
                and node.func.id == "setattr"
                and len(node.args) >= 2
                and getattr(node.args[1], "value", None) == "status"
            ):
                found.append((node.lineno, "setattr(..., 'status', ...)"))
            for keyword in node.keywords:
                if (
                    keyword.arg == "status"
                    and is_status_value(keyword.value)
                    and not _is_booking_constructor(node)
                ):
                    found.append((node.lineno, "status= outside Booking(...)"))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                keyed = (isinstance(key, ast.Constant) and key.value == "status") or (
                    isinstance(key, ast.Attribute) and key.attr == "status"
                )
                if keyed and is_status_value(value):
                    found.append((node.lineno, '"status" key'))
    return sorted(found)


def test_only_transitions_writes_a_booking_status():
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != THE_ONE_PLACE
        for line, what in status_writes(path.read_text())
    ]
    assert offenders == [], "status changes outside services/transitions.py:\n" + "\n".join(
        offenders
    )


def test_the_guard_sees_each_way_of_writing_a_status():
    source = """
booking.status = BookingStatus.CANCELLED
status = BookingStatus.HELD
booking.status = status
db.session.execute(update(Booking).values(status=BookingStatus.EXPIRED))
values = {"status": BookingStatus.CONFIRMED}
rows = update(Booking).values({Booking.status: BookingStatus.CANCELLED})
setattr(booking, "status", BookingStatus.NO_SHOW)
made = Booking(status=BookingStatus.HELD if held else BookingStatus.CONFIRMED)
message.status = OutboxStatus.SENT
event = FeedEvent(status="tentative" if booking.status is BookingStatus.HELD else "confirmed")
"""
    assert [what for _, what in status_writes(source)] == [
        "assigns .status",
        "assigns .status",
        "status= outside Booking(...)",
        '"status" key',
        '"status" key',
        "setattr(..., 'status', ...)",
    ]
