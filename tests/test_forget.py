"""`grouplake forget`: an identity's rows leave the raw tables, the rejects and the lake, provably.

The expected result is computed independently in Python from the snapshot before the forget
(rows of the identity filtered out by the documented rules), and compared with what the real CLI
leaves in DuckDB and in the Parquet lake. Kills at each forget fault point must leave the old
or the new state, and a re-run must finish the job.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from helpers import (
    assert_consistent,
    call,
    connect_ro,
    group_call,
    lake_files,
    run_forget,
    run_load,
    snapshot,
    staging_files,
    write_inputs,
)

FORGET = {"user": ["u5", "u17"], "anonymous": ["anon-3"], "group": ["g7"]}
FLAGS = {"user": "--user-id", "anonymous": "--anonymous-id", "group": "--group-id"}
EVENT_INDEX = {"user": 4, "anonymous": 5, "group": 3}  # columns in snapshot["events"] rows


def forget_args(forget: dict[str, list[str]]) -> list[str]:
    return [a for kind, ids in forget.items() for i in ids for a in (FLAGS[kind], i)]


def _extra_lines(root: Path) -> Path:
    """Rejects that carry the ids in several ways, plus one that must survive."""
    lines = [
        {"type": "group", "userId": "u5", "messageId": "r1"},  # missing_group_id, parsed userId
        {"type": "group", "anonymousId": "anon-3", "messageId": "r2"},  # missing_group_id
        {
            "type": "group",
            "groupId": "g7",
            "traits": "x",
            "messageId": "r3",
        },  # invalid_traits, groupId
        '{"type": "group", "groupId": "gx", "note": "u17", ',  # invalid JSON with "u17"
        {"type": "group", "groupId": "", "properties": {"by": ["u17"]}},  # nested string value
        {"type": "group", "groupId": "", "userId": "u55"},  # must stay (u55 != u5)
        {"type": "group", "groupId": "", "userId": 5},  # number 5 is not "u5"
    ]
    path = root / "zz-extra.ndjson"
    path.write_bytes(
        b"".join((x if isinstance(x, str) else json.dumps(x)).encode() + b"\n" for x in lines)
    )
    return path


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("forget_inputs")
    return [*write_inputs(root, n_files=3, lines_per_file=120), _extra_lines(root)]


@pytest.fixture(scope="module")
def loaded(inputs, tmp_path_factory) -> tuple[Path, dict]:
    """A loaded warehouse + lake (copied per test) and its snapshot."""
    d = tmp_path_factory.mktemp("loaded")
    assert run_load(inputs, d / "wh.duckdb", d / "lake").returncode == 0
    return d, assert_consistent(d / "wh.duckdb", d / "lake")


def _copy(src: Path, dst: Path) -> tuple[Path, Path]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    return dst / "wh.duckdb", dst / "lake"


def _duplicates(wh: Path) -> list[tuple]:
    con = connect_ro(wh)
    try:
        return sorted(
            con.execute(
                "SELECT message_id, raw_line, source_file, source_line "
                "FROM raw.group_event_duplicates"
            ).fetchall()
        )
    finally:
        con.close()


def _reject_matches(raw_line: str | None, forget: dict[str, list[str]]) -> bool:
    """The documented rule, independently: parsed id fields of a JSON object, or "id" in the text."""
    if raw_line is None:
        return False
    ids = [i for v in forget.values() for i in v]
    if any(json.dumps(i) in raw_line for i in ids):
        return True
    try:
        doc = json.loads(raw_line)
    except ValueError:
        return False
    fields = {"user": "userId", "anonymous": "anonymousId", "group": "groupId"}
    return isinstance(doc, dict) and any(
        doc.get(fields[k]) is not None and str(doc.get(fields[k])) in v for k, v in forget.items()
    )


def expected_after(before: dict, forget: dict[str, list[str]]) -> dict:
    def keep_event(row):
        return not any(row[EVENT_INDEX[k]] in ids for k, ids in forget.items())

    return {
        "events": [r for r in before["events"] if keep_event(r)],
        "lake_rows": [r for r in before["lake_rows"] if keep_event(r)],
        "rejects": [r for r in before["rejects"] if not _reject_matches(r[5], forget)],
    }


def part(snap: dict) -> dict:
    return {k: snap[k] for k in ("events", "lake_rows", "rejects")}


def salt_of(wh: Path) -> str:
    return Path(str(wh) + ".salt").read_text().strip()


def test_forget_removes_every_row_of_the_identities(loaded, tmp_path):
    src, before = loaded
    wh, lake = _copy(src, tmp_path / "w")
    expected = expected_after(before, FORGET)
    n_events = len(before["events"]) - len(expected["events"])
    n_rejects = len(before["rejects"]) - len(expected["rejects"])
    assert n_events > 20 and n_rejects == 5, (n_events, n_rejects)

    run = run_forget(wh, lake, *forget_args(FORGET))
    assert run.returncode == 0, run.stderr
    assert f"removed: {n_events} events, {n_rejects} rejects" in run.stdout
    after = snapshot(wh, lake)
    assert part(after) == expected
    assert after["lake_rows"] == after["events"]
    assert not Path(lake, "_forget").exists() and staging_files(lake) == []

    con = connect_ro(wh)
    try:
        log = con.execute(
            "SELECT deletion_id, identities, events_removed, rejects_removed, duplicates_removed, "
            "lake_files_rewritten, lake_files_removed, lake_swapped, suppressed, "
            "marts_rebuilt_at FROM raw.deletion_log"
        ).fetchall()
        ledger = con.execute(
            "SELECT sum(loaded_count - forgotten_count), sum(forgotten_count), "
            "sum(rejected_count - forgotten_reject_count), sum(forgotten_reject_count) "
            "FROM raw.load_ledger WHERE status = 'loaded'"
        ).fetchone()
        per_batch = con.execute("""
            SELECT l.batch_id, l.loaded_count - l.forgotten_count,
                   (SELECT count(*) FROM raw.group_events e WHERE e.batch_id = l.batch_id),
                   l.rejected_count - l.forgotten_reject_count,
                   (SELECT count(*) FROM raw.group_event_rejects r WHERE r.batch_id = l.batch_id)
            FROM raw.load_ledger l WHERE status = 'loaded'""").fetchall()
        log_text = con.execute(
            "SELECT string_agg(t::VARCHAR, '') FROM raw.deletion_log t"
        ).fetchone()[0]
    finally:
        con.close()
    salt = salt_of(wh)
    hashes = sorted(
        f"{k}:{hashlib.sha256((salt + i).encode()).hexdigest()}"
        for k, v in FORGET.items()
        for i in v
    )
    ((deletion_id, identities, ev, rj, dup, rewritten, removed, swapped, suppressed, rebuilt),) = (
        log
    )
    assert (deletion_id, sorted(identities), ev, rj, swapped, suppressed, rebuilt) == (
        1,
        hashes,
        n_events,
        n_rejects,
        True,
        False,
        None,
    )
    # duplicates go with the event they duplicate, or when their own raw line matches
    gone_ids = {r[0] for r in before["events"]} - {r[0] for r in expected["events"]}
    dups_before = _duplicates(src / "wh.duckdb")
    dups_expected = sorted(
        d for d in dups_before if d[0] not in gone_ids and not _reject_matches(d[1], FORGET)
    )
    assert _duplicates(wh) == dups_expected and dup == len(dups_before) - len(dups_expected) > 0
    assert rewritten and set(rewritten).isdisjoint(removed)
    for i in (i for v in FORGET.values() for i in v):
        assert i not in log_text, "the audit row must not hold the id"
    # the ledger keeps what each load did, and what was forgotten from it since
    assert ledger == (len(expected["events"]), n_events, len(expected["rejects"]), n_rejects)
    assert all(r[1] == r[2] and r[3] == r[4] for r in per_batch), per_batch
    # the ledger lists exactly the lake files left
    assert sorted(f for row in after["ledger"] for f in row[10]) == after["lake_files"]
    assert oct(Path(str(wh) + ".salt").stat().st_mode & 0o777) == "0o600"


def test_dry_run_counts_and_changes_nothing(loaded, tmp_path):
    src, before = loaded
    wh, lake = _copy(src, tmp_path / "w")
    files_before = {p: p.stat().st_mtime_ns for p in Path(lake).rglob("*.parquet")}
    run = run_forget(wh, lake, *forget_args(FORGET), "--dry-run")
    assert run.returncode == 0, run.stderr
    expected = expected_after(before, FORGET)
    assert (
        f"would remove: {len(before['events']) - len(expected['events'])} events, "
        f"{len(before['rejects']) - len(expected['rejects'])} rejects"
    ) in run.stdout
    assert snapshot(wh, lake) == before
    assert {p: p.stat().st_mtime_ns for p in Path(lake).rglob("*.parquet")} == files_before
    con = connect_ro(wh)
    try:
        assert con.execute("SELECT count(*) FROM raw.deletion_log").fetchone()[0] == 0
    finally:
        con.close()


def test_forget_unknown_id_is_logged_with_zero_counts(loaded, tmp_path):
    src, before = loaded
    wh, lake = _copy(src, tmp_path / "w")
    run = run_forget(wh, lake, "--user-id", "nobody")
    assert run.returncode == 0, run.stderr
    assert "removed: 0 events, 0 rejects" in run.stdout
    assert part(snapshot(wh, lake)) == part(before)


def test_forget_removes_the_duplicates_of_forgotten_events(wh):
    """raw.group_event_duplicates: rows of a forgotten event's duplicates go with it (same message_id)."""
    lines = [
        group_call("g1", "alice", {"plan": "a"}, message_id="k1"),
        group_call("g1", "alice", {"plan": "b"}, message_id="k1"),  # differs: raw line kept
        group_call("g1", "alice", {"plan": "a"}, message_id="k1"),  # same content
        group_call("g1", "bob", {"plan": "c"}, message_id="k2"),
        group_call("g1", "bob", {"plan": "c"}, message_id="k2"),
    ]
    wh.load(wh.write("in.ndjson", lines))
    assert wh.scalar("SELECT count(*) FROM raw.group_event_duplicates") == 3
    r = wh.invoke("forget", "--user-id", "alice")
    assert r.returncode == 0, r.stderr
    assert "removed: 1 events, 0 rejects, 2 duplicates" in r.stdout
    assert wh.query("SELECT message_id FROM raw.group_event_duplicates") == [("k2",)]
    assert wh.query("SELECT events_removed, duplicates_removed FROM raw.deletion_log") == [(1, 2)]


