"""A loaded file that grew: only the new lines load (appended), line numbers go on; a file whose
loaded bytes changed loads again in full (changed) without storing anything twice."""

from __future__ import annotations

import gzip
import hashlib
import json
import os

from helpers import assert_consistent, group_call, numbered_lines

BAD = [b'{"type": "group", "groupId": ', b"not json", b"[1, 2]", b'{"type": "group"}']


def _file_lines(start: int, n: int, bad_every: int = 0) -> bytes:
    """Lines for line numbers start..start+n-1; every ``bad_every``-th is a reject."""
    return numbered_lines(range(start, start + n), bad_every=bad_every, bad=BAD)


def _ledger(wh):
    return wh.query("""SELECT load_mode, start_offset, first_line, file_size, content_hash, read_count,
                              loaded_count, rejected_count, duplicate_count, resume_offset, resume_line
                       FROM raw.load_ledger WHERE status = 'loaded' ORDER BY batch_id""")


def _rejects_per_line(wh):
    return wh.query("""SELECT source_line, count(*) FROM raw.group_event_rejects
                       GROUP BY ALL HAVING count(*) > 1""")


def test_appended_lines_load_as_a_new_batch_numbered_on(wh):
    """The reported case: 1,000 lines with 8 bad ones, 500 appended (2 bad): the second run reads
    only the 500, the 8 old rejects are not stored again, the CLI says `appended`."""
    f = wh.inputs / "events.ndjson"
    first = _file_lines(1, 1000, bad_every=125)
    f.write_bytes(first)
    run = wh.invoke("load", str(f))
    assert run.returncode == 0 and "(new): read 1,000, loaded 992, rejected 8" in run.stderr
    with open(f, "ab") as a:
        a.write(_file_lines(1001, 500, bad_every=250))
    run = wh.invoke("load", str(f))
    assert run.returncode == 0, run.stderr
    assert (
        "(appended from line 1,001): read 500, loaded 498, rejected 2, duplicates 0" in run.stderr
    )
    assert "loaded (appended from line 1,001)" in run.stdout
    whole = f.read_bytes()
    assert _ledger(wh) == [
        (
            "new",
            0,
            1,
            len(first),
            hashlib.sha256(first).hexdigest(),
            1000,
            992,
            8,
            0,
            len(first),
            1001,
        ),
        (
            "appended",
            len(first),
            1001,
            len(whole),
            hashlib.sha256(whole).hexdigest(),
            500,
            498,
            2,
            0,
            len(whole),
            1501,
        ),
    ]
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 10
    assert [
        r[0] for r in wh.query("SELECT source_line FROM raw.group_event_rejects ORDER BY 1")
    ] == [125, 250, 375, 500, 625, 750, 875, 1000, 1250, 1500]
    assert wh.query(
        "SELECT min(source_line), max(source_line), count(*) FROM raw.group_events WHERE batch_id = 2"
    ) == [(1001, 1499, 498)]
    # every event's line number points at its line in the file
    lines = whole.split(b"\n")
    for mid, line_no in wh.query(
        "SELECT message_id, source_line FROM raw.group_events USING SAMPLE 50 ROWS"
    ):
        assert json.loads(lines[line_no - 1])["messageId"] == mid
    # unchanged: skipped; grown again: appended from 1,501
    run = wh.invoke("load", str(f))
    assert "skipped" in run.stderr and "already loaded (unchanged since batch 2)" in run.stderr
    with open(f, "ab") as a:
        a.write(_file_lines(1501, 10))
    report = wh.load(f)
    assert [(r.status, r.mode, r.first_line, r.read, r.loaded) for r in report.files] == [
        ("loaded", "appended", 1501, 10, 10)
    ]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 1500
    assert_consistent(wh.path, wh.lake)


