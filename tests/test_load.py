"""The loader against a real DuckDB file and a real Parquet lake (SPEC §1–3)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime

from helpers import REPO_ROOT, SAMPLE_DIR, group_call, utc


def counts(result):
    return result.read, result.loaded, result.rejected, result.duplicates


# --- every reject reason -------------------------------------------------------------------------

REJECT_CASES = [
    ("invalid_utf8", b'{"type":"group","groupId":"g1","traits":{"name":"Caf\xe9"}}'),
    ("too_large", json.dumps(group_call(traits={"blob": "x" * (1 << 20)}))),
    ("empty_line", "   "),
    ("invalid_json", '{"type":"group","groupId":"g1"'),
    ("invalid_json", '{"type":"group","groupId":"g1","traits":{"n":NaN}}'),
    ("not_an_object", "[1,2,3]"),
    ("not_an_object", '"group"'),
    ("wrong_type", json.dumps({"groupId": "g1", "userId": "u1"})),
    ("wrong_type", json.dumps({"type": 7, "groupId": "g1"})),
    ("wrong_type", json.dumps({"type": " ", "groupId": "g1"})),
    ("missing_group_id", json.dumps({"type": "group", "userId": "u1"})),
    ("missing_group_id", json.dumps({"type": "group", "groupId": None, "userId": "u1"})),
    ("invalid_group_id", json.dumps({"type": "group", "groupId": "   "})),
    ("invalid_group_id", json.dumps({"type": "group", "groupId": {"id": 1}})),
    ("invalid_group_id", json.dumps({"type": "group", "groupId": True})),
    ("invalid_user_id", json.dumps({"type": "group", "groupId": "g1", "userId": ["u1"]})),
    (
        "invalid_anonymous_id",
        json.dumps({"type": "group", "groupId": "g1", "anonymousId": {"a": 1}}),
    ),
    ("invalid_message_id", json.dumps({"type": "group", "groupId": "g1", "messageId": {"m": 1}})),
    ("invalid_traits", json.dumps({"type": "group", "groupId": "g1", "traits": "plan=pro"})),
    ("invalid_traits", json.dumps({"type": "group", "groupId": "g1", "traits": [1]})),
    (
        "invalid_timestamp",
        json.dumps({"type": "group", "groupId": "g1", "timestamp": "not a date"}),
    ),
    ("invalid_timestamp", json.dumps({"type": "group", "groupId": "g1", "sentAt": True})),
]


def test_every_reject_reason_lands_in_rejects_with_line_and_raw_bytes(wh):
    good = group_call(message_id="m-good")
    lines = [good] + [line for _, line in REJECT_CASES]
    path = wh.write("bad.ndjson", lines)
    report = wh.load(path)

    assert counts(report) == (len(lines), 1, len(REJECT_CASES), 0)
    rows = wh.query(
        "SELECT source_line, reason, message, raw_line, raw_line_base64, source_file "
        "FROM raw.group_event_rejects ORDER BY source_line"
    )
    assert [(r[0], r[1]) for r in rows] == [
        (i + 2, reason) for i, (reason, _) in enumerate(REJECT_CASES)
    ]
    assert all(r[2] for r in rows), "every reject has a human message"
    assert {r[5] for r in rows} == {str(path)}
    by_line = {r[0]: r for r in rows}
    # exact bytes are kept for the line that is not UTF-8
    import base64

    assert base64.b64decode(by_line[2][4]) == REJECT_CASES[0][1]
    # text lines are kept as sent
    assert by_line[5][3] == REJECT_CASES[3][1]
    assert wh.scalar("SELECT message_id FROM raw.group_events") == "m-good"


def test_truncated_gzip_loads_what_is_readable_and_rejects_the_rest(wh):
    full = b"".join(
        json.dumps(group_call(message_id=f"m{i}")).encode() + b"\n" for i in range(2000)
    )
    data = gzip.compress(full)
    path = wh.inputs / "cut.ndjson.gz"
    path.write_bytes(data[: len(data) // 2])
    report = wh.load(path)
    f = report.files[0]
    assert f.status == "loaded"
    # the cut-off last line is kept as a reject, then one row says where reading stopped
    assert f.rejects_by_reason in (
        {"unreadable_input": 1},
        {"unreadable_input": 1, "invalid_json": 1},
    )
    assert f.read == f.loaded + f.rejected + f.duplicates + f.skipped
    assert 500 < f.loaded < 2000
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == f.loaded


def test_not_gzip_at_all_is_a_clear_reject_not_a_traceback(wh):
    path = wh.inputs / "fake.ndjson.gz"
    path.write_bytes(b'{"type":"group","groupId":"g1"}\n')
    report = wh.load(path)
    assert report.files[0].rejects_by_reason == {"unreadable_input": 1}
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 0


# --- ids, event time, fields -------------------------------------------------------------------


def test_numeric_ids_become_decimal_strings(wh):
    path = wh.write(
        "ids.ndjson",
        [
            {
                "type": "group",
                "groupId": 42,
                "userId": 1001,
                "anonymousId": 7,
                "messageId": 99,
                "traits": {},
            },
            {"type": "group", "groupId": 12345678901234567890, "userId": "u", "messageId": "m2"},
            {"type": "group", "groupId": 1e3, "userId": "u", "messageId": "m3"},
        ],
    )
    assert counts(wh.load(path)) == (3, 3, 0, 0)
    assert wh.query(
        "SELECT group_id, user_id, anonymous_id, message_id FROM raw.group_events ORDER BY source_line"
    ) == [
        ("42", "1001", "7", "99"),
        ("12345678901234567890", "u", None, "m2"),
        ("1000", "u", None, "m3"),
    ]


def test_trait_only_update_without_user_or_anonymous_id_is_loaded(wh):
    path = wh.write(
        "t.ndjson",
        [{"type": "group", "groupId": "g1", "traits": {"plan": "pro"}, "messageId": "m1"}],
    )
    assert counts(wh.load(path)) == (1, 1, 0, 0)
    assert wh.query(
        "SELECT group_id, user_id, anonymous_id, traits->>'$.plan' FROM raw.group_events"
    ) == [("g1", None, None, "pro")]


def test_missing_or_null_traits_mean_empty_object_and_type_is_case_insensitive(wh):
    path = wh.write(
        "t.ndjson",
        [
            {"type": "Group", "groupId": "g1", "messageId": "a"},
            {"type": "GROUP", "groupId": "g1", "traits": None, "messageId": "b"},
        ],
    )
    assert counts(wh.load(path)) == (2, 2, 0, 0)
    assert wh.query(
        "SELECT event_type, traits::VARCHAR FROM raw.group_events ORDER BY message_id"
    ) == [("Group", "{}"), ("GROUP", "{}")]


def test_event_time_follows_the_spec_precedence(wh):
    path = wh.write(
        "t.ndjson",
        [
            group_call(message_id="ts", ts="2026-11-01T10:00:00Z", sentAt="2026-11-01T11:00:00Z"),
            # clock skew: receivedAt - (sentAt - originalTimestamp) = 12:00 - (10:05 - 10:00) = 11:55
            group_call(
                message_id="skew",
                ts=None,
                originalTimestamp="2026-11-01T10:00:00Z",
                sentAt="2026-11-01T10:05:00Z",
                receivedAt="2026-11-01T12:00:00Z",
            ),
            group_call(
                message_id="orig",
                ts=None,
                originalTimestamp="2026-11-01T09:00:00+02:00",
                receivedAt="2026-11-01T12:00:00Z",
            ),
            group_call(
                message_id="recv",
                ts=None,
                receivedAt="2026-11-01T12:00:00Z",
                sentAt="2026-11-01T11:00:00Z",
            ),
            group_call(message_id="sent", ts=None, sentAt="2026-11-01T11:00:00Z"),
            group_call(message_id="unix_s", ts=1762000000),
            group_call(message_id="unix_ms", ts=1762000000123),
            group_call(message_id="none", ts=None),
        ],
    )
    assert counts(wh.load(path))[1] == 8
    rows = dict(
        (r[0], (r[1], r[2]))
        for r in wh.query("SELECT message_id, event_at, event_at_source FROM raw.group_events")
    )
    assert rows["ts"] == (utc(2026, 11, 1, 10), "timestamp")
    assert rows["skew"] == (utc(2026, 11, 1, 11, 55), "skew_corrected")
    assert rows["orig"] == (utc(2026, 11, 1, 7), "original_timestamp")
    assert rows["recv"] == (utc(2026, 11, 1, 12), "received_at")
    assert rows["sent"] == (utc(2026, 11, 1, 11), "sent_at")
    assert rows["unix_s"] == (datetime.fromtimestamp(1762000000, UTC), "timestamp")
    assert rows["unix_ms"] == (datetime.fromtimestamp(1762000000.123, UTC), "timestamp")
    loaded_at = wh.scalar("SELECT loaded_at FROM raw.group_events WHERE message_id = 'none'")
    assert rows["none"] == (loaded_at, "loaded_at")


def test_context_integrations_and_unknown_fields_are_kept(wh):
    call = group_call(
        message_id="m1",
        context={"ip": "1.2.3.4"},
        integrations={"All": False},
        version=2,
        channel="server",
        properties={"x": [1, 2]},
    )
    wh.load(wh.write("t.ndjson", [call]))
    ctx, integ, extra = wh.query("SELECT context, integrations, extra FROM raw.group_events")[0]
    assert json.loads(ctx) == {"ip": "1.2.3.4"}
    assert json.loads(integ) == {"All": False}
    assert json.loads(extra) == {"version": 2, "channel": "server", "properties": {"x": [1, 2]}}


def test_missing_message_id_is_derived_from_the_line_and_stable_across_reloads(wh):
    call = {"type": "group", "groupId": "g1", "traits": {"plan": "pro"}}
    wh.load(wh.write("a.ndjson", [call]))
    # the same line in another file (different content hash) is recognised as the same event
    report = wh.load(wh.write("b.ndjson", [call, {"type": "group", "groupId": "g2"}]))
    assert counts(report) == (2, 1, 0, 1)
    rows = wh.query(
        "SELECT group_id, message_id, message_id_derived FROM raw.group_events ORDER BY group_id"
    )
    assert [r[0] for r in rows] == ["g1", "g2"] and all(r[2] for r in rows)
    assert rows[0][1] != rows[1][1] and len(rows[0][1]) >= 32


# --- duplicates, re-runs, ledger ---------------------------------------------------------------


def test_duplicates_within_a_file_and_across_batches_are_counted_not_loaded(wh):
    a = wh.write(
        "a.ndjson",
        [
            group_call(message_id="m1"),
            group_call(message_id="m2"),
            group_call(message_id="m1", traits={"plan": "later copy"}),
        ],
    )
    assert counts(wh.load(a)) == (3, 2, 0, 1)
    b = wh.write("b.ndjson", [group_call(message_id="m2"), group_call(message_id="m3")])
    assert counts(wh.load(b)) == (2, 1, 0, 1)
    assert wh.query(
        "SELECT message_id, traits->>'$.plan' FROM raw.group_events ORDER BY message_id"
    ) == [("m1", None), ("m2", None), ("m3", None)]
    assert wh.query(
        "SELECT read_count, loaded_count, rejected_count, duplicate_count, status "
        "FROM raw.load_ledger ORDER BY batch_id"
    ) == [(3, 2, 0, 1, "loaded"), (2, 1, 0, 1, "loaded")]


def test_rerunning_the_same_folder_is_a_no_op(wh):
    wh.write("a.ndjson", [group_call(message_id="m1")])
    wh.write("sub/b.ndjson.gz", [group_call(message_id="m2"), "oops"], gz=True)
    first = wh.load(wh.inputs)
    assert (first.loaded_files, first.loaded, first.rejected) == (2, 2, 1)
    before = wh.query("SELECT * FROM raw.group_events ORDER BY message_id")
    second = wh.load(wh.inputs)
    assert (second.loaded_files, second.skipped_files, second.read) == (0, 2, 0)
    assert wh.query("SELECT * FROM raw.group_events ORDER BY message_id") == before
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 1
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 2


def test_globs_directories_and_gzip_inputs(wh):
    wh.write("x/one.ndjson", [group_call(message_id="1")])
    wh.write("x/two.jsonl.gz", [group_call(message_id="2"), group_call(message_id="3")], gz=True)
    wh.write("x/.hidden.ndjson", [group_call(message_id="hidden")])
    wh.write("x/notes.txt", ["not an input"])
    report = wh.load(str(wh.inputs / "x" / "*.ndjson"), wh.inputs / "x" / "two.jsonl.gz")
    assert sorted(f.path.rsplit("/", 1)[1] for f in report.files) == ["one.ndjson", "two.jsonl.gz"]
    assert wh.query("SELECT message_id FROM raw.group_events ORDER BY 1") == [
        ("1",),
        ("2",),
        ("3",),
    ]


def test_ledger_cli_and_tables_agree_on_the_sample(wh):
    result = wh.invoke("load", str(SAMPLE_DIR))
    assert result.returncode == 0, result.stderr
    assert "355 = 344 + 8 + 2 + 1" in result.stdout
    assert "skipped (other call types, not stored): identify 1" in result.stdout
    ledger = wh.query(
        "SELECT sum(read_count), sum(loaded_count), sum(rejected_count), sum(duplicate_count), "
        "sum(skipped_count), count(*) FILTER (status = 'loaded') FROM raw.load_ledger"
    )[0]
    assert ledger == (355, 344, 8, 2, 1, 4)
    assert wh.query(
        "SELECT skipped_by_type::VARCHAR FROM raw.load_ledger WHERE skipped_count > 0"
    ) == [('{"identify": 1}',)]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 344
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 8
    per_file = wh.query("""
        SELECT l.read_count = l.loaded_count + l.rejected_count + l.duplicate_count + l.skipped_count,
               l.loaded_count = (SELECT count(*) FROM raw.group_events e WHERE e.batch_id = l.batch_id),
               l.rejected_count = (SELECT count(*) FROM raw.group_event_rejects r WHERE r.batch_id = l.batch_id)
        FROM raw.load_ledger l""")
    assert per_file == [(True, True, True)] * 4
    again = wh.invoke("load", str(SAMPLE_DIR))
    assert again.returncode == 0 and "0 loaded, 4 skipped" in again.stdout


# --- the lake ----------------------------------------------------------------------------------


def test_lake_read_back_equals_raw_table_and_is_hive_partitioned(wh):
    wh.load(SAMPLE_DIR)
    cols = "message_id, group_id, user_id, anonymous_id, event_at, received_at, batch_id, source_line, traits::VARCHAR"
    raw = sorted(wh.query(f"SELECT {cols} FROM raw.group_events"))
    lake = sorted(wh.lake_rows(cols))
    assert raw == lake and len(raw) == 344
    per_day = dict(wh.lake_rows("received_date::VARCHAR, count(*)", "GROUP BY ALL"))
    expected = dict(
        wh.query(
            "SELECT strftime(coalesce(received_at, loaded_at), '%Y-%m-%d'), count(*) "
            "FROM raw.group_events GROUP BY ALL"
        )
    )
    assert per_day == expected and len(expected) >= 4
    partitions = sorted(p.name for p in (wh.lake / "group_events").iterdir())
    assert partitions == sorted(f"received_date={day}" for day in expected)
    assert (
        not list((wh.lake / "_staging").rglob("*.parquet"))
        if (wh.lake / "_staging").exists()
        else True
    )


# --- CLI behaviour -----------------------------------------------------------------------------


def test_cli_missing_path_is_a_clear_error_with_nonzero_exit(wh):
    result = wh.invoke("load", str(wh.inputs / "nope.ndjson"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "nope.ndjson" in result.stderr


def test_cli_bad_lines_do_not_fail_the_load_and_rejects_can_be_exported(wh):
    path = wh.write("a.ndjson", [group_call(message_id="m1"), "{broken", b"\xff\xfe"])
    result = wh.invoke("load", str(path))
    assert result.returncode == 0, result.stderr
    out = wh.root / "rejects.ndjson"
    exported = wh.invoke("rejects", "--export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert out.read_bytes() == b"{broken\n\xff\xfe\n"
    listed = wh.invoke("rejects")
    assert "invalid_json" in listed.stdout and "invalid_utf8" in listed.stdout
    status = wh.invoke("status")
    assert status.returncode == 0 and "group_events" in status.stdout


def test_cli_warehouse_busy_is_a_clear_message(wh):
    from grouplake.warehouse import warehouse_lock

    path = wh.write("a.ndjson", [group_call(message_id="m1")])
    with warehouse_lock(wh.path, wait_seconds=0):
        result = wh.cli("load", str(path), "--wait", "0")
    assert result.returncode == 3
    assert "busy" in result.stderr.lower() and "Traceback" not in result.stderr
    assert wh.invoke("load", str(path)).returncode == 0


# --- bounded memory ----------------------------------------------------------------------------

PEAK_RSS_SCRIPT = textwrap.dedent("""
    import resource, sys
    from grouplake.load import load_paths
    r = load_paths([sys.argv[1]], warehouse=sys.argv[2], lake=sys.argv[3], chunk_bytes=4 << 20)
    assert r.ok and r.read == r.loaded + r.rejected + r.duplicates + r.skipped, r
    print(r.read, r.loaded, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


def _peak_rss_mb(wh, path, tag):
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            PEAK_RSS_SCRIPT,
            str(path),
            str(wh.root / f"{tag}.duckdb"),
            str(wh.root / f"lake-{tag}"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    read, loaded, peak = map(int, out.stdout.split())
    return read, loaded, peak


def test_100k_lines_load_with_memory_bounded_by_the_chunk_not_the_file(wh):
    def lines(n):
        for i in range(n):
            yield group_call(
                group_id=f"g{i % 500}",
                user_id=f"u{i}",
                message_id=f"m{i}",
                traits={
                    "name": f"Company {i % 500}",
                    "plan": "pro",
                    "seats": i % 97,
                    "address": {"city": "Berlin", "postalCode": "10115"},
                },
                context={
                    "library": {"name": "analytics.js"},
                    "page": {"url": "https://x.example/" + "p" * 100},
                },
            )

    small = wh.write("small.ndjson", list(lines(10_000)))
    big = wh.write("big.ndjson", list(lines(100_000)))
    assert big.stat().st_size > 8 * small.stat().st_size
    read_s, loaded_s, peak_small = _peak_rss_mb(wh, small, "small")
    read_b, loaded_b, peak_big = _peak_rss_mb(wh, big, "big")
    assert (read_s, loaded_s) == (10_000, 10_000)
    assert (read_b, loaded_b) == (100_000, 100_000)
    # ten times the input must not cost anything like ten times the memory
    assert peak_big < peak_small + 150, (peak_small, peak_big)
    assert peak_big < 600, peak_big
