"""Every `grouplake` command in this process, through the console script's entry
(``grouplake.cli.main``, what the installed `grouplake` runs; helpers.invoke): its happy path's
output and real outcome (rows in the warehouse, the printed counts), and its error paths' exit
codes (loader/errors.py) and one-line messages.

What needs a real process stays in the other files: Ctrl-C (test_operational_errors), kills
(test_crash_safety, test_forget), standard input and pipes (test_streams), concurrent writers
(test_concurrency), the installed console script (test_package).
"""

from __future__ import annotations

import json
import re

import pytest

from grouplake import errors
from grouplake.warehouse import warehouse_lock

from helpers import SAMPLE_DIR, TRUNCATED_LINE, group_call, invoke

LINES = [
    group_call("acme", "u1", {"plan": "pro"}, message_id="m1"),
    group_call("acme", "u2", {"plan": "enterprise"}, ts="2026-11-02T10:00:00Z", message_id="m2"),
    group_call("beta", None, {"name": "Beta"}, message_id="m3", anonymousId="a7"),
    group_call("acme", "u1", {"plan": "pro"}, message_id="m1"),  # a duplicate
    TRUNCATED_LINE,  # invalid_json
    {"type": "identify", "userId": "u1", "messageId": "i1"},  # another call type: skipped
]


@pytest.fixture
def loaded(wh):
    """LINES loaded (through the CLI) into a fresh warehouse."""
    res = wh.invoke("load", wh.write("calls.ndjson", LINES))
    assert res.returncode == 0, res.stderr
    return wh


def _usage_error(res, *parts: str) -> None:
    assert res.returncode == errors.EXIT_USAGE == 2
    assert all(p in res.line for p in parts), res.line


# ------------------------------------------------------------------------------ grouplake


def test_no_command_prints_the_help_listing_every_command():
    res = invoke()
    assert res.returncode == 2 and res.stderr.strip() == ""
    for command in ("load", "build", "run", "status", "rejects", "forget", "suppress"):
        assert re.search(rf"│ {command}\s", res.stdout), command


def test_help_exits_0():
    res = invoke("--help")
    assert res.returncode == 0 and "Usage: grouplake [OPTIONS] COMMAND" in res.stdout


def test_unknown_command_and_unknown_option_are_usage_errors():
    _usage_error(invoke("nope"), "No such command 'nope'", "see `grouplake --help`")
    _usage_error(invoke("status", "--bogus"), "No such option: --bogus", "grouplake status --help")


# ------------------------------------------------------------------------------------ load


def test_load_prints_per_file_and_total_counts_and_lands_the_rows(wh):
    path = wh.write("calls.ndjson", LINES)
    res = wh.invoke("load", path)
    assert res.returncode == 0, res.stderr
    assert "read = loaded + rejected + duplicates + skipped: 6 = 3 + 1 + 1 + 1" in res.stdout
    assert "1 loaded, 0 skipped, 0 failed" in res.stdout
    assert "skipped (other call types, not stored): identify 1" in res.stdout
    assert "rejects by reason: invalid_json 1" in res.stdout
    assert (
        f"loaded {path} (new): read 6, loaded 3, rejected 1, duplicates 1, skipped 1" in res.stderr
    )
    assert wh.query("SELECT message_id, group_id FROM raw.group_events ORDER BY 1") == [
        ("m1", "acme"),
        ("m2", "acme"),
        ("m3", "beta"),
    ]
    assert wh.query("SELECT reason FROM raw.group_event_rejects") == [("invalid_json",)]
    assert len(wh.lake_rows("message_id")) == 3

    again = wh.invoke("load", path)
    assert again.returncode == 0 and "0 loaded, 1 skipped, 0 failed" in again.stdout
    assert f"skipped {path}: already loaded" in again.stderr
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 3


def test_load_json_and_other_types_reject(wh):
    res = wh.invoke("load", "--json", "--other-types", "reject", wh.write("c.ndjson", LINES))
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)  # the whole of stdout is the one JSON report
    assert report["exit_code"] == 0 and report["ok"] is True
    assert {k: report["totals"][k] for k in ("read", "loaded", "rejected", "skipped")} == {
        "read": 6,
        "loaded": 3,
        "rejected": 2,
        "skipped": 0,
    }
    assert report["rejects_by_reason"] == {"invalid_json": 1, "wrong_type": 1}
    assert wh.query("SELECT reason FROM raw.group_event_rejects ORDER BY 1") == [
        ("invalid_json",),
        ("wrong_type",),
    ]


