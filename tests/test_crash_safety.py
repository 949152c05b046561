"""Crash safety (SPEC §2 "a load is atomic"): SIGKILL `grouplake load` anywhere, re-run, compare.

Every case starts `grouplake load` in a subprocess over the same 4-file input (3 plain files
and a gzip one, several chunks each, rejects, duplicates, a reject fixed by a later file),
kills it at one point, checks what the kill left behind, runs the load again to the end,
and asserts that raw.group_events, raw.group_event_rejects, the ledger and the Parquet lake
equal those of one clean run.

Kill points come from the fault hook (``GROUPLAKE_FAULT=<point>:<n>``, loader/faults.py):
the loader SIGKILLs itself the n-th time it reaches a named point, so a case is exact and
reproducible. The slow test adds every point and kills at random moments (timed kills), which
also land inside DuckDB's commit and inside the Parquet COPY.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from grouplake.reader import iter_chunks

from helpers import (
    SMALL_CHUNK_BYTES,
    assert_consistent,
    connect_ro,
    kill_after,
    lake_files,
    run_load,
    snapshot,
    staging_files,
    start_load,
    write_inputs,
)

N_FILES = 4
LINES_PER_FILE = 150


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    return write_inputs(
        tmp_path_factory.mktemp("crash_inputs"), n_files=N_FILES, lines_per_file=LINES_PER_FILE
    )


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory) -> dict:
    """Snapshot of one uninterrupted run over the inputs."""
    d = tmp_path_factory.mktemp("clean")
    run = run_load(inputs, d / "wh.duckdb", d / "lake")
    assert run.returncode == 0, run.stderr
    snap = assert_consistent(d / "wh.duckdb", d / "lake")
    assert snap["events"] and snap["rejects"] and len(snap["ledger"]) == N_FILES
    assert any(r[8] for r in snap["rejects"]), (
        "the input should make a later batch resolve a reject"
    )
    return snap


@pytest.fixture(scope="module")
def chunks_per_file(inputs) -> list[int]:
    return [sum(1 for _ in iter_chunks(p, SMALL_CHUNK_BYTES)) for p in inputs]


def _assert_after_kill(wh: Path, lake: Path, point: str) -> None:
    """What a kill may leave: whole committed batches in raw; in the lake only committed rows."""
    if not wh.exists() or not _has_raw_schema(wh):
        # killed before the warehouse's first commit (e.g. while creating it)
        assert lake_files(lake) == [], f"lake files without a warehouse ({point})"
        return
    snap = assert_consistent(wh, lake, require_published=False)
    committed = {row[0]: row[5] for row in snap["ledger"]}  # rank -> loaded_count
    in_lake = Counter(r[-1] for r in snap["lake_rows"])
    for rank, n in in_lake.items():
        assert rank in committed, f"lake shows rows of a batch that never committed ({point})"
        if not point.startswith("during_publish"):
            # only a kill in the middle of the renames can leave part of a committed batch visible
            assert n == committed[rank], f"lake shows part of batch {rank} ({point})"
    assert Counter(snap["lake_rows"]) <= Counter(snap["events"]), (
        "lake rows not in raw.group_events"
    )


def _has_raw_schema(wh: Path) -> bool:
    con = connect_ro(wh)
    try:
        return (
            con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' "
                "AND table_name = 'load_ledger'"
            ).fetchone()[0]
            == 1
        )
    finally:
        con.close()


def crash_and_recover(inputs, tmp: Path, faults: list[str]) -> dict:
    """Run the load once per fault (each must be killed there), then once to the end."""
    wh, lake = tmp / "wh.duckdb", tmp / "lake"
    for fault in faults:
        run = run_load(inputs, wh, lake, fault=fault)
        assert run.killed, f"fault {fault} did not fire (rc={run.returncode}): {run.stderr[-2000:]}"
        _assert_after_kill(wh, lake, fault)
    final = run_load(inputs, wh, lake)
    assert final.returncode == 0, final.stderr
    return assert_consistent(wh, lake)


# Symbolic kill points, resolved against the input's real chunk and file counts.
FAULT_CASES = (
    [f"chunk:file{f}:{where}" for f in range(N_FILES) for where in ("first", "middle", "last")]
    + [
        f"{name}:{k}"
        for name in ("after_parquet_write", "before_commit", "after_commit")
        for k in (1, 2, N_FILES)
    ]
    + ["during_publish:1", "during_publish:2", "during_publish:half", "during_publish:last"]
)


def _resolve(case: str, chunks: list[int], n_publish: int) -> str:
    if case.startswith("chunk:"):
        _, file_tag, where = case.split(":")
        f = int(file_tag[4:])
        before, n = sum(chunks[:f]), chunks[f]
        k = {"first": 1, "middle": max(1, (n + 1) // 2), "last": n}[where]
        return f"after_chunk:{before + k}"
    name, n = case.split(":")
    n = {"half": str(max(1, n_publish // 2)), "last": str(n_publish)}.get(n, n)
    return f"{name}:{n}"


def test_enough_distinct_kill_points(chunks_per_file, clean):
    assert all(n >= 3 for n in chunks_per_file), (
        f"input too small for first/middle/last chunks: {chunks_per_file}"
    )
    points = {_resolve(c, chunks_per_file, len(clean["lake_files"])) for c in FAULT_CASES}
    assert len(points) >= 20, sorted(points)


@pytest.mark.parametrize("case", FAULT_CASES)
def test_kill_at_point_then_rerun_equals_clean_run(case, inputs, clean, chunks_per_file, tmp_path):
    point = _resolve(case, chunks_per_file, len(clean["lake_files"]))
    assert crash_and_recover(inputs, tmp_path, [point]) == clean


@pytest.mark.parametrize(
    "faults",
    [
        # killed after commit, then killed again while the next run's recovery publishes that batch
        ["after_commit:2", "during_publish:1"],
        # killed before commit, then killed in the first chunk of the rerun (which redoes that file)
        ["before_commit:3", "after_chunk:1"],
        # killed while publishing, then after the first commit of the rerun
        ["during_publish:2", "after_commit:1"],
        # three kills in a row at the Parquet write of successive reruns
        ["after_parquet_write:2", "after_parquet_write:1", "after_parquet_write:1"],
    ],
    ids=lambda f: "+".join(f),
)
def test_repeated_kills_then_rerun_equals_clean_run(faults, inputs, clean, tmp_path):
    assert crash_and_recover(inputs, tmp_path, faults) == clean


def test_rerun_after_complete_load_changes_nothing(inputs, clean, tmp_path):
    """A scheduled job re-running over the same folder: every file is skipped, nothing changes."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    assert run_load(inputs, wh, lake).returncode == 0
    again = run_load(inputs, wh, lake)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("already loaded") == N_FILES
    assert assert_consistent(wh, lake) == clean


