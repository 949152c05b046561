"""Operational errors: one line on stderr naming the path and the cause, the exit code of
loader/errors.py, never a traceback; Ctrl-C during a load commits nothing and leaves no staging.

Most cases run the real entry point (`grouplake.cli.main`) in-process; Ctrl-C runs the CLI in a
subprocess and sends it SIGINT in the middle of a load. Paths under /sys and /proc cannot be
created or written even by root, so these tests hold whoever runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

import grouplake
from grouplake import errors

from helpers import GROUPLAKE, REPO_ROOT, SAMPLE_DIR, Warehouse, invoke

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /sys and /proc")


@pytest.fixture
def invoke_narrow():
    """`grouplake ARGS` through the console-script entry point, in this process (helpers.invoke),
    on a narrow terminal: it must not fold the error line."""
    return lambda *args, **env: invoke(*args, env={"COLUMNS": "80", **env})


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Warehouse:
    """The sample loaded once (it has rejects, for `rejects --export`)."""
    wh = Warehouse(tmp_path_factory.mktemp("loaded"))
    assert wh.load(SAMPLE_DIR).ok
    return wh


def test_version_is_the_one_version(invoke_narrow):
    from importlib.metadata import version

    res = invoke_narrow("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"grouplake {grouplake.__version__}"
    assert version("grouplake") == grouplake.__version__


def test_public_api_is_importable_from_grouplake():
    from grouplake import (  # noqa: F401
        FileResult,
        GrouplakeError,
        InputNotFound,
        LoadReport,
        OutputNotWritable,
        RunResult,
        WarehouseBusy,
        WarehouseNotFound,
        WarehouseUnusable,
        build,
        load_paths,
        run,
    )

    assert set(grouplake.__all__) >= {
        "load_paths",
        "build",
        "run",
        "LoadReport",
        "FileResult",
        "GrouplakeError",
        "InputNotFound",
        "WarehouseBusy",
    }
    for name in grouplake.__all__:
        assert hasattr(grouplake, name), name


def test_warehouse_in_a_folder_without_write_permission(invoke_narrow):
    res = invoke_narrow("load", "-w", "/sys/wh.duckdb", "-l", "/tmp/unused-lake", SAMPLE_DIR)
    assert res.returncode == errors.WarehouseUnusable.exit_code == 5
    assert "/sys/wh.duckdb" in res.line and "Permission denied" in res.line


def test_warehouse_in_a_folder_that_cannot_be_created(invoke_narrow, tmp_path):
    res = invoke_narrow("load", "-w", "/proc/x/wh.duckdb", "-l", tmp_path / "lake", SAMPLE_DIR)
    assert res.returncode == 5
    assert "/proc/x/wh.duckdb" in res.line and "No such file or directory" in res.line
    assert not (tmp_path / "lake").exists()


@pytest.mark.parametrize("damage", ["truncated", "not_duckdb"])
@pytest.mark.parametrize("command", ["status", "load", "rejects", "build"])
def test_corrupt_or_truncated_warehouse(invoke_narrow, loaded, tmp_path, damage, command):
    bad = tmp_path / "bad.duckdb"
    if damage == "truncated":
        shutil.copy(loaded.path, bad)
        os.truncate(bad, 20_000)
    else:
        bad.write_bytes(b"this is not a database\n" * 1000)
    args = {
        "status": ["status", "-w", bad, "-l", tmp_path / "lake"],
        "rejects": ["rejects", "-w", bad],
        "build": ["build", "-w", bad],
        "load": ["load", "-w", bad, "-l", tmp_path / "lake", SAMPLE_DIR],
    }[command]
    res = invoke_narrow(*args)
    assert res.returncode == 5
    assert res.line.startswith(f"error: cannot open warehouse {bad}: ")
    assert (
        "Could not read enough bytes" if damage == "truncated" else "not a valid DuckDB database"
    ) in res.line
    assert not (tmp_path / "bad.duckdb.dbt").exists()


def test_rejects_export_to_a_path_that_cannot_be_written(invoke_narrow, loaded, tmp_path):
    res = invoke_narrow("rejects", "-w", loaded.path, "--export", "/sys/x.ndjson")
    assert res.returncode == errors.OutputNotWritable.exit_code == 6
    assert res.line == "error: cannot write /sys/x.ndjson: Permission denied"
    (tmp_path / "afile").write_text("")
    res = invoke_narrow("rejects", "-w", loaded.path, "--export", tmp_path / "afile" / "x.ndjson")
    assert (
        res.returncode == 6
        and f"cannot write {tmp_path / 'afile' / 'x.ndjson'}: Not a directory" in res.line
    )
    # and a writable path still works
    res = invoke_narrow("rejects", "-w", loaded.path, "--export", tmp_path / "out" / "fix.ndjson")
    assert res.returncode == 0 and (tmp_path / "out" / "fix.ndjson").read_bytes().count(b"\n") >= 1


@pytest.mark.parametrize("lake", ["/sys/grouplake-lake", "FILE/lake"])
def test_lake_folder_that_cannot_be_written_is_the_lakes_error(invoke_narrow, tmp_path, lake):
    (tmp_path / "FILE").write_text("a file where the lake's parent folder should be")
    lake_path = lake.replace("FILE", str(tmp_path / "FILE"))
    wh = tmp_path / "wh.duckdb"
    res = invoke_narrow("load", "-w", wh, "-l", lake_path, SAMPLE_DIR)
    assert res.returncode == 6
    assert res.line.startswith(f"error: cannot write the lake folder {lake_path}: ")
    assert "cannot read" not in res.line and "sample" not in res.line
    # nothing was loaded or recorded
    if wh.exists():
        con = duckdb.connect(str(wh), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM raw.load_ledger").fetchone()[0] == 0
        finally:
            con.close()


def test_lake_write_failing_mid_load_stops_the_load_and_commits_nothing(tmp_path):
    """The lake becomes unwritable after the checks (its staging folder is replaced by a file)."""
    from grouplake import lake as lake_files

    wh = Warehouse(tmp_path)
    path = wh.write(
        "a.ndjson", [{"type": "group", "groupId": "g", "messageId": f"m{i}"} for i in range(10)]
    )
    original = lake_files.start_batch

    def sabotaged(lake, batch_id):
        shutil.rmtree(Path(lake) / lake_files.STAGING)
        (Path(lake) / lake_files.STAGING).write_text("")
        return original(lake, batch_id)

    lake_files.start_batch = sabotaged
    try:
        with pytest.raises(
            errors.OutputNotWritable, match=f"cannot write the lake folder {wh.lake}: "
        ):
            wh.load(path)
    finally:
        lake_files.start_batch = original
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 0
    (wh.lake / lake_files.STAGING).unlink()
    assert wh.load(path).loaded == 10


@pytest.mark.parametrize("value", ["0", "-1", "ten"])
def test_bad_chunk_size_is_a_usage_error(invoke_narrow, tmp_path, value):
    res = invoke_narrow(
        "load",
        "--chunk-mb",
        value,
        "-w",
        tmp_path / "wh.duckdb",
        "-l",
        tmp_path / "lake",
        SAMPLE_DIR,
    )
    assert res.returncode == errors.EXIT_USAGE == 2
    assert "--chunk-mb" in res.line and res.line.startswith("error: Invalid value")
    assert _tree(tmp_path) == []


def test_negative_wait_is_a_usage_error(invoke_narrow, tmp_path):
    res = invoke_narrow("build", "--wait", "-1", "-w", tmp_path / "wh.duckdb")
    assert res.returncode == 2 and "--wait" in res.line
    assert _tree(tmp_path) == []


@pytest.mark.parametrize(
    "command", [["status"], ["build"], ["rejects"], ["rejects", "--export", "out.ndjson"]]
)
def test_read_only_commands_on_a_missing_warehouse_create_nothing(
    invoke_narrow, tmp_path, monkeypatch, command
):
    monkeypatch.chdir(tmp_path)
    wh = tmp_path / "nothing" / "here.duckdb"
    res = invoke_narrow(*command, "-w", wh)
    assert res.returncode == errors.WarehouseNotFound.exit_code == 4
    assert res.line == f"error: no warehouse at {wh}: run `grouplake load` first"
    assert _tree(tmp_path) == []


def test_load_still_creates_a_new_warehouse_and_its_folders(invoke_narrow, tmp_path):
    wh = tmp_path / "new" / "deeper" / "wh.duckdb"
    res = invoke_narrow("load", "-w", wh, "-l", tmp_path / "lake", SAMPLE_DIR)
    assert res.returncode == 0, res.stderr
    assert wh.exists()


def test_debug_shows_the_traceback(invoke_narrow, tmp_path):
    with pytest.raises(errors.WarehouseNotFound):
        invoke_narrow("--debug", "status", "-w", tmp_path / "none.duckdb")
    with pytest.raises(errors.WarehouseNotFound):
        invoke_narrow("status", "-w", tmp_path / "none.duckdb", GROUPLAKE_DEBUG="1")


def test_ctrl_c_during_a_load_commits_nothing_and_the_next_run_loads_the_file(tmp_path):
    wh = Warehouse(tmp_path)
    n = 120_000
    path = wh.inputs / "big.ndjson"
    with open(path, "w") as f:
        for i in range(n):
            f.write(
                json.dumps(
                    {
                        "type": "group",
                        "groupId": f"g{i % 300}",
                        "userId": f"u{i}",
                        "messageId": f"m{i}",
                        "timestamp": "2026-11-01T10:00:00Z",
                        "traits": {"name": f"n{i}", "plan": "pro", "employees": i},
                    }
                )
                + "\n"
            )
    # small chunks: the load takes seconds, and SIGINT arrives while chunks are being staged
    proc = subprocess.Popen(
        [*GROUPLAKE, "load", "--chunk-bytes", "65536", str(path)],
        cwd=REPO_ROOT,
        env=wh.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # Ctrl-C as a terminal delivers it: to a process whose SIGINT is not ignored (a child
        # inherits an ignored SIGINT, and something in a long pytest session may ignore it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    staged = wh.lake / "_staging" / "batch_1" / "group_events"
    deadline = time.monotonic() + 120
    while not staged.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, "the load ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)  # at once: a quiet machine stages the rest in well under 1 s
    out, err = proc.communicate(timeout=120)

    assert proc.returncode == errors.EXIT_INTERRUPTED == 130, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: interrupted: "), err
    assert "Traceback" not in err + out
    assert not list((wh.lake / "_staging").glob("batch_*"))
    assert not list(wh.lake.glob("group_events/**/*.parquet"))
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 0
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 0

    report = wh.load(path)
    assert report.ok and report.loaded == n and report.loaded_files == 1
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == n
    assert len(wh.lake_rows("message_id")) == n