def test_load_errors(wh, tmp_path):
    missing = tmp_path / "missing.ndjson"
    res = wh.invoke("load", missing)
    _usage_error(res)
    assert res.line == f"error: no such file or directory: {missing}"
    assert not wh.path.exists()
    _usage_error(wh.invoke("load"), "Missing argument 'paths'", "grouplake load --help")
    _usage_error(wh.invoke("load", "--other-types", "drop", SAMPLE_DIR), "--other-types")

    path = wh.write("calls.ndjson", LINES)
    with warehouse_lock(wh.path, wait_seconds=1):
        busy = wh.invoke("load", path, "--wait", "0")
    assert busy.returncode == errors.WarehouseBusy.exit_code == 3
    assert "warehouse is busy" in busy.line
    assert not wh.path.exists()  # nothing was created while another process held it


# ----------------------------------------------------------------------------------- status


def test_status_lists_the_ledger_and_the_row_counts(sample):
    res = sample.invoke("status")
    assert res.returncode == 0, res.stderr
    files = sorted(p.name for p in SAMPLE_DIR.glob("*.ndjson*"))
    assert all(name in res.stdout for name in files)
    counts = dict(re.findall(r"│ ([\w. ]+?) +│ +([\d,]+) │", res.stdout))
    assert counts["raw.group_events"] == str(sample.scalar("SELECT count(*) FROM raw.group_events"))
    assert counts["raw.group_event_rejects"] == "8" and counts["raw.load_ledger"] == "4"
    assert counts["lake parquet rows"] == counts["raw.group_events"]

    last = sample.invoke("status", "--limit", "1")
    assert "(last 1, times in UTC)" in last.stdout
    assert [name for name in files if name in last.stdout] == [files[-1]]


def test_status_errors(tmp_path):
    res = invoke("status", "-w", tmp_path / "none.duckdb")
    assert res.returncode == errors.WarehouseNotFound.exit_code == 4
    assert (
        res.line == f"error: no warehouse at {tmp_path / 'none.duckdb'}: run `grouplake load` first"
    )
    _usage_error(invoke("status", "--limit", "-1", "-w", tmp_path / "none.duckdb"), "--limit")


# ---------------------------------------------------------------------------------- rejects


def test_rejects_lists_by_reason_filters_and_exports(sample, tmp_path):
    open_by_reason = sample.query(
        "SELECT reason, count(*) FROM raw.group_event_rejects WHERE resolved_at IS NULL "
        "GROUP BY 1 ORDER BY 1"
    )
    res = sample.invoke("rejects")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[0] == "rejects by reason (open / resolved): " + ", ".join(
        f"{r} {n}/0" for r, n in open_by_reason
    )
    only = sample.invoke("rejects", "--reason", "invalid_json", "--all", "--file", "late")
    rows = [ln for ln in only.stdout.splitlines() if "2026-11-03-late-and-bad.ndjson" in ln]
    assert len(rows) == 1 and "invalid_json" in rows[0]
    none = sample.invoke("rejects", "--file", "no-such-file")
    assert none.returncode == 0 and "2026-11-03" not in none.stdout

    out = tmp_path / "fix-me.ndjson"
    exported = sample.invoke("rejects", "--export", out, "--limit", "1")
    n = sum(count for _, count in open_by_reason)
    assert (
        exported.returncode == 0 and exported.stdout.strip() == f"wrote {n} rejected lines to {out}"
    )
    assert out.read_bytes().count(b"\n") == n  # --limit only limits the listing


def test_rejects_errors(tmp_path):
    res = invoke("rejects", "-w", tmp_path / "none.duckdb")
    assert res.returncode == 4 and res.line.startswith("error: no warehouse at")
    _usage_error(invoke("rejects", "--limit", "x", "-w", tmp_path / "none.duckdb"), "--limit")


# ------------------------------------------------------------------------------------ build


def test_build_builds_the_selected_models(sample):
    """A mart dropped, then `grouplake build --select` it: it is back, with the same rows."""
    import duckdb

    before = sample.query("SELECT * FROM main.group_trait_catalog ORDER BY ALL")
    con = duckdb.connect(str(sample.path))
    con.execute("DROP TABLE main.group_trait_catalog")
    con.close()
    res = sample.invoke("build", "--select", "group_trait_catalog")
    assert res.returncode == 0, res.stderr
    assert before and sample.query("SELECT * FROM main.group_trait_catalog ORDER BY ALL") == before


def test_build_errors(loaded, tmp_path):
    res = invoke("build", "-w", tmp_path / "none.duckdb")
    assert res.returncode == 4 and res.line.startswith("error: no warehouse at")
    _usage_error(loaded.invoke("build", "--engine", "presto"), "--engine")
    with warehouse_lock(loaded.path, wait_seconds=1):
        busy = loaded.invoke("build", "--wait", "0")
    assert busy.returncode == 3 and "warehouse is busy" in busy.line
    # an option dbt does not know: dbt's own exit code, and where its log is
    bad = loaded.invoke("build", "--no-such-dbt-flag")
    assert bad.returncode == 2
    assert bad.line == (
        f"error: dbt build failed (exit code 2); dbt's log: {loaded.path}.dbt/logs/dbt.log"
    )
    assert (
        loaded.scalar("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'")
        == 0
    )