def test_orphan_staging_is_invisible_and_removed(inputs, clean, tmp_path):
    """Staging of a batch that never committed is never under group_events/ and the next run deletes it."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    run = run_load(inputs, wh, lake, fault="before_commit:2")
    assert run.killed
    assert staging_files(lake), "the killed batch should have left staged Parquet files"
    assert all(not f.startswith("_staging") for f in lake_files(lake))
    con = connect_ro(wh)
    try:  # the orphan files exist but readers of group_events/** do not see them
        n_lake = con.execute(
            f"SELECT count(*) FROM read_parquet('{lake}/group_events/**/*.parquet', hive_partitioning=true)"
        ).fetchone()[0]
        n_raw = con.execute("SELECT count(*) FROM raw.group_events").fetchone()[0]
    finally:
        con.close()
    assert n_lake == n_raw == clean["ledger"][0][5]
    assert run_load(inputs, wh, lake).returncode == 0
    assert staging_files(lake) == []
    assert snapshot(wh, lake) == clean


# ------------------------------------------------------------------ slow: every point, timed kills


@pytest.mark.slow
def test_kill_at_every_fault_point(inputs, clean, chunks_per_file, tmp_path):
    n_publish = len(clean["lake_files"])
    points = [f"after_chunk:{k}" for k in range(1, sum(chunks_per_file) + 1)]
    for name in ("after_parquet_write", "before_commit", "after_commit"):
        points += [f"{name}:{k}" for k in range(1, N_FILES + 1)]
    points += [f"during_publish:{k}" for k in range(1, n_publish + 1)]
    for i, point in enumerate(points):
        assert crash_and_recover(inputs, tmp_path / f"p{i}", [point]) == clean, point


@pytest.mark.slow
def test_timed_kills(inputs, clean, tmp_path):
    """SIGKILL at random moments (inside DuckDB commits, Parquet COPYs, renames, startup...)."""
    # how long a whole load takes here, to spread the kills over it
    probe = tmp_path / "probe"
    t0 = time.monotonic()
    assert run_load(inputs, probe / "wh.duckdb", probe / "lake").returncode == 0
    duration = time.monotonic() - t0
    rnd = random.Random(20240301)
    killed = 0
    for i in range(40):
        d = tmp_path / f"t{i}"
        wh, lake = d / "wh.duckdb", d / "lake"
        run = kill_after(start_load(inputs, wh, lake), rnd.uniform(0.3, duration))
        killed += run.killed
        _assert_after_kill(wh, lake, "during_publish (timed)")
        # sometimes kill the recovery run too
        if rnd.random() < 0.3:
            kill_after(start_load(inputs, wh, lake), rnd.uniform(0.3, duration))
            _assert_after_kill(wh, lake, "during_publish (timed)")
        final = run_load(inputs, wh, lake)
        assert final.returncode == 0, final.stderr
        assert assert_consistent(wh, lake) == clean, f"timed kill {i}"
    assert killed >= 20, "most timed kills should land before the load finished"


@pytest.mark.slow
def test_kill_every_run_until_done(inputs, clean, tmp_path):
    """Kill each run after its first commit: the load still converges to the clean result."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    for _ in range(N_FILES + 2):
        run = run_load(inputs, wh, lake, fault="after_commit:1")
        _assert_after_kill(wh, lake, "after_commit")
        if not run.killed:
            break
    assert run.returncode == 0, run.stderr
    assert assert_consistent(wh, lake) == clean
