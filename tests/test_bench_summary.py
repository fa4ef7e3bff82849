"""make bench's summary: a missed target is printed and passes; an unmeasured one fails."""

from __future__ import annotations

from benchmarks import _results, _summary


def write_all(tmp_path, monkeypatch, *, skip=(), missed=()):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    scripts: dict[str, list] = {}
    for script, key in _summary.EXPECTED:
        if (script, key) in skip:
            continue
        row = _results.figure(
            key, f"the {key} figure", "1 / 2", value=0.5, target="<= 1", met=key not in missed
        )
        scripts.setdefault(script, []).append(row)
    for script, rows in scripts.items():
        _results.write(script, rows, load_at_start=0.5)


def test_every_target_measured_exits_zero_even_with_a_miss(tmp_path, monkeypatch, capsys):
    write_all(tmp_path, monkeypatch, missed={"peer_ratio"})
    assert _summary.main() == 0
    out = capsys.readouterr().out
    assert "| the peer_ratio figure (`peer_booking.py`) | 1 / 2 | 0.50 | <= 1 | **miss** |" in out
    assert "| the cold_floor figure (`scaling.py`) | 1 / 2 | 0.50 | <= 1 | met |" in out
    assert "Targets missed: peer_ratio" in out


def test_a_figure_no_script_wrote_is_shown_and_fails(tmp_path, monkeypatch, capsys):
    write_all(tmp_path, monkeypatch, skip={("booking_race", "throughput")})
    assert _summary.main() == 1
    out = capsys.readouterr().out
    assert "| throughput (`booking_race.py`) | | | | **not measured** |" in out
    assert "Not measured (a script failed or skipped): booking_race.py: throughput" in out


def test_a_row_without_a_target_is_measured_only(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BENCH_RESULTS_DIR", str(tmp_path))
    _results.write("availability", [_results.figure("cache_hit", "hit", "2 ms / 20 ms", value=0.1)])
    _summary.main()
    assert "| hit (`availability.py`) | 2 ms / 20 ms | 0.10 |  | measured only |" in (
        capsys.readouterr().out
    )
