"""Concurrency (SPEC §2 "two loaders started at once ... the second waits or exits with a clear message").

Several `grouplake load` processes start at the same moment over overlapping inputs. Whatever
order they get the writer lock in, the warehouse ends with every event once, every file once
in the ledger, the lake equal to raw.group_events, and each process ended with a clear outcome:
exit 0 (it loaded or skipped, possibly after waiting) or exit 3 with "warehouse is busy".
"""

from __future__ import annotations

import importlib.util
import subprocess
import threading
import time
from pathlib import Path

import pytest

from grouplake.warehouse import warehouse_lock

from helpers import (
    assert_consistent,
    connect_ro,
    run_cli,
    run_load,
    start_load,
    write_inputs,
)

BUSY_EXIT = 3


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    return write_inputs(tmp_path_factory.mktemp("conc_inputs"), n_files=4, lines_per_file=150)


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("conc_clean")
    assert run_load(inputs, d / "wh.duckdb", d / "lake").returncode == 0
    return _totals(d / "wh.duckdb", d / "lake")


def _totals(wh: Path, lake: Path) -> dict:
    """Order-independent content: which events, which rejects, per-file counts summed."""
    assert_consistent(wh, lake)
    con = connect_ro(wh)
    try:
        return {
            "message_ids": sorted(
                r[0] for r in con.execute("SELECT message_id FROM raw.group_events").fetchall()
            ),
            "rejects": sorted(
                con.execute(
                    "SELECT source_file, source_line, reason, raw_line FROM raw.group_event_rejects"
                ).fetchall()
            ),
            "files": sorted(
                con.execute(
                    "SELECT content_hash FROM raw.load_ledger WHERE status = 'loaded'"
                ).fetchall()
            ),
            "read": con.execute("SELECT sum(read_count) FROM raw.load_ledger").fetchone()[0],
            "loaded": con.execute("SELECT sum(loaded_count) FROM raw.load_ledger").fetchone()[0],
            "rejected": con.execute("SELECT sum(rejected_count) FROM raw.load_ledger").fetchone()[
                0
            ],
            "duplicates": con.execute(
                "SELECT sum(duplicate_count) FROM raw.load_ledger"
            ).fetchone()[0],
            "failed": con.execute(
                "SELECT count(*) FROM raw.load_ledger WHERE status <> 'loaded'"
            ).fetchone()[0],
        }
    finally:
        con.close()


def _start_together(cmds_inputs, wh, lake, wait) -> list[subprocess.Popen]:
    """Start the processes as close together as possible (from threads released by one barrier)."""
    procs: list = [None] * len(cmds_inputs)
    barrier = threading.Barrier(len(cmds_inputs))

    def go(i, files):
        barrier.wait()
        procs[i] = start_load(files, wh, lake, wait=wait)

    threads = [threading.Thread(target=go, args=(i, f)) for i, f in enumerate(cmds_inputs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return procs


def _outcomes(procs) -> list[tuple[int, str]]:
    res = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert "Traceback" not in out + err, err
        res.append((p.returncode, out + err))
    return res


def _assert_clear(outcomes) -> None:
    for code, text in outcomes:
        if code == 0:
            assert "loaded" in text or "already loaded" in text, text
        else:
            assert code == BUSY_EXIT and "warehouse is busy" in text, (
                f"unclear outcome {code}: {text[-2000:]}"
            )


@pytest.mark.parametrize("n_procs", [2, 4])
def test_loaders_started_at_once_wait_and_load_everything_once(n_procs, inputs, clean, tmp_path):
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    # overlapping inputs: process i gets files i, i+1, i+2 (mod 4); together they cover all 4
    sets = [[inputs[(i + k) % len(inputs)] for k in range(3)] for i in range(n_procs)]
    outcomes = _outcomes(_start_together(sets, wh, lake, wait=120))
    assert [c for c, _ in outcomes] == [0] * n_procs, outcomes
    # every file content was loaded by exactly one process; the others skipped it
    assert sum(t.count("already loaded") for _, t in outcomes) == 3 * n_procs - len(inputs)
    assert _totals(wh, lake) == clean


def test_second_loader_without_wait_says_busy(inputs, clean, tmp_path):
    """While another writer holds the lock, a loader with --wait 0 exits 3 and changes nothing."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    with warehouse_lock(wh, 0):
        run = run_load(inputs, wh, lake, wait=0)
    assert run.returncode == BUSY_EXIT, run.stderr
    assert "warehouse is busy" in run.stderr and "--wait" in run.stderr
    assert not wh.exists() or _count(wh) == 0
    assert run_load(inputs, wh, lake, wait=0).returncode == 0
    assert _totals(wh, lake) == clean


def test_waiting_loader_loads_after_lock_is_released(inputs, clean, tmp_path):
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    with warehouse_lock(wh, 0):
        proc = start_load(inputs, wh, lake, wait=60)
        # its first line says it waits (however long this machine takes to start it)
        first = proc.stderr.readline()
        assert "waiting for the warehouse lock" in first, first
        assert proc.poll() is None, "the loader should be waiting for the lock"
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert _totals(wh, lake) == clean


def test_four_loaders_racing_with_no_wait(inputs, clean, tmp_path):
    """--wait 0: each process either loads or says busy; a final run completes the rest."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    outcomes = _outcomes(_start_together([inputs] * 4, wh, lake, wait=0))
    _assert_clear(outcomes)
    assert any(c == 0 for c, _ in outcomes)
    assert run_load(inputs, wh, lake).returncode == 0
    assert _totals(wh, lake) == clean


def test_status_and_rejects_during_a_load_are_clear(inputs, clean, tmp_path):
    """Read-only commands while a load writes: they answer, or say the warehouse is busy."""
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    assert run_load(inputs[:1], wh, lake).returncode == 0
    proc = start_load(inputs, wh, lake, chunk_bytes=2000)
    results = []
    while proc.poll() is None and len(results) < 20:
        for cmd in (["status"], ["rejects"]):
            p = run_cli(*cmd, "--warehouse", wh, timeout=120)
            results.append((p.returncode, p.stdout + p.stderr))
    proc.communicate(timeout=120)
    assert proc.returncode == 0
    _assert_clear([(c, t if c else "loaded") for c, t in results])
    assert _totals(wh, lake) == clean


def _count(wh: Path) -> int:
    con = connect_ro(wh)
    try:
        return con.execute("SELECT count(*) FROM raw.group_events").fetchone()[0]
    finally:
        con.close()


def test_build_started_during_a_load(inputs, clean, tmp_path):
    """`grouplake build` while a load runs: it waits / says busy / builds; the load is unharmed."""
    if importlib.util.find_spec("grouplake.dbt_runner") is None:
        pytest.skip("grouplake.dbt_runner (grouplake build) is not in the project yet")
    wh, lake = tmp_path / "wh.duckdb", tmp_path / "lake"
    assert run_load(inputs[:1], wh, lake).returncode == 0
    proc = start_load(inputs, wh, lake, chunk_bytes=2000)
    time.sleep(0.8)
    build = run_cli("build", "--warehouse", wh)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    text = build.stdout + build.stderr
    assert "Traceback" not in text, text[-3000:]
    assert build.returncode == 0 or "warehouse is busy" in text, text[-3000:]
    assert _totals(wh, lake) == clean