def test_wrong_salt_is_refused(loaded, tmp_path):
    src, _ = loaded
    wh, lake = _copy(src, tmp_path / "w")
    assert run_forget(wh, lake, "--user-id", "u5").returncode == 0
    run = run_forget(wh, lake, "--user-id", "u6", env={"GROUPLAKE_SALT": "not-the-salt"})
    assert run.returncode != 0 and "GROUPLAKE_SALT" in run.stderr and "Traceback" not in run.stderr
    assert "salt" in run.stderr


# ------------------------------------------------------------------------------ crash safety


def _lake_file_states(lake: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(lake)): p.read_bytes()
        for p in sorted(Path(lake).rglob("*.parquet"))
        if not str(p.relative_to(lake)).startswith("_")
    }


@pytest.fixture(scope="module")
def forgotten(loaded, tmp_path_factory) -> tuple[dict, dict[str, bytes]]:
    """The snapshot and the lake files after one uninterrupted forget."""
    src, _ = loaded
    wh, lake = _copy(src, tmp_path_factory.mktemp("forgotten") / "w")
    assert run_forget(wh, lake, *forget_args(FORGET)).returncode == 0
    return snapshot(wh, lake), _lake_file_states(lake)


FAULTS = [
    "forget_after_rewrite:1",
    "forget_after_rewrite:2",
    "forget_before_commit:1",
    "forget_after_commit:1",
    "forget_during_swap:1",
    "forget_during_swap:3",
    "forget_during_swap:last",
]


