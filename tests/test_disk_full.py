"""A full disk or a read-only file system under the lake or the warehouse, for real.

Each case mounts a small tmpfs (root only: skipped otherwise) under the lake or the warehouse
and makes it full or read-only at a chosen point of a batch: either the tmpfs is too small, or
the fault hook fills it (``GROUPLAKE_FAULT=<point>`` with ``GROUPLAKE_FAULT_FILL=<dir>``: at that
point the loader writes a filler file until ENOSPC, then goes on, so its next write there fails
with a real "no space left on device"). The load must stop with one error line naming the path,
exit non-zero, leave only whole batches; once the space is freed, the same command again must
give exactly the tables of one clean run.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from grouplake.faults import FILL_FILE, fill_disk
from grouplake.reader import iter_chunks

from helpers import (
    SMALL_CHUNK_BYTES,
    assert_consistent,
    run_forget,
    run_load,
    snapshot,
    staging_files,
    write_inputs,
)

N_FILES = 4


def _can_mount() -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    probe = Path("/tmp") / f"grouplake-tmpfs-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    try:
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe)],
            capture_output=True,
            text=True,
        )
        if r.returncode != 0:
            return f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}"
        subprocess.run(["umount", str(probe)], check=True)
        return None
    except OSError as exc:
        return f"cannot run mount: {exc}"
    finally:
        probe.rmdir()


_REASON = _can_mount()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


class Tmpfs:
    def __init__(self):
        self.mounted: list[Path] = []

    def mount(self, where: Path, size: str) -> Path:
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], check=True
        )
        self.mounted.append(where)
        return where

    @staticmethod
    def remount(where: Path, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(where)], check=True)

    def unmount_all(self) -> None:
        for where in reversed(self.mounted):
            if subprocess.run(["umount", str(where)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(where)], capture_output=True)


@pytest.fixture
def tmpfs():
    t = Tmpfs()
    try:
        yield t
    finally:
        t.unmount_all()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    return write_inputs(tmp_path_factory.mktemp("disk_inputs"), n_files=N_FILES, lines_per_file=150)


@pytest.fixture(scope="module")
def clean(inputs, tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("clean")
    assert run_load(inputs, d / "wh.duckdb", d / "lake").returncode == 0
    return assert_consistent(d / "wh.duckdb", d / "lake")


@pytest.fixture(scope="module")
def chunk_ends(inputs) -> list[int]:
    """The after_chunk count at the last chunk of each file."""
    ends, total = [], 0
    for p in inputs:
        total += sum(1 for _ in iter_chunks(p, SMALL_CHUNK_BYTES))
        ends.append(total)
    return ends


def _run_filling(inputs, wh, lake, fault: str, fill: Path):
    """A load that, at ``fault``, fills the disk under ``fill`` (loader/faults.py)."""
    return run_load(inputs, wh, lake, fault=fault, env={"GROUPLAKE_FAULT_FILL": str(fill)})


def _assert_clear_failure(
    run, path_part: str, what: str, *, exit_code: int = 6, rerun_hint: bool = True
) -> None:
    assert run.returncode == exit_code, (run.returncode, run.stderr[-2000:])
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    errors = [line for line in run.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.stderr[-2000:]
    text = errors[0]
    assert what in text.lower() and path_part in text, text
    assert "run the same command again" in text or not rerun_hint, text


def _assert_whole_batches(wh: Path, lake: Path) -> None:
    if wh.exists():
        assert_consistent(wh, lake, require_published=False)
    assert staging_files(lake) == [] or not os.access(lake, os.W_OK)


def _free(d: Path) -> None:
    (d / FILL_FILE).unlink(missing_ok=True)


# ------------------------------------------------------------------------------- the lake


@pytest.mark.parametrize(
    "where", ["first_chunk_of_file1", "middle_of_file2", "last_chunk_of_file3"]
)
def test_lake_fills_up_during_a_batch(where, inputs, clean, chunk_ends, tmpfs, tmp_path):
    lake = tmpfs.mount(tmp_path / "lake", "16m")
    wh = tmp_path / "wh" / "wh.duckdb"
    point = {
        "first_chunk_of_file1": 1,
        "middle_of_file2": chunk_ends[0] + 2,
        "last_chunk_of_file3": chunk_ends[2] - 1,
    }[where]
    run = _run_filling(inputs, wh, lake, fault=f"after_chunk:{point}", fill=lake)
    _assert_clear_failure(run, str(lake), "no space left on device")
    _assert_whole_batches(wh, lake)
    _free(lake)
    final = run_load(inputs, wh, lake)
    assert final.returncode == 0, final.stderr
    assert assert_consistent(wh, lake) == clean


def test_lake_too_small_for_the_load(inputs, clean, tmpfs, tmp_path):
    """No hook: the tmpfs is smaller than the lake; then it is made larger."""
    lake = tmpfs.mount(tmp_path / "lake", "160k")
    wh = tmp_path / "wh" / "wh.duckdb"
    run = run_load(inputs, wh, lake)
    _assert_clear_failure(run, str(lake / "_staging"), "no space left on device")
    _assert_whole_batches(wh, lake)
    snap = snapshot(wh, lake)
    assert 0 < len(snap["ledger"]) < N_FILES, "the lake should fill up part way"
    tmpfs.remount(lake, "size=16m")
    assert run_load(inputs, wh, lake).returncode == 0
    assert assert_consistent(wh, lake) == clean


# -------------------------------------------------------------------------- the warehouse


@pytest.mark.parametrize(
    "fault",
    [
        "after_chunk:last_of_file2",  # full before the insert: DuckDB keeps small inserts in memory, the commit fails
        "before_commit:1",  # the very first commit (the warehouse holds only the schema)
        "before_commit:3",
        "after_commit:2",  # committed; marking the batch published fails: recover publishes it later
    ],
)
def test_warehouse_fills_up(fault, inputs, clean, chunk_ends, tmpfs, tmp_path):
    whdir = tmpfs.mount(tmp_path / "wh", "16m")
    wh, lake = whdir / "wh.duckdb", tmp_path / "lake"
    fault = fault.replace("last_of_file2", str(chunk_ends[1]))
    run = _run_filling(inputs, wh, lake, fault=fault, fill=whdir)
    _assert_clear_failure(run, str(whdir), "no space left on device")
    _free(whdir)
    _assert_whole_batches(wh, lake)
    final = run_load(inputs, wh, lake)
    assert final.returncode == 0, final.stderr
    assert assert_consistent(wh, lake) == clean


# ---------------------------------------------------------------------------- read-only


def test_read_only_lake(inputs, clean, tmpfs, tmp_path):
    lake = tmpfs.mount(tmp_path / "lake", "16m")
    wh = tmp_path / "wh" / "wh.duckdb"
    assert run_load(inputs[:1], wh, lake).returncode == 0
    tmpfs.remount(lake, "ro")
    run = run_load(inputs, wh, lake)
    _assert_clear_failure(run, str(lake), "read-only file system", rerun_hint=False)
    assert len(snapshot(wh, lake)["ledger"]) == 1
    tmpfs.remount(lake, "rw")
    assert run_load(inputs, wh, lake).returncode == 0
    assert assert_consistent(wh, lake) == clean


def test_read_only_warehouse(inputs, clean, tmpfs, tmp_path):
    whdir = tmpfs.mount(tmp_path / "wh", "16m")
    wh, lake = whdir / "wh.duckdb", tmp_path / "lake"
    assert run_load(inputs[:2], wh, lake).returncode == 0
    tmpfs.remount(whdir, "ro")
    run = run_load(inputs, wh, lake)
    # the warehouse's lock file cannot even be opened: the warehouse is unusable (exit 5)
    _assert_clear_failure(run, str(whdir), "read-only file system", exit_code=5, rerun_hint=False)
    assert len(snapshot(wh, lake)["ledger"]) == 2
    tmpfs.remount(whdir, "rw")
    assert run_load(inputs, wh, lake).returncode == 0
    assert assert_consistent(wh, lake) == clean


# ------------------------------------------------------------------------------- forget


def test_forget_on_a_full_lake_removes_nothing_then_works(inputs, tmpfs, tmp_path):
    lake = tmpfs.mount(tmp_path / "lake", "16m")
    wh = tmp_path / "wh" / "wh.duckdb"
    assert run_load(inputs, wh, lake).returncode == 0
    before = snapshot(wh, lake)
    fill_disk(str(lake))
    run = run_forget(wh, lake, "--user-id", "u5")
    _assert_clear_failure(run, str(lake / "_forget"), "no space left on device")
    assert snapshot(wh, lake) == before
    _free(lake)
    ok = run_forget(wh, lake, "--user-id", "u5")
    assert ok.returncode == 0, ok.stderr
    after = snapshot(wh, lake)
    assert after["events"] == [r for r in before["events"] if r[4] != "u5"] != before["events"]
    assert after["lake_rows"] == after["events"]