def test_changed_earlier_bytes_reload_in_full_without_storing_anything_twice(wh):
    f = wh.inputs / "events.ndjson"
    f.write_bytes(_file_lines(1, 100, bad_every=10))
    assert wh.load(f).files[0].rejected == 10
    # line 5 edited in place (a new messageId), line 20 (a reject) fixed, 5 lines appended
    lines = f.read_bytes().split(b"\n")
    lines[4] = json.dumps(group_call(group_id="edited", message_id="m5-edited")).encode()
    lines[19] = json.dumps(group_call(group_id="fixed", message_id="m20-fixed")).encode()
    f.write_bytes(b"\n".join(lines) + _file_lines(101, 5))
    report = wh.load(f)
    r = report.files[0]
    # 105 lines: 95 events of which 89 stored before (duplicates), m5-edited, m20-fixed and 5 new
    # lines loaded; 9 rejects unchanged (already stored: duplicates), 0 new rejects
    assert (r.status, r.mode, r.first_line, r.read, r.loaded, r.rejected, r.duplicates) == (
        "loaded",
        "changed",
        1,
        105,
        7,
        0,
        98,
    )
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 97
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 10
    assert _rejects_per_line(wh) == []
    assert wh.query(
        "SELECT load_mode, start_offset, first_line, rejected_count FROM raw.load_ledger "
        "ORDER BY batch_id"
    ) == [("new", 0, 1, 10), ("changed", 0, 1, 0)]
    assert_consistent(wh.path, wh.lake)


def test_a_changed_line_that_is_still_bad_is_stored_with_its_new_bytes(wh):
    f = wh.inputs / "events.ndjson"
    f.write_bytes(_file_lines(1, 20, bad_every=10))
    wh.load(f)
    lines = f.read_bytes().split(b"\n")
    lines[9] = b"still not json, but different"
    f.write_bytes(b"\n".join(lines))
    r = wh.load(f).files[0]
    assert (r.mode, r.read, r.loaded, r.rejected, r.duplicates) == ("changed", 20, 0, 1, 19)
    assert wh.query(
        "SELECT source_line, raw_line FROM raw.group_event_rejects WHERE source_line = 10 ORDER BY batch_id"
    ) == [(10, BAD[1].decode()), (10, "still not json, but different")]


def test_truncated_file_is_changed_and_loads_nothing_twice(wh):
    f = wh.inputs / "events.ndjson"
    f.write_bytes(_file_lines(1, 50))
    wh.load(f)
    f.write_bytes(_file_lines(1, 30))
    r = wh.load(f).files[0]
    assert (r.mode, r.read, r.loaded, r.duplicates) == ("changed", 30, 0, 30)
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 50


def test_unterminated_last_line_is_read_again_once_complete(wh):
    """Rule: a file is loaded to its end, an unterminated last line too; the ledger's resume point
    is after the last newline, so a line still being written is read again in full when the file
    grows. Its partial copy was a reject; the complete line loads and resolves it (same messageId)."""
    f = wh.inputs / "events.ndjson"
    complete = _file_lines(1, 10)
    partial = b'{"messageId": "m11", "type": "group", "groupId": "g-late", "tra'
    f.write_bytes(complete + partial)
    r = wh.load(f).files[0]
    assert (r.read, r.loaded, r.rejected) == (11, 10, 1)
    assert _ledger(wh)[0][9:] == (len(complete), 11)  # resume after the last newline, at line 11
    with open(f, "ab") as a:
        a.write(b'its": {"plan": "pro"}}\n' + _file_lines(12, 3))
    r = wh.load(f).files[0]
    assert (r.mode, r.first_line, r.read, r.loaded, r.rejected, r.duplicates) == (
        "appended",
        11,
        4,
        4,
        0,
        0,
    )
    assert wh.query(
        "SELECT source_line, group_id FROM raw.group_events WHERE message_id = 'm11'"
    ) == [(11, "g-late")]
    assert wh.query(
        "SELECT source_line, reason, resolved_by_batch_id FROM raw.group_event_rejects"
    ) == [(11, "invalid_json", 2)]
    assert _ledger(wh)[1][1:3] == (len(complete), 11)
    assert_consistent(wh.path, wh.lake)


