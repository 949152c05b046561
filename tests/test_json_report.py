"""`--json` for schedulers: one JSON report on stdout (nothing else there), the exit code in it and
as the process's exit code, for success, a failed file, a missing input and a busy warehouse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from grouplake.warehouse import warehouse_lock

from helpers import group_call

MIXED = [
    group_call("acme", message_id="a"),
    group_call("acme", message_id="a", user_id="other"),  # duplicate, other content
    group_call("acme", message_id="a"),  # duplicate, same content
    {"type": "identify", "userId": "u1"},
    {"type": "track", "event": "Clicked"},
    {"type": "track", "event": "Clicked"},
    '{"type": "group", "groupId": ',  # invalid_json
    {"type": "group", "userId": "u1"},  # missing_group_id
]


def report_of(res: subprocess.CompletedProcess) -> dict:
    doc = json.loads(res.stdout)  # the whole of stdout is one JSON document
    assert doc["exit_code"] == res.returncode
    return doc


def test_load_json_report(wh):
    path = wh.write("mixed.ndjson", MIXED)
    res = wh.invoke("load", "--json", str(path))
    assert res.returncode == 0, res.stderr
    doc = report_of(res)
    assert doc["ok"] is True and doc["error"] is None
    assert doc["totals"] == {
        "files": 1,
        "files_loaded": 1,
        "files_skipped": 0,
        "files_failed": 0,
        "bytes": path.stat().st_size,
        "read": 8,
        "loaded": 1,
        "rejected": 2,
        "duplicates": 2,
        "duplicates_differing": 1,
        "skipped": 3,
        "suppressed": 0,
    }
    t = doc["totals"]
    assert t["read"] == t["loaded"] + t["rejected"] + t["duplicates"] + t["skipped"]
    assert doc["skipped_by_type"] == {"identify": 1, "track": 2}
    assert doc["rejects_by_reason"] == {"invalid_json": 1, "missing_group_id": 1}
    [f] = doc["files"]
    assert (f["path"], f["status"], f["batch_id"], f["read"], f["skipped_by_type"]) == (
        str(path),
        "loaded",
        1,
        8,
        {"identify": 1, "track": 2},
    )
    assert "loaded" in res.stderr  # the per-file line still goes to stderr

    again = report_of(wh.invoke("load", "--json", str(path)))
    assert (
        again["exit_code"] == 0
        and again["totals"]["files_skipped"] == 1
        and again["totals"]["read"] == 0
    )
    assert again["files"][0]["status"] == "skipped"


def test_load_json_failed_file_is_exit_1(wh, monkeypatch):
    from typer.testing import CliRunner

    import grouplake.reader
    from grouplake.cli import app

    good = wh.write("good.ndjson", [group_call(message_id="g")])
    locked = wh.write("locked.ndjson", [group_call(message_id="l")])
    real_open = open

    def guarded_open(file, *a, **k):  # a read error (root reads mode-000 files, so simulate it)
        if Path(file) == locked:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *a, **k)

    monkeypatch.setattr(grouplake.reader, "open", guarded_open, raising=False)
    res = CliRunner().invoke(
        app,
        [
            "load",
            "--json",
            "--warehouse",
            str(wh.path),
            "--lake",
            str(wh.lake),
            str(good),
            str(locked),
        ],
    )
    doc = json.loads(res.stdout)
    assert res.exit_code == 1 and doc["exit_code"] == 1 and doc["ok"] is False
    assert doc["totals"]["files_loaded"] == 1 and doc["totals"]["files_failed"] == 1
    failed = [f for f in doc["files"] if f["status"] == "failed"]
    assert failed[0]["path"] == str(locked) and "Permission denied" in failed[0]["error"]


def test_load_json_missing_input_is_exit_2(wh):
    res = wh.invoke("load", "--json", str(wh.inputs / "nope.ndjson"))
    doc = report_of(res)
    assert res.returncode == 2 and doc["files"] == [] and "no such file" in doc["error"]
    assert "no such file" in res.stderr


def test_load_json_busy_warehouse_is_exit_3(wh):
    path = wh.write("d.ndjson", [group_call(message_id="g")])
    with warehouse_lock(wh.path, 1):
        res = wh.cli("load", "--json", "--wait", "0.3", str(path))
    doc = report_of(res)
    assert res.returncode == 3 and "busy" in doc["error"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX only")
def test_run_json_report_includes_the_build(wh, tmp_path):
    path = wh.write("d.ndjson", [group_call("acme", message_id="g", traits={"plan": "pro"})])
    env = {
        "DBT_TARGET_PATH": str(tmp_path / "dbt" / "target"),
        "DBT_LOG_PATH": str(tmp_path / "dbt" / "logs"),
    }
    res = wh.cli("run", "--json", str(path), env=env)
    doc = report_of(res)
    assert res.returncode == 0, res.stderr[-3000:]
    assert doc["build"] == {"exit_code": 0} and doc["totals"]["loaded"] == 1
    assert "Completed successfully" in res.stderr  # dbt's output went to stderr
    assert wh.query("SELECT group_id FROM groups") == [("acme",)]