# -------------------------------------------------------------------------------------- run


def test_run_prints_the_load_report_and_the_summary_of_the_marts(sample):
    """The session's `grouplake run data/sample` (conftest.py)."""
    out = sample.output
    assert "4 loaded, 0 skipped, 0 failed" in out
    assert "read = loaded + rejected + duplicates + skipped: 355 = 344 + 8 + 2 + 1" in out
    groups = sample.scalar("SELECT count(*) FROM main.groups")
    events = sample.scalar("SELECT count(*) FROM raw.group_events")
    assert (groups, events) == (13, 344)
    assert f"{groups} groups from {events} calls" in out


def test_run_errors(wh, tmp_path):
    no_paths = wh.invoke("run", "--full-refresh")
    assert no_paths.returncode == 2
    assert no_paths.line == "error: no input paths given: grouplake run PATH... [dbt options]"
    as_json = wh.invoke("run", "--json", "--full-refresh")
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 2 and (report["exit_code"], report["build"]) == (2, None)
    missing = wh.invoke("run", tmp_path / "missing.ndjson")
    assert missing.returncode == 2 and "no such file or directory" in missing.line
    assert not wh.path.exists()


# ----------------------------------------------------------------------------------- forget


def test_forget_dry_run_then_forget(loaded):
    dry = loaded.invoke("forget", "--user-id", "u1", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "would remove: 1 events, 0 rejects, 1 duplicates; lake files to rewrite 1, to delete 0",
        "dry run: nothing was changed",
    ]
    assert loaded.scalar("SELECT count(*) FROM raw.group_events WHERE user_id = 'u1'") == 1

    res = loaded.invoke("forget", "--user-id", "u1", "--anonymous-id", "a7")
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[:2] == [
        "removed: 2 events, 0 rejects, 1 duplicates; lake files rewritten 1, deleted 0",
        "recorded as deletion 1 in raw.deletion_log",
    ]
    assert loaded.query("SELECT message_id FROM raw.group_events") == [("m2",)]
    assert sorted(r[0] for r in loaded.lake_rows("message_id")) == ["m2"]
    assert loaded.query("SELECT events_removed FROM raw.deletion_log") == [(2,)]


def test_forget_errors(loaded, tmp_path):
    res = loaded.invoke("forget")
    assert res.returncode == errors.EXIT_FAILED == 1
    assert res.line == "error: nothing to forget: give --user-id, --anonymous-id or --group-id"
    none = tmp_path / "none.duckdb"
    res = invoke("forget", "--user-id", "u1", "-w", none, "-l", tmp_path / "lake")
    assert res.returncode == 4 and res.line == f"error: no warehouse at {none}: nothing to forget"
    assert not none.exists()
    with warehouse_lock(loaded.path, wait_seconds=1):
        busy = loaded.invoke("forget", "--user-id", "u1", "--wait", "0")
    assert busy.returncode == 3 and "warehouse is busy" in busy.line
    assert loaded.scalar("SELECT count(*) FROM raw.group_events") == 3


# --------------------------------------------------------------------------------- suppress


def test_suppress_list_and_remove(loaded):
    res = loaded.invoke("suppress", "u1", "u2")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == (
        "suppressed 2 new user id(s) (0 already were); later loads drop their lines"
    )
    assert loaded.invoke("suppress", "a7", "--kind", "anonymous").returncode == 0
    listing = loaded.invoke("suppress", "--list")
    assert "suppressed identities (3)" in listing.stdout
    assert "u1" not in listing.stdout  # salted hashes only
    assert loaded.query(
        "SELECT kind, count(*) FROM raw.suppressed_identities GROUP BY 1 ORDER BY 1"
    ) == [
        ("anonymous", 1),
        ("user", 2),
    ]
    removed = loaded.invoke("suppress", "--remove", "u2", "nobody")
    assert removed.stdout.strip() == "removed 1 of 2 from the suppression list"
    more = loaded.write("more.ndjson", [group_call("acme", "u1", message_id="m9")])
    assert json.loads(loaded.invoke("load", "--json", more).stdout)["totals"]["suppressed"] == 1
    assert loaded.scalar("SELECT count(*) FROM raw.group_events WHERE message_id = 'm9'") == 0


def test_suppress_errors(loaded):
    res = loaded.invoke("suppress")
    assert res.returncode == 1 and res.line == "error: give the ids to suppress (or --list)"
    res = loaded.invoke("suppress", "x", "--kind", "email")
    assert res.returncode == 1
    assert res.line == "error: unknown identity kind 'email': use one of user, anonymous, group"
    assert loaded.scalar("SELECT count(*) FROM raw.suppressed_identities") == 0
