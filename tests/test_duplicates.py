"""Duplicates are traceable: raw.group_event_duplicates says which line was dropped, which event
was kept, and whether the dropped line carried other content (then its raw line is kept).
A real DuckDB file and a real Parquet lake; chunks as small as one line to cross chunk borders."""

from __future__ import annotations

import json

import pytest

from helpers import assert_consistent, group_call

DUP_COLS = (
    "message_id, batch_id, source_file, source_line, kept_batch_id, kept_source_file, "
    "kept_source_line, content_differs, raw_line"
)


def dup_rows(wh):
    return wh.query(
        f"SELECT {DUP_COLS} FROM raw.group_event_duplicates ORDER BY batch_id, source_line"
    )


BASE = group_call(
    "acme",
    user_id="u1",
    message_id="m1",
    traits={"plan": "pro", "seats": 3},
    ts="2026-11-01T10:00:00Z",
    sentAt="2026-11-01T10:00:01Z",
    receivedAt="2026-11-01T10:00:02Z",
    context={"library": {"name": "js"}},
)


def lines_with_duplicates():
    same = dict(BASE)
    # a retry: re-sent and received later, written with other whitespace and another time zone
    retry = {
        **BASE,
        "sentAt": "2026-11-02T00:00:00Z",
        "receivedAt": "2026-11-02T00:00:01Z",
        "timestamp": "2026-11-01T11:00:00+01:00",
    }
    retry_text = json.dumps(retry, indent=None, separators=(" , ", " : "))
    other_user = {**BASE, "userId": "u2"}
    other_traits = {**BASE, "traits": {"plan": "enterprise", "seats": 3}}
    numeric = group_call(42, user_id=7, message_id="m2", traits={})
    numeric_as_text = group_call("42", user_id="7", message_id="m2", traits={})
    return [
        same,
        group_call("beta", message_id="m0"),
        json.dumps(same),
        retry_text,
        other_user,
        other_traits,
        numeric,
        numeric_as_text,
        '{"type":"group","groupId":"nomid"}',
        '{"type":"group","groupId":"nomid"}',
    ]


@pytest.mark.parametrize("chunk_bytes", [1 << 20, 1, 300])
def test_duplicates_in_one_file_are_recorded_with_the_kept_line(wh, chunk_bytes):
    lines = lines_with_duplicates()
    path = wh.write("day1.ndjson", lines)
    f = wh.load(path, chunk_bytes=chunk_bytes).files[0]
    assert (f.read, f.loaded, f.duplicates, f.duplicates_differing) == (10, 4, 6, 2)
    p = str(path)
    raw_other_user = json.dumps(lines[4])
    raw_other_traits = json.dumps(lines[5])
    assert dup_rows(wh) == [
        ("m1", 1, p, 3, 1, p, 1, False, None),  # byte-identical
        ("m1", 1, p, 4, 1, p, 1, False, None),  # retry: sentAt/receivedAt/format/zone differ only
        ("m1", 1, p, 5, 1, p, 1, True, raw_other_user),
        ("m1", 1, p, 6, 1, p, 1, True, raw_other_traits),
        ("m2", 1, p, 8, 1, p, 7, False, None),  # 42 and "42" are the same id
        (
            wh.scalar("SELECT message_id FROM raw.group_events WHERE group_id = 'nomid'"),
            1,
            p,
            10,
            1,
            p,
            9,
            False,
            None,
        ),
    ]
    # the kept events are the first lines, untouched
    assert wh.query(
        "SELECT user_id, traits->>'$.plan' FROM raw.group_events WHERE message_id = 'm1'"
    ) == [("u1", "pro")]
    assert wh.scalar("SELECT duplicate_count FROM raw.load_ledger") == 6
    assert_consistent(wh.path, wh.lake)


def test_duplicates_of_an_earlier_file_point_at_the_committed_event(wh):
    first = wh.write(
        "day1.ndjson", [group_call("acme", message_id="a"), group_call("acme", message_id="b")]
    )
    wh.load(first)
    second = wh.write(
        "day2.ndjson",
        [
            group_call("beta", message_id="c"),
            group_call("acme", message_id="b"),  # same content
            group_call(
                "acme", message_id="a", user_id="someone-else"
            ),  # other content: kept as raw line
            group_call(
                "acme", message_id="a", user_id="someone-else"
            ),  # and again, in the same chunk
        ],
    )
    f = wh.load(second).files[0]
    assert (f.loaded, f.duplicates, f.duplicates_differing) == (1, 3, 2)
    s1, s2 = str(first), str(second)
    raw = json.dumps(group_call("acme", message_id="a", user_id="someone-else"))
    assert dup_rows(wh) == [
        ("b", 2, s2, 2, 1, s1, 2, False, None),
        ("a", 2, s2, 3, 1, s1, 1, True, raw),
        ("a", 2, s2, 4, 1, s1, 1, True, raw),
    ]
    assert_consistent(wh.path, wh.lake)


def test_lifecycle_track_event_duplicates_are_recorded_too(wh):
    call = {
        "type": "track",
        "event": "Object Deleted",
        "messageId": "od",
        "properties": {"objectId": 9},
    }
    path = wh.write("t.ndjson", [call, call, {**call, "properties": {"objectId": 10}}])
    f = wh.load(path).files[0]
    assert (f.loaded, f.duplicates, f.duplicates_differing) == (1, 2, 1)
    assert [r[7] for r in dup_rows(wh)] == [False, True]


def test_status_warns_about_duplicates_with_different_content(wh):
    path = wh.write(
        "d.ndjson", [group_call(message_id="x"), group_call(message_id="x", user_id="u9")]
    )
    wh.load(path)
    res = wh.invoke("status")
    assert res.returncode == 0, res.stderr
    assert "warning: 1 duplicate line(s) in 1 batch(es) carried other content" in res.stdout
    assert "raw.group_event_duplicates" in res.stdout


def test_no_warning_without_differing_duplicates(wh):
    wh.load(wh.write("d.ndjson", [group_call(message_id="x"), group_call(message_id="x")]))
    res = wh.invoke("status")
    assert res.returncode == 0 and "warning:" not in res.stdout
    assert wh.scalar("SELECT count(*) FROM raw.group_event_duplicates") == 1
