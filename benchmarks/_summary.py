"""The one table ``make bench`` ends with: every target's figure from this run's JSON files.

Not a benchmark itself (``make bench`` runs it after the others). Reads what each script
wrote through ``_results.py`` and prints one Markdown table, in the order of ``EXPECTED``:
the figures, the ratio, the target and "met" or "miss". A target whose script did not write
its figure (it failed, or was skipped for want of PostgreSQL, the package index or
Chromium) is printed as "not measured", and then this script exits 1; a "miss" is printed
and is not a failure.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import results_dir  # noqa: E402

# (script, key): every row the summary must show, in the order shown.
EXPECTED = [
    ("scaling", "cold_floor"),
    ("scaling", "scale_10x"),
    ("peer_booking", "peer_ratio"),
    ("peer_booking", "statements"),
    ("booking_race", "throughput"),
    ("booking_race", "worker_class"),
    ("booking_race", "race_ratio"),
    ("booking_race", "one_slot"),
    ("availability", "history_blind"),
    ("availability", "http_availability"),
    ("availability", "cache_hit"),
    ("pages", "page_budget"),
    ("pages", "lighthouse"),
]


def load(where: Path) -> dict[str, dict]:
    documents = {}
    for path in sorted(where.glob("*.json")):
        try:
            documents[path.stem] = json.loads(path.read_text())
        except ValueError as error:
            print(f"{path}: not readable JSON ({error}); its figures count as not measured")
    return documents


def result(row: dict) -> str:
    if row["met"] is None:
        return "measured only"
    return "met" if row["met"] else "**miss**"


def ratio(row: dict) -> str:
    value = row.get("value")
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() and value >= 10 else f"{value:.2f}"


def table(documents: dict[str, dict]) -> tuple[list[str], list[str]]:
    """Return the table's lines and the rows that were not measured."""
    lines = [
        "| Measure (script) | Figures | Ratio | Target | Result |",
        "|---|---|---|---|---|",
    ]
    missing = []
    for script, key in EXPECTED:
        rows = {row["key"]: row for row in documents.get(script, {}).get("figures", [])}
        row = rows.get(key)
        if row is None:
            missing.append(f"{script}.py: {key}")
            lines.append(f"| {key} (`{script}.py`) | | | | **not measured** |")
            continue
        lines.append(
            f"| {row['measure']} (`{script}.py`) | {row['figures']} | {ratio(row)} "
            f"| {row['target']} | {result(row)} |"
        )
    return lines, missing


def conditions(documents: dict[str, dict]) -> list[str]:
    lines = []
    for script, document in documents.items():
        start = document.get("load_at_start")
        load = f"load {start} at the start, " if start is not None else ""
        extra = ", ".join(
            f"{key} {document[key]}"
            for key in ("database", "production_worker", "peer")
            if document.get(key)
        )
        lines.append(
            f"- `{script}.py`: {document['measured_at']}, {load}{document['load_at_end']} at "
            f"the end; {document['cpus']} CPUs, Python {document['python']}; {extra}"
        )
    return lines


def main() -> int:
    where = results_dir()
    documents = load(where)
    lines, missing = table(documents)
    print(f"\n== Summary ({where}): every ratio measured in this run\n")
    print("\n".join(lines))
    print()
    print("\n".join(conditions(documents)))
    misses = [
        row["key"]
        for document in documents.values()
        for row in document.get("figures", [])
        if row.get("met") is False
    ]
    print(f"\nTargets missed: {', '.join(misses) if misses else 'none'}")
    if missing:
        print(f"Not measured (a script failed or skipped): {'; '.join(missing)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
