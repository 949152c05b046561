"""Mixed exports (issue: real exports carry every call type): other call types are skipped and
counted, the two lifecycle track events are landed, and read = loaded + rejected + duplicates +
skipped everywhere. A real DuckDB file and a real Parquet lake."""

from __future__ import annotations

import json

import duckdb
import pytest

from helpers import assert_consistent, group_call

REL_DELETED = {
    "type": "track",
    "event": "Relationship Deleted",
    "userId": "u1",
    "messageId": "rd1",
    "context": {"groupId": "acme", "library": {"name": "cio"}},
    "properties": {"objectTypeId": 1},
    "timestamp": "2026-11-02T10:00:00Z",
}
OBJ_DELETED = {
    "type": "Track",
    "event": "Object Deleted",
    "messageId": "od1",
    "objectTypeId": 2,
    "properties": {"objectId": 42, "objectTypeId": 2},
    "timestamp": "2026-11-02T11:00:00Z",
}

MIXED = [
    group_call("acme", message_id="g1", traits={"plan": "pro"}),
    {"type": "identify", "userId": "u1", "traits": {"email": "a@b.example"}, "messageId": "i1"},
    {"type": "track", "event": "Plan Upgraded", "userId": "u1", "messageId": "t1"},
    {
        "type": "TRACK",
        "event": "relationship deleted",
        "context": {"groupId": "acme"},
        "messageId": "t2",
    },
    {"type": "page", "name": "Pricing", "anonymousId": "a1", "messageId": "p1"},
    {"type": "screen", "name": "Home", "userId": "u1"},
    {"type": "Alias", "previousId": "a1", "userId": "u1"},
    REL_DELETED,
    OBJ_DELETED,
    {"groupId": "acme", "userId": "u1"},  # no type: a reject
    {"type": 3, "groupId": "acme"},  # not a string: a reject
    group_call("acme", message_id="g1", traits={"plan": "pro"}),  # a duplicate
]


def test_other_call_types_are_skipped_and_counted_per_type(wh):
    path = wh.write("mixed.ndjson", MIXED)
    report = wh.load(path)
    f = report.files[0]
    assert (f.read, f.loaded, f.rejected, f.duplicates, f.skipped) == (12, 3, 2, 1, 6)
    assert f.read == f.loaded + f.rejected + f.duplicates + f.skipped
    assert f.skipped_by_type == {"identify": 1, "track": 2, "page": 1, "screen": 1, "alias": 1}
    assert f.rejects_by_reason == {"wrong_type": 2}
    assert report.skipped == 6 and report.skipped_by_type == f.skipped_by_type
    # nothing of the skipped lines is stored anywhere
    assert wh.query("SELECT message_id FROM raw.group_events ORDER BY source_line") == [
        ("g1",),
        ("rd1",),
        ("od1",),
    ]
    assert wh.query(
        "SELECT source_line, reason, message FROM raw.group_event_rejects ORDER BY 1"
    ) == [
        (10, "wrong_type", "type is missing"),
        (11, "wrong_type", "type is a number, expected a string"),
    ]
    ledger = wh.query(
        "SELECT read_count, loaded_count, rejected_count, duplicate_count, skipped_count, "
        "skipped_by_type FROM raw.load_ledger"
    )
    assert ledger[0][:5] == (12, 3, 2, 1, 6)
    assert json.loads(ledger[0][5]) == {
        "alias": 1,
        "identify": 1,
        "page": 1,
        "screen": 1,
        "track": 2,
    }
    assert_consistent(wh.path, wh.lake)


def test_other_types_reject_keeps_every_line_as_before(wh):
    path = wh.write("mixed.ndjson", MIXED)
    f = wh.load(path, other_types="reject").files[0]
    assert (f.read, f.loaded, f.rejected, f.duplicates, f.skipped) == (12, 3, 8, 1, 0)
    assert f.skipped_by_type == {}
    rows = wh.query("SELECT source_line, reason, message FROM raw.group_event_rejects ORDER BY 1")
    assert [r[0] for r in rows] == [2, 3, 4, 5, 6, 7, 10, 11] and {r[1] for r in rows} == {
        "wrong_type"
    }
    assert (
        rows[0][2]
        == 'type is "identify", expected "group" (other call types are rejected: --other-types reject)'
    )
    # the lifecycle events are group events, not "other types": landed in both modes
    assert wh.scalar("SELECT count(*) FROM raw.group_events WHERE event_type ILIKE 'track'") == 2
    assert wh.scalar("SELECT skipped_count FROM raw.load_ledger") == 0


