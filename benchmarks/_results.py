"""Figures a benchmark hands to the summary table (not a benchmark itself: make bench skips it).

Each script writes one JSON file, ``test-artifacts/bench/<script>.json`` (or under
``BENCH_RESULTS_DIR``), with the conditions it measured under and its figures. A figure is
one row of the summary: what was measured, the numbers it came from as text, the ratio, the
target and whether the target was met (``None`` when there is no target: measured only).
``_summary.py`` prints every script's rows as one table after the run.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def results_dir() -> Path:
    return Path(os.environ.get("BENCH_RESULTS_DIR") or ROOT / "test-artifacts" / "bench")


def figure(
    key: str,
    measure: str,
    figures: str,
    *,
    value: float | None = None,
    target: str = "",
    met: bool | None = None,
) -> dict:
    """One summary row; ``key`` names it for the summary, which lists the rows it expects."""
    return {
        "key": key,
        "measure": measure,
        "figures": figures,
        "value": value,
        "target": target,
        "met": met,
    }


def write(script: str, rows: list[dict], **conditions) -> Path:
    """Write ``script``'s rows and the conditions of the run; return the file written."""
    where = results_dir()
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{script}.json"
    document = {
        "script": script,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_at_end": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        **conditions,
        "figures": rows,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nfigures written to {path}")
    return path
