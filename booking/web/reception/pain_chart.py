"""The pain scores over a patient's sessions as a small SVG drawn on the server.

Pure geometry: points in, coordinates out; the template writes the SVG. No script, no
external file: the chart is a picture of the table printed beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 560
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 36, 36, 16, 40


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    value: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    columns: list[tuple[float, str]]  # x and the session's short date
    grid: list[tuple[float, int]]  # y and the score it marks (0, 2, ... 10)
    before: list[Mark]  # the screen's typical-day score for each session
    after: list[Mark]  # pain now, in each follow-up
    left: int
    right: int
    top: int
    bottom: int

    def path(self, marks: list[Mark]) -> str:
        return " ".join(f"{'M' if i == 0 else 'L'}{m.x:.1f},{m.y:.1f}" for i, m in enumerate(marks))


def _y(score: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (10 - score) / 10


def build(points: list[tuple[str, int | None, int | None]]) -> Chart | None:
    """Lay out ``(label, before, after)`` per session, oldest first; None without scores."""
    if not any(b is not None or a is not None for _, b, a in points):
        return None
    span = WIDTH - LEFT - RIGHT
    step = span / max(len(points) - 1, 1)
    xs = [LEFT + (step * i if len(points) > 1 else span / 2) for i in range(len(points))]
    before = [Mark(x, _y(b), b) for x, (_, b, _) in zip(xs, points, strict=True) if b is not None]
    after = [Mark(x, _y(a), a) for x, (_, _, a) in zip(xs, points, strict=True) if a is not None]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        columns=[(x, label) for x, (label, _, _) in zip(xs, points, strict=True)],
        grid=[(_y(score), score) for score in range(0, 11, 2)],
        before=before,
        after=after,
        left=LEFT,
        right=WIDTH - RIGHT,
        top=TOP,
        bottom=HEIGHT - BOTTOM,
    )
