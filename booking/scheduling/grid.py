"""The clinic's wall-clock calendar for one search: working ranges and slot-grid starts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from booking.scheduling.inputs import WeeklyRange
from booking.scheduling.localtime import boundary_to_utc, local_midnight, wall_to_utc

_MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Piece:
    """One weekly range on one concrete local day, as wall times and as UTC instants."""

    wall_start: datetime  # naive local wall time
    wall_end: datetime
    utc_start: datetime
    utc_end: datetime


class LocalGrid:
    """Turn weekly hours into UTC working time and grid starts for ``first_day..last_day``.

    Results are memoised: therapists usually share hours, so each wall time is converted
    with zoneinfo once per search, not once per therapist.
    """

    def __init__(self, tz: ZoneInfo, first_day: date, last_day: date, step_minutes: int) -> None:
        """Prepare a grid of ``step_minutes`` over the clinic-local days (inclusive)."""
        self._tz = tz
        self._step = _MINUTE * step_minutes
        self._step_minutes = step_minutes
        self._first_wall = local_midnight(first_day)
        self._stop_wall = local_midnight(last_day + timedelta(days=1))
        # A range anchored the day before first_day may cross midnight into it.
        self._anchors = [
            first_day + timedelta(days=i) for i in range(-1, (last_day - first_day).days + 1)
        ]
        self._edges: dict[datetime, datetime] = {}
        self._pieces: dict[frozenset[WeeklyRange], list[tuple[Piece, datetime]]] = {}
        self._starts: dict[tuple[datetime, datetime], list[datetime]] = {}

    def pieces(self, weekly: Iterable[WeeklyRange]) -> list[tuple[Piece, datetime]]:
        """Return each working range on each day with the end of its continuous block.

        Overlapping or touching ranges form one block of work, so an appointment may run
        from one into the next (09:00-13:00 + 13:00-17:00 allows 12:30-13:30).
        """
        key = frozenset(weekly)
        cached = self._pieces.get(key)
        if cached is None:
            cached = self._pieces[key] = self._build_pieces(key)
        return cached

    def starts(self, piece: Piece) -> list[datetime]:
        """Return the sorted UTC starts on the grid of ``piece`` that fall in the days.

        The grid steps in wall-clock time from the range start, so slots keep their local
        times across DST. Nonexistent wall times are skipped; ambiguous ones map to their
        first occurrence only, so no local time repeats.
        """
        key = (piece.wall_start, piece.wall_end)
        cached = self._starts.get(key)
        if cached is None:
            cached = self._starts[key] = self._build_starts(piece)
        return cached

    def _edge(self, wall: datetime) -> datetime:
        utc = self._edges.get(wall)
        if utc is None:
            utc = self._edges[wall] = boundary_to_utc(wall, self._tz)
        return utc

    def _build_pieces(self, weekly: frozenset[WeeklyRange]) -> list[tuple[Piece, datetime]]:
        by_weekday: dict[int, list[WeeklyRange]] = defaultdict(list)
        for r in weekly:
            by_weekday[r.weekday].append(r)
        pieces: list[Piece] = []
        for day in self._anchors:
            midnight = local_midnight(day)
            for r in by_weekday.get(day.weekday(), ()):
                ws = midnight + _MINUTE * r.start_minute
                we = midnight + _MINUTE * r.end_minute
                us, ue = self._edge(ws), self._edge(we)
                if ue > us:  # a range lying wholly inside a DST gap has no real time
                    pieces.append(Piece(ws, we, us, ue))
        pieces.sort(key=lambda p: (p.utc_start, p.utc_end, p.wall_start))
        if not pieces:
            return []
        # One sweep gives every piece the end of the merged block it belongs to.
        out: list[tuple[Piece, datetime]] = []
        group: list[Piece] = []
        block_end = pieces[0].utc_end
        for p in pieces:
            if group and p.utc_start > block_end:
                out.extend((q, block_end) for q in group)
                group = []
            block_end = max(block_end, p.utc_end) if group else p.utc_end
            group.append(p)
        out.extend((q, block_end) for q in group)
        return out

    def _build_starts(self, piece: Piece) -> list[datetime]:
        wall = piece.wall_start
        if wall < self._first_wall:
            # Jump straight to the first grid point on first_day.
            behind = (self._first_wall - wall) // _MINUTE
            wall += _MINUTE * (-(-behind // self._step_minutes) * self._step_minutes)
        end_wall = min(piece.wall_end, self._stop_wall)
        out: list[datetime] = []
        if (
            piece.utc_end - piece.utc_start == piece.wall_end - piece.wall_start
            and wall_to_utc(piece.wall_start, self._tz) == piece.utc_start
        ):
            # No offset change inside the range (the usual case): step in UTC directly
            # instead of asking zoneinfo about every grid point.
            utc = piece.utc_start + (wall - piece.wall_start)
            while wall < end_wall:
                out.append(utc)
                wall += self._step
                utc += self._step
            return out
        while wall < end_wall:
            utc = wall_to_utc(wall, self._tz)
            # fold=0 keeps existing wall times strictly increasing in UTC; the range end
            # check matters when the range ends inside a gap (01:30 on a 01:00->02:00 day).
            if utc is not None and utc < piece.utc_end:
                out.append(utc)
            wall += self._step
        return out
