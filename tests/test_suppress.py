"""Suppression: a suppressed identity's lines are dropped at ingest and counted, and the list holds no ids."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from helpers import assert_consistent, group_call


def _lines() -> list:
    return [
        group_call("g1", "u1", message_id="m1"),  # suppressed (user)
        group_call("g1", "u2", message_id="m2"),
        group_call("g2", None, message_id="m3", anonymousId="a1"),  # suppressed (anonymous)
        group_call("g3", "u2", message_id="m4"),  # suppressed (group)
        group_call("g1", "u10", message_id="m5"),  # u10 is not u1
        {"type": "group", "userId": "u1", "messageId": "r1"},  # reject of u1: suppressed
        {"type": "identify", "userId": "u1", "messageId": "i1"},  # another call type: skipped
        {"type": "group", "groupId": "", "properties": {"ref": "u1"}},  # token "u1": suppressed
        {"type": "group", "messageId": "r3"},  # an ordinary reject
        group_call(7, 42, message_id="m6"),  # numeric ids, kept
    ]


def _ids(wh, table: str, col: str) -> list:
    return [r[0] for r in wh.query(f"SELECT {col} FROM {table} ORDER BY 1")]


def test_suppressed_lines_are_dropped_and_counted(wh):
    for args in (["u1"], ["a1", "--kind", "anonymous"], ["g3", "--kind", "group"]):
        r = wh.invoke("suppress", *args)
        assert r.returncode == 0, r.stderr
        assert "suppressed 1 new" in r.stdout
    path = wh.write("in.ndjson", _lines())
    r = wh.invoke("load", str(path))
    assert r.returncode == 0, r.stderr
    assert (
        "read = loaded + rejected + duplicates + skipped + suppressed: 10 = 3 + 1 + 0 + 1 + 5"
        in " ".join(r.stdout.split())
    )
    assert _ids(wh, "raw.group_events", "message_id") == ["m2", "m5", "m6"]
    assert _ids(wh, "raw.group_event_rejects", "message_id") == ["r3"]
    assert sorted(r[0] for r in wh.lake_rows("message_id")) == ["m2", "m5", "m6"]
    assert wh.query(
        "SELECT read_count, loaded_count, rejected_count, duplicate_count, skipped_count, "
        "suppressed_count FROM raw.load_ledger"
    ) == [(10, 3, 1, 0, 1, 5)]
    assert_consistent(wh.path, wh.lake)

    report = wh.load(wh.write("again.ndjson", [group_call("g1", "u1", message_id="m9")]))
    assert (report.read, report.loaded, report.suppressed) == (1, 0, 1)
    r = wh.invoke(
        "load",
        "--json",
        str(
            wh.write(
                "third.ndjson",
                [
                    group_call("g1", "u1", message_id="m10"),
                    group_call("g1", "u2", message_id="m11"),
                ],
            )
        ),
    )
    totals = json.loads(r.stdout)["totals"]
    assert (totals["read"], totals["loaded"], totals["suppressed"]) == (2, 1, 1), r.stdout


def test_list_holds_salted_hashes_only_and_remove_lets_lines_in(wh):
    assert wh.invoke("suppress", "alice@example.com", "bob").returncode == 0
    again = wh.invoke("suppress", "bob")
    assert "0 new" in again.stdout and "1 already" in again.stdout
    salt = Path(str(wh.path) + ".salt").read_text().strip()
    expected = sorted(
        ("user", hashlib.sha256((salt + i).encode()).hexdigest())
        for i in ("alice@example.com", "bob")
    )
    assert wh.query("SELECT kind, id_sha256 FROM raw.suppressed_identities ORDER BY 2") == expected
    dump = wh.scalar("SELECT string_agg(t::VARCHAR, '') FROM raw.suppressed_identities t")
    assert "alice" not in dump and "bob" not in dump

    listing = wh.invoke("suppress", "--list")
    assert (
        listing.returncode == 0
        and expected[0][1][:20] in listing.stdout
        and "alice" not in listing.stdout
    )

    removed = wh.invoke("suppress", "--remove", "bob")
    assert removed.returncode == 0 and "removed 1 of 1" in removed.stdout
    report = wh.load(
        wh.write(
            "in.ndjson",
            [
                group_call("g1", "bob", message_id="b1"),
                group_call("g1", "alice@example.com", message_id="a1"),
            ],
        )
    )
    assert (report.loaded, report.suppressed) == (1, 1)
    assert _ids(wh, "raw.group_events", "user_id") == ["bob"]


def test_forget_with_suppress_removes_and_blocks(wh):
    first = wh.write(
        "a.ndjson",
        [group_call("g1", "u1", message_id="x1"), group_call("g1", "u2", message_id="x2")],
    )
    wh.load(first)
    r = wh.invoke("forget", "--user-id", "u1", "--suppress")
    assert r.returncode == 0, r.stderr
    assert wh.query("SELECT kind, deletion_id FROM raw.suppressed_identities") == [("user", 1)]
    assert wh.query("SELECT suppressed FROM raw.deletion_log") == [(True,)]
    report = wh.load(wh.write("b.ndjson", [group_call("g1", "u1", message_id="x3")]))
    assert (report.loaded, report.suppressed) == (0, 1)
    assert _ids(wh, "raw.group_events", "message_id") == ["x2"]


def test_bad_kind_and_lost_salt_are_clear_errors(wh):
    bad = wh.invoke("suppress", "x", "--kind", "email")
    assert (
        bad.returncode != 0
        and "unknown identity kind 'email'" in bad.stderr
        and "Traceback" not in bad.stderr
    )
    assert wh.invoke("suppress", "u1").returncode == 0
    Path(
        str(wh.path) + ".salt"
    ).unlink()  # the salt is lost: suppression would silently stop matching
    path = wh.write("in.ndjson", [group_call("g1", "u1", message_id="m1")])
    r = wh.invoke("load", str(path))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "salt" in r.stderr and "restore" in r.stderr
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 0


def test_no_rules_no_salt(wh):
    """Without suppression or hashing rules, a load creates no salt file and counts nothing suppressed."""
    report = wh.load(wh.write("in.ndjson", [group_call("g1", "u1", message_id="m1")]))
    assert (report.loaded, report.suppressed) == (1, 0)
    assert not Path(str(wh.path) + ".salt").exists()
    assert json.loads(json.dumps(wh.query("SELECT suppressed_count FROM raw.load_ledger"))) == [[0]]