def test_unterminated_complete_event_read_again_counts_as_a_duplicate(wh):
    f = wh.inputs / "events.ndjson"
    body = _file_lines(1, 5)
    f.write_bytes(body.rstrip(b"\n"))  # the last event has no newline
    assert wh.load(f).files[0].loaded == 5
    with open(f, "ab") as a:
        a.write(b"\n" + _file_lines(6, 2))
    r = wh.load(f).files[0]
    assert (r.mode, r.first_line, r.read, r.loaded, r.duplicates) == ("appended", 5, 3, 2, 1)
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 7
    # an unterminated bad line that gets only its newline is not stored twice either
    with open(f, "ab") as a:
        a.write(b"oops")
    assert wh.load(f).files[0].rejected == 1
    with open(f, "ab") as a:
        a.write(b"\n")
    r = wh.load(f).files[0]
    assert (r.mode, r.read, r.rejected, r.duplicates) == ("appended", 1, 0, 1)
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 1


def test_grown_gzip_is_loaded_again_in_full(wh):
    """A .gz that grew (a gzip member appended) is `changed`: read in full, nothing stored twice."""
    f = wh.inputs / "events.ndjson.gz"
    f.write_bytes(gzip.compress(_file_lines(1, 40, bad_every=10), mtime=0))
    assert wh.load(f).files[0].rejected == 4
    with open(f, "ab") as a:
        a.write(gzip.compress(_file_lines(41, 10, bad_every=10), mtime=0))
    r = wh.load(f).files[0]
    assert (r.mode, r.read, r.loaded, r.rejected, r.duplicates) == ("changed", 50, 9, 1, 40)
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 45
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 5
    assert _rejects_per_line(wh) == []
    assert wh.query("SELECT resume_offset FROM raw.load_ledger") == [(None,), (None,)]


def test_append_killed_before_commit_is_loaded_once_by_the_rerun(wh):
    f = wh.inputs / "events.ndjson"
    f.write_bytes(_file_lines(1, 200, bad_every=50))
    assert wh.invoke("load", str(f)).returncode == 0
    with open(f, "ab") as a:
        a.write(_file_lines(201, 100, bad_every=50))
    killed = wh.cli("load", str(f), env={"GROUPLAKE_FAULT": "before_commit"})
    assert killed.returncode != 0
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 1
    rerun = wh.invoke("load", str(f))
    assert rerun.returncode == 0 and "appended from line 201" in rerun.stderr
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 294
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 6
    assert_consistent(wh.path, wh.lake)


def test_renamed_copy_of_a_loaded_file_is_still_skipped(wh):
    f = wh.write("a.ndjson", [group_call(message_id=f"x{i}") for i in range(20)])
    wh.load(f)
    copy = wh.inputs / "b.ndjson"
    os.link(f, copy)
    r = wh.load(copy).files[0]
    assert (r.status, r.note) == ("skipped", "already loaded (same content as batch 1)")


def test_json_report_says_which_case_each_input_was(wh):
    f = wh.inputs / "events.ndjson"
    f.write_bytes(_file_lines(1, 30, bad_every=10))
    first = json.loads(wh.invoke("load", "--json", str(f)).stdout)
    assert [(x["status"], x["mode"], x["first_line"]) for x in first["files"]] == [
        ("loaded", "new", 1)
    ]
    with open(f, "ab") as a:
        a.write(_file_lines(31, 5))
    second = json.loads(wh.invoke("load", "--json", str(f)).stdout)
    assert [
        (x["status"], x["mode"], x["first_line"], x["read"], x["loaded"]) for x in second["files"]
    ] == [("loaded", "appended", 31, 5, 5)]
    third = json.loads(wh.invoke("load", "--json", str(f)).stdout)
    assert [(x["status"], x["mode"], x["note"]) for x in third["files"]] == [
        ("skipped", "skipped", "already loaded (unchanged since batch 2)")
    ]
    f.write_bytes(_file_lines(1, 35, bad_every=10).replace(b'"n": 1}', b'"n": -1}', 1))
    fourth = json.loads(wh.invoke("load", "--json", str(f)).stdout)
    (r,) = fourth["files"]
    assert (
        r["mode"],
        r["read"],
        r["loaded"],
        r["rejected"],
        r["duplicates"],
        r["duplicate_rejects"],
    ) == ("changed", 35, 0, 0, 35, 3)
    assert fourth["exit_code"] == 0
    assert_consistent(wh.path, wh.lake)