def test_other_types_rejects_an_unknown_mode():
    from grouplake.load import load_paths

    with pytest.raises(ValueError, match="other_types"):
        load_paths([], other_types="drop")


def test_lifecycle_track_events_are_landed_with_event_name_and_group_id(wh):
    path = wh.write(
        "life.ndjson",
        [
            REL_DELETED,
            OBJ_DELETED,
            # context.groupId wins over properties; properties.groupId over properties.objectId
            {
                "type": "track",
                "event": "Relationship Deleted",
                "userId": "u2",
                "messageId": "rd2",
                "context": {"groupId": 7},
                "properties": {"groupId": "not-this", "objectId": "nor-this"},
            },
            {
                "type": "track",
                "event": "Object Deleted",
                "messageId": "od2",
                "properties": {"groupId": "beta", "objectId": "not-this"},
            },
            # null counts as absent: the next candidate is used
            {
                "type": "track",
                "event": "Object Deleted",
                "messageId": "od3",
                "context": {"groupId": None},
                "properties": {"objectId": 1e3},
            },
        ],
    )
    f = wh.load(path).files[0]
    assert (f.read, f.loaded, f.rejected, f.skipped) == (5, 5, 0, 0)
    rows = wh.query("""SELECT message_id, event_type, event_name, group_id, user_id, traits::VARCHAR,
                              extra::VARCHAR, context->>'$.library.name', event_at
                       FROM raw.group_events ORDER BY source_line""")
    assert [r[:6] for r in rows] == [
        ("rd1", "track", "Relationship Deleted", "acme", "u1", "{}"),
        ("od1", "Track", "Object Deleted", "42", None, "{}"),
        ("rd2", "track", "Relationship Deleted", "7", "u2", "{}"),
        ("od2", "track", "Object Deleted", "beta", None, "{}"),
        ("od3", "track", "Object Deleted", "1000", None, "{}"),
    ]
    # properties and a top-level objectTypeId stay in extra; event is a column, not in extra
    assert json.loads(rows[0][6]) == {"properties": {"objectTypeId": 1}}
    assert json.loads(rows[1][6]) == {
        "objectTypeId": 2,
        "properties": {"objectId": 42, "objectTypeId": 2},
    }
    assert rows[0][7] == "cio"
    assert str(rows[0][8]) == "2026-11-02 10:00:00+00:00"
    # group calls have no event name
    wh.load(wh.write("g.ndjson", [group_call("acme", message_id="g1")]))
    assert wh.query("SELECT event_name FROM raw.group_events WHERE message_id = 'g1'") == [(None,)]
    # the lake holds the same rows, event_name included
    lake = sorted(wh.lake_rows("message_id, event_type, event_name, group_id"), key=lambda r: r[0])
    raw = sorted(
        wh.query("SELECT message_id, event_type, event_name, group_id FROM raw.group_events")
    )
    assert lake == raw and len(raw) == 6
    assert_consistent(wh.path, wh.lake)


def test_lifecycle_track_event_without_usable_group_id_is_a_reject(wh):
    path = wh.write(
        "bad-life.ndjson",
        [
            {
                "type": "track",
                "event": "Relationship Deleted",
                "userId": "u1",
                "messageId": "x1",
                "properties": {"objectTypeId": 1},
            },
            {
                "type": "track",
                "event": "Object Deleted",
                "messageId": "x2",
                "context": {"groupId": None},
                "properties": {"groupId": None},
            },
            {
                "type": "track",
                "event": "Object Deleted",
                "messageId": "x3",
                "context": {"groupId": "  "},
            },
            {
                "type": "track",
                "event": "Relationship Deleted",
                "messageId": "x4",
                "properties": {"objectId": {"id": 1}},
            },
            {
                "type": "track",
                "event": "Object Deleted",
                "messageId": "x5",
                "context": {"groupId": "g"},
                "timestamp": "not a time",
            },
        ],
    )
    f = wh.load(path).files[0]
    assert (f.read, f.loaded, f.rejected, f.skipped) == (5, 0, 5, 0)
    rows = wh.query(
        "SELECT message_id, reason, message FROM raw.group_event_rejects ORDER BY source_line"
    )
    where = "looked for context.groupId, properties.groupId, properties.objectId"
    assert rows == [
        ("x1", "missing_group_id", f'track event "Relationship Deleted" has no group id: {where}'),
        ("x2", "missing_group_id", f'track event "Object Deleted" has no group id: {where}'),
        ("x3", "invalid_group_id", 'track event "Object Deleted": context.groupId is blank: "  "'),
        (
            "x4",
            "invalid_group_id",
            'track event "Relationship Deleted": properties.objectId is an object',
        ),
        ("x5", "invalid_timestamp", 'cannot parse timestamp "not a time"'),
    ]