def _n_swaps(old_files: dict, new_files: dict) -> int:
    return sum(1 for f in new_files if old_files.get(f) != new_files[f]) + len(
        set(old_files) - set(new_files)
    )


@pytest.mark.parametrize("fault", FAULTS)
def test_kill_during_forget_leaves_old_or_new_state_and_rerun_completes(
    fault, loaded, forgotten, tmp_path
):
    _kill_then_rerun(fault, loaded, forgotten, tmp_path)


def _kill_then_rerun(fault, loaded, forgotten, tmp_path, recovery_fault: str | None = None):
    src, before = loaded
    new_snap, new_files = forgotten
    wh, lake = _copy(src, tmp_path / "w")
    old_files = _lake_file_states(lake)
    if fault.endswith(":last"):
        fault = fault.replace("last", str(_n_swaps(old_files, new_files)))
    run = run_forget(wh, lake, *forget_args(FORGET), fault=fault)
    assert run.killed, f"{fault} did not fire: {run.returncode} {run.stderr[-1500:]}"

    # the warehouse is all old or all new
    after_kill = snapshot(wh, lake)
    committed = not fault.startswith(("forget_after_rewrite", "forget_before_commit"))
    assert part(after_kill)["events"] == (new_snap if committed else before)["events"]
    assert part(after_kill)["rejects"] == (new_snap if committed else before)["rejects"]
    # every lake file readers see is whole: its old or its new version (never a half-written file)
    files = _lake_file_states(lake)
    for name, data in files.items():
        assert data in (old_files.get(name), new_files.get(name)), (
            f"{name} is neither old nor new ({fault})"
        )
    if not committed:
        assert files == old_files

    if recovery_fault:  # the run that would recover is killed too
        again = run_forget(wh, lake, *forget_args(FORGET), fault=recovery_fault)
        assert again.killed, f"{recovery_fault} did not fire"
    # a re-run finishes the job: the state of one uninterrupted forget
    rerun = run_forget(wh, lake, *forget_args(FORGET))
    assert rerun.returncode == 0, rerun.stderr
    final = snapshot(wh, lake)
    assert part(final) == part(new_snap)
    assert final["lake_files"] == new_snap["lake_files"] and final["ledger"] == new_snap["ledger"]
    assert _lake_file_states(lake) == new_files
    assert not Path(lake, "_forget").exists()
    con = connect_ro(wh)
    try:
        logs = con.execute(
            "SELECT events_removed, lake_swapped FROM raw.deletion_log ORDER BY deletion_id"
        ).fetchall()
    finally:
        con.close()
    n_events = len(before["events"]) - len(new_snap["events"])
    # one request removed everything; a re-run after the commit is a second request that finds nothing
    if recovery_fault is None:
        assert logs == ([(n_events, True), (0, True)] if committed else [(n_events, True)])
    else:
        assert logs[0] == (n_events, True) and all(r == (0, True) for r in logs[1:]), logs


@pytest.mark.slow
def test_kill_at_every_forget_point(loaded, forgotten, tmp_path):
    src, _ = loaded
    _, new_files = forgotten
    old_files = _lake_file_states(_copy(src, tmp_path / "probe")[1])
    n_rewrites = sum(1 for f in new_files if f in old_files and old_files[f] != new_files[f])
    points = (
        [f"forget_after_rewrite:{k}" for k in range(1, n_rewrites + 1)]
        + ["forget_before_commit:1", "forget_after_commit:1"]
        + [f"forget_during_swap:{k}" for k in range(1, _n_swaps(old_files, new_files) + 1)]
    )
    for i, point in enumerate(points):
        _kill_then_rerun(point, loaded, forgotten, tmp_path / f"p{i}")
    # killed again while the next run recovers (finishes the swap)
    _kill_then_rerun(
        "forget_after_commit:1",
        loaded,
        forgotten,
        tmp_path / "r1",
        recovery_fault="forget_during_swap:1",
    )
    _kill_then_rerun(
        "forget_during_swap:2",
        loaded,
        forgotten,
        tmp_path / "r2",
        recovery_fault="forget_during_swap:1",
    )


def test_a_load_finishes_an_interrupted_forget(loaded, forgotten, inputs, tmp_path):
    src, _ = loaded
    new_snap, new_files = forgotten
    wh, lake = _copy(src, tmp_path / "w")
    assert run_forget(wh, lake, *forget_args(FORGET), fault="forget_after_commit:1").killed
    assert run_load(inputs, wh, lake).returncode == 0  # every file already loaded: only recovery
    assert part(snapshot(wh, lake)) == part(new_snap)
    assert _lake_file_states(lake) == new_files


def test_forget_then_load_keeps_the_invariants(loaded, inputs, tmp_path):
    """After a forget, the loader's own consistency checks (ledger vs tables vs lake) still hold."""
    src, _ = loaded
    wh, lake = _copy(src, tmp_path / "w")
    assert run_forget(wh, lake, *forget_args(FORGET)).returncode == 0
    extra = tmp_path / "more.ndjson"
    extra.write_text(
        json.dumps({"type": "group", "groupId": "g7", "userId": "u5", "messageId": "new-1"}) + "\n"
    )
    assert (
        run_load([extra], wh, lake).returncode == 0
    )  # not suppressed: a forget alone does not block
    assert_consistent(wh, lake)
    assert any(r[0] == "new-1" for r in snapshot(wh, lake)["events"])
    assert lake_files(lake)


# ------------------------------------------------------------------------------ the marts

MARTS = {
    "main.groups": "group_id",
    "main.group_traits_latest": "group_id, trait_key",
    "main.group_trait_history": "group_id, trait_key, change_seq",
    "main.user_group_memberships": "group_id, member_type, member_id",
}