def test_lifecycle_events_are_deduplicated_and_replayable(wh):
    """Same dedup and reject replay as group calls: by messageId, across files."""
    first = wh.load(wh.write("a.ndjson", [REL_DELETED, {**OBJ_DELETED, "properties": {}}])).files[0]
    assert (first.loaded, first.rejected) == (1, 1)
    second = wh.load(wh.write("b.ndjson", [REL_DELETED, OBJ_DELETED])).files[0]
    assert (second.loaded, second.duplicates) == (1, 1)
    assert wh.query("SELECT message_id, resolved_by_batch_id FROM raw.group_event_rejects") == [
        ("od1", 2)
    ]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 2


def test_cli_prints_skipped_per_type_and_the_new_invariant(wh):
    path = wh.write("mixed.ndjson", MIXED)
    res = wh.invoke("load", str(path))
    assert res.returncode == 0, res.stderr
    assert "read = loaded + rejected + duplicates + skipped: 12 = 3 + 2 + 1 + 6" in res.stdout
    assert "skipped (other call types, not stored): track 2, " in res.stdout
    assert "skipped 6" in res.stderr  # the per-file line
    again = wh.invoke("load", "--other-types", "reject", str(wh.write("more.ndjson", MIXED[1:3])))
    assert again.returncode == 0, again.stderr
    assert "2 = 0 + 2 + 0 + 0" in again.stdout
    bad = wh.invoke("load", "--other-types", "drop", str(path))
    assert bad.returncode == 2 and "drop" in bad.stderr
    status = wh.invoke("status")
    assert status.returncode == 0 and "skipped" in status.stdout


def test_an_existing_warehouse_gains_the_new_columns_and_old_lake_files_stay_readable(wh):
    """A warehouse and lake written before event_name / skipped_count existed."""
    from grouplake.schema import ADDED_COLUMNS, DDL

    con = duckdb.connect(str(wh.path))
    con.execute(DDL)
    for table, column, _ in ADDED_COLUMNS:  # as a warehouse of the first release had them
        con.execute(f"ALTER TABLE raw.{table} DROP COLUMN {column}")
    assert "event_name" not in [r[0] for r in con.execute("DESCRIBE raw.group_events").fetchall()]
    con.close()
    # status reads an old warehouse without writing to it
    con = duckdb.connect(str(wh.path))
    con.execute("DROP TABLE raw.group_event_duplicates")
    con.close()
    old_status = wh.invoke("status")
    assert old_status.returncode == 0, old_status.stderr
    # an old lake file without the event_name column
    old_file = wh.lake / "group_events" / "received_date=2026-01-01" / "part-old.parquet"
    old_file.parent.mkdir(parents=True)
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'old-1' AS message_id, 'g0' AS group_id) TO '{old_file}' (FORMAT parquet)"
    )
    con.close()

    f = wh.load(wh.write("new.ndjson", [REL_DELETED, MIXED[1]])).files[0]
    assert (f.loaded, f.skipped) == (1, 1)
    assert wh.query("SELECT event_name FROM raw.group_events") == [("Relationship Deleted",)]
    assert wh.query("SELECT skipped_count, skipped_by_type::VARCHAR FROM raw.load_ledger") == [
        (1, '{"identify": 1}')
    ]
    assert sorted(wh.lake_rows("message_id, event_name")) == [
        ("old-1", None),
        ("rd1", "Relationship Deleted"),
    ]
    status = wh.invoke("status")
    assert status.returncode == 0, status.stderr