def test_build_after_forget_is_a_full_refresh_and_incremental_equals_full(wh):
    """The marts lose the forgotten rows at the next build, and stay equal to a full refresh."""
    wh.write(
        "b1.ndjson",
        [
            call(
                "e1",
                "g1",
                "2024-01-01T00:00:00Z",
                {"plan": "free", "email": "a@x.io"},
                user_id="alice",
            ),
            call("e2", "g1", "2024-01-05T00:00:00Z", {"plan": "pro"}, user_id="bob"),
            call(
                "e3",
                "g2",
                "2024-01-02T00:00:00Z",
                {"name": "B"},
                user_id="alice",
                anonymous_id="a1",
            ),
            call("e4", "g2", "2024-01-03T00:00:00Z", {"name": "C"}, anonymous_id="a1"),
            call("e5", "g3", "2024-01-04T00:00:00Z", {"seats": 3}, user_id="carol"),
        ],
    )
    assert wh.invoke("load", str(wh.inputs / "b1.ndjson")).returncode == 0
    assert (b := wh.invoke("build")).returncode == 0, b.stdout[-3000:]
    assert (
        wh.scalar("SELECT count(*) FROM main.user_group_memberships WHERE member_id = 'alice'") == 2
    )

    f = wh.invoke("forget", "--user-id", "alice", "--anonymous-id", "a1")
    assert f.returncode == 0, f.stderr
    assert "runs a full refresh" in f.stdout
    b = wh.invoke("build")
    assert b.returncode == 0, b.stdout[-3000:]
    assert "running a full refresh" in b.stderr
    assert (
        wh.scalar(
            "SELECT count(*) FROM main.user_group_memberships WHERE member_id IN ('alice', 'a1')"
        )
        == 0
    )
    # alice's writes are gone: g1's plan is bob's, g2 (only alice and a1 wrote it) is gone
    assert wh.query("SELECT group_id, plan FROM main.groups ORDER BY 1") == [
        ("g1", "pro"),
        ("g3", None),
    ]
    assert (
        wh.scalar(
            "SELECT count(*) FROM main.group_trait_history WHERE message_id IN ('e1', 'e3', 'e4')"
        )
        == 0
    )
    assert wh.scalar("SELECT count(*) FROM raw.deletion_log WHERE marts_rebuilt_at IS NULL") == 0

    # the next build is incremental again, and equals a full refresh
    wh.write(
        "b2.ndjson",
        [
            call("e6", "g1", "2023-12-30T00:00:00Z", {"plan": "trial"}, user_id="dave"),
            call("e7", "g3", "2024-01-06T00:00:00Z", {"seats": None}, user_id="carol"),
            call("e8", "g2", "2024-01-07T00:00:00Z", {"name": "D"}, user_id="erin"),
        ],
    )
    assert wh.invoke("load", str(wh.inputs / "b2.ndjson")).returncode == 0
    b = wh.invoke("build")
    assert b.returncode == 0 and "full refresh" not in b.stderr, b.stdout[-3000:]
    incremental = wh.tables(MARTS)
    assert wh.invoke("build", "--full-refresh").returncode == 0
    assert wh.tables(MARTS) == incremental
    assert incremental["main.groups"] and incremental["main.user_group_memberships"]


def test_a_forget_marks_the_lake_for_a_full_spark_build(loaded, tmp_path):
    """Spark builds read the lake, not the warehouse: a forget that rewrote the lake leaves a note
    there (outside group_events/), which makes the next `grouplake build --engine spark` a full
    refresh (dbt_runner.run_spark_build clears it when that build succeeds)."""
    from grouplake import dbt_runner, privacy

    src, _ = loaded
    wh, lake = _copy(src, tmp_path / "w")
    assert privacy.lake_rebuild_needed(lake) == []
    assert run_forget(wh, lake, "--user-id", "nobody").returncode == 0
    assert privacy.lake_rebuild_needed(lake) == []  # nothing rewritten: no note
    assert run_forget(wh, lake, *forget_args(FORGET)).returncode == 0
    assert privacy.lake_rebuild_needed(lake) == [2]
    assert dbt_runner._with_full_refresh_after_forget(
        ["--select", "groups"], privacy.lake_rebuild_needed(lake)
    ) == ["--select", "groups", "--full-refresh"]
    assert (Path(lake) / privacy.LAKE_REBUILD_MARKER).exists()
    assert not any("full_refresh" in str(p) for p in Path(lake, "group_events").rglob("*"))
    privacy.clear_lake_rebuild(lake)
    assert privacy.lake_rebuild_needed(lake) == []
    assert dbt_runner._with_full_refresh_after_forget([], privacy.lake_rebuild_needed(lake)) == []
