"""Hostile input (SPEC §2 "nothing is lost"): whatever the bytes, the loader does not crash and
for every file  read = loaded + rejected + duplicates + skipped  holds exactly, line by line.

The property tests generate files from random JSON, mangled Group calls and raw byte noise
(NaN/Infinity tokens, duplicate keys, deep nesting, huge numbers, BOMs, CRLF, NUL bytes,
invalid UTF-8, missing last newline), load them in-process with tiny chunks, and check an
independent line count and a partial oracle: a well-formed Group call is loaded (or counted as
a duplicate), a line that is not JSON is rejected, and every rejected line keeps its bytes.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import tempfile
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import grouplake.reader
from grouplake.load import load_paths

from helpers import REPO_ROOT, assert_consistent, connect_ro, invoke

MAX_LINE = 1 << 20


# --------------------------------------------------------------------------- oracle helpers


def expected_lines(data: bytes, gz: bool = False) -> list[bytes]:
    """The lines a reader must report for a file's bytes (independent of loader/reader.py)."""
    if gz:
        data = gzip.decompress(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data:
        return []
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return parts


def file_rows(wh: Path, path: Path):
    con = connect_ro(wh)
    try:
        events = dict(
            con.execute(
                "SELECT source_line, message_id FROM raw.group_events WHERE source_file = ?",
                [str(path)],
            ).fetchall()
        )
        rejects = {
            r[0]: r[1:]
            for r in con.execute(
                """SELECT source_line, reason, raw_line, raw_line_base64 FROM raw.group_event_rejects
               WHERE source_file = ?""",
                [str(path)],
            ).fetchall()
        }
    finally:
        con.close()
    return events, rejects


def reject_bytes(raw_line: str | None, raw_b64: str | None) -> bytes:
    return base64.b64decode(raw_b64) if raw_b64 else (raw_line or "").encode("utf-8")


def check_file_accounting(wh: Path, result, lines: list[bytes], valid_ids: dict[int, str]) -> None:
    """read = loaded + rejected + duplicates + skipped, and every line is accounted for exactly once."""
    assert result.status == "loaded", result.error
    assert result.read == result.loaded + result.rejected + result.duplicates + result.skipped
    assert result.read == len(lines), (result.read, len(lines))
    events, rejects = file_rows(wh, Path(result.path))
    assert len(events) == result.loaded and len(rejects) == result.rejected
    assert not set(events) & set(rejects), "a line is both loaded and rejected"
    assert set(events) | set(rejects) <= set(range(1, len(lines) + 1))
    for no, line in enumerate(lines, start=1):
        if no in rejects:
            reason, raw_line, raw_b64 = rejects[no]
            kept = reject_bytes(raw_line, raw_b64)
            if reason != "too_large":
                # the exact line (a trailing CR may be dropped from text lines)
                assert kept == line or kept == line.rstrip(b"\r"), (
                    no,
                    reason,
                    line[:200],
                    kept[:200],
                )
        if no in valid_ids:
            # a well-formed Group call: loaded here, or a duplicate of an earlier one (never rejected)
            assert no not in rejects, (no, rejects.get(no), line[:300])
            if no in events:
                assert events[no] == valid_ids[no]


def decodes_as_json(line: bytes) -> bool:
    try:
        json.loads(
            line.decode("utf-8"), parse_constant=lambda t: (_ for _ in ()).throw(ValueError(t))
        )
        return True
    except RecursionError:
        return True  # deeper than Python's parser goes: no opinion
    except (ValueError, UnicodeDecodeError):
        return False


# --------------------------------------------------------------------------- strategies

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)

hostile_keys = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "Plan",
            "plan",
            "PLAN",
            "p lan",
            "a.b",
            "a'b",
            'a"b',
            "a\\b",
            "ü",
            "日本",
            "",
            "$.x",
            "x]",
            "'; DROP TABLE raw.group_events; --",
            "\u0000k",
            "k" * 10_000,
        ]
    ),
)

message_ids = st.text(alphabet="abcdef0123456789", min_size=1, max_size=6).map(lambda s: "m-" + s)


@st.composite
def group_calls(draw) -> tuple[bytes, str]:
    """A well-formed Group call (any casing of "group", hostile traits) and its messageId."""
    mid = draw(message_ids)
    call = {
        "type": draw(st.sampled_from(["group", "Group", "GROUP", " group "])),
        "groupId": draw(
            st.one_of(
                st.text(min_size=1, max_size=10).filter(lambda s: s.strip()),
                st.integers(min_value=-(10**15), max_value=10**15),
            )
        ),
        "messageId": mid,
        "traits": draw(st.dictionaries(hostile_keys, json_values, max_size=5)),
        "timestamp": draw(
            st.one_of(
                st.just("2024-05-01T12:00:00Z"),
                st.integers(0, 2 * 10**9),
                st.just("2024-05-01T12:00:00.123+02:00"),
            )
        ),
    }
    if draw(st.booleans()):
        call["userId"] = draw(st.one_of(st.text(max_size=10), st.integers()))
    if draw(st.booleans()):
        call["context"] = draw(json_values)
    line = json.dumps(call, ensure_ascii=draw(st.booleans())).encode("utf-8")
    return line, mid


noise_lines = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),  # any JSON, mostly not a call
    st.binary(max_size=80).map(lambda b: b.replace(b"\n", b"")),  # raw bytes, invalid UTF-8, NUL
    st.text(max_size=80).map(lambda t: t.replace("\n", "").encode("utf-8", "surrogatepass")),
    st.sampled_from(
        [
            b'{"type":"group","groupId":"g","traits":{"x":NaN}}',
            b'{"type":"group","groupId":"g","traits":{"x":-Infinity}}',
            b'{"type":"group","groupId":"g","traits":{"x":1,}}',
            b'{"type":"group","type":"track","groupId":"g"}',
            b'{"type":"group","groupId":1e400}',
            b'{"type":"group","groupId":"g","traits":{"n":123456789012345678901234567890123456789}}',
            b'{"type":"group","groupId":"g","timestamp":"infinity"}',
            b'{"type":"group","groupId":"g","timestamp":"not a time"}',
            b'{"type":"group","groupId":"g\\u0000","messageId":"nul-escape"}',
            b'{"type":"group","groupId":"g"}\x00',
            b'\xef\xbb\xbf{"type":"group","groupId":"bom-in-the-middle"}',
            b'{"type":"group","groupId":"g","traits":' + b"[" * 3000 + b"]" * 3000 + b"}",
            b'{"type":"group","groupId":"g","traits":{"s":"NaN","d":'
            + b"[" * 3000
            + b"]" * 3000
            + b"}}",
            b'{"type":"group","groupId":"   "}',
            b"null",
            b"[]",
            b'"group"',
            b"",
            b"   ",
            b"\r",
            b'{"type":"group","groupId":"g","traits":"x"}',
            b'{"type":"group","groupId":"g","traits":{"big":"' + b"x" * 5000 + b'"}}',
        ]
    ),
)


@st.composite
def hostile_files(draw):
    """(file bytes, lines as the reader must see them, {line_no: messageId} of well-formed calls)."""
    entries = draw(
        st.lists(
            st.one_of(group_calls(), noise_lines.map(lambda b: (b, None))), min_size=0, max_size=40
        )
    )
    crlf = draw(st.booleans())
    lines = [b + (b"\r" if crlf and draw(st.booleans()) else b"") for b, _ in entries]
    data = b"\n".join(lines)
    if lines and draw(st.booleans()):
        data += b"\n"  # otherwise: last line without a newline
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    valid = {i + 1: mid for i, (_, mid) in enumerate(entries) if mid is not None}
    return data, valid


# HYPOTHESIS_EXAMPLES=500 for a deeper search than the default run
FAST = settings(
    max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@FAST
@given(
    files=st.lists(hostile_files(), min_size=1, max_size=3),
    gz=st.lists(st.booleans(), min_size=3, max_size=3),
    chunk_bytes=st.sampled_from([1, 7, 64, 500, 1 << 20]),
)
def test_any_bytes_every_line_accounted_for(files, gz, chunk_bytes):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        paths, expected = [], []
        for i, (data, valid) in enumerate(files):
            if gz[i]:
                p = tmp / f"f{i}.ndjson.gz"
                p.write_bytes(gzip.compress(data, mtime=0))
            else:
                p = tmp / f"f{i}.ndjson"
                p.write_bytes(data)
            paths.append(p)
            expected.append((expected_lines(data), valid))
        report = load_paths(
            paths, warehouse=tmp / "wh.duckdb", lake=tmp / "lake", chunk_bytes=chunk_bytes
        )
        assert report.read == report.loaded + report.rejected + report.duplicates + report.skipped
        seen = [r for r in report.files if r.status != "skipped"]
        for result in seen:
            i = [str(p) for p in paths].index(result.path)
            lines, valid = expected[i]
            check_file_accounting(tmp / "wh.duckdb", result, lines, valid)
            # a line that is not JSON at all is never loaded
            events, _ = file_rows(tmp / "wh.duckdb", Path(result.path))
            for no in events:
                assert decodes_as_json(lines[no - 1].rstrip(b"\r")), lines[no - 1][:300]
        assert_consistent(tmp / "wh.duckdb", tmp / "lake")


@FAST
@given(keys=st.lists(hostile_keys, min_size=1, max_size=6, unique=True), value=json_values)
def test_sql_hostile_trait_keys_stored_exactly(keys, value):
    """Trait keys with quotes, dots, unicode, 10k characters, or colliding canonical forms: the raw
    layer and the lake keep the traits object exactly as sent."""
    traits = {k: value for k in keys}
    line = json.dumps(
        {
            "type": "group",
            "groupId": "g",
            "messageId": "hk",
            "traits": traits,
            "timestamp": "2024-05-01T00:00:00Z",
        }
    ).encode()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "in.ndjson").write_bytes(line + b"\n")
        report = load_paths([tmp / "in.ndjson"], warehouse=tmp / "wh.duckdb", lake=tmp / "lake")
        assert (report.loaded, report.rejected) == (1, 0), report.files[0]
        con = connect_ro(tmp / "wh.duckdb")
        try:
            stored = con.execute("SELECT traits::VARCHAR FROM raw.group_events").fetchone()[0]
            in_lake = con.execute(
                f"SELECT traits::VARCHAR FROM read_parquet('{tmp}/lake/group_events/*/*.parquet', "
                "union_by_name = true)"
            ).fetchone()[0]
        finally:
            con.close()
        assert json.loads(stored) == traits
        assert json.loads(in_lake) == traits


# --------------------------------------------------------------------------- specific files


def _load_one(tmp: Path, name: str, data: bytes, **kw):
    p = tmp / name
    p.write_bytes(data)
    report = load_paths([p], warehouse=tmp / "wh.duckdb", lake=tmp / "lake", **kw)
    return p, report.files[0]


GOOD = b'{"type":"group","groupId":"g","messageId":"m%d","timestamp":"2024-01-01T00:00:00Z"}'


@pytest.mark.parametrize(
    "name,data,expect",
    [
        ("empty.ndjson", b"", (0, 0, 0)),
        ("bom_only.ndjson", b"\xef\xbb\xbf", (0, 0, 0)),
        ("newline_only.ndjson", b"\n", (1, 0, 1)),
        ("crlf.ndjson", b"\r\n".join(GOOD % i for i in range(3)) + b"\r\n", (3, 3, 0)),
        ("bom_crlf.ndjson", b"\xef\xbb\xbf" + GOOD % 1 + b"\r\n" + GOOD % 2, (2, 2, 0)),
        ("no_final_newline.ndjson", GOOD % 1 + b"\n" + GOOD % 2, (2, 2, 0)),
        ("truncated_last_line.ndjson", GOOD % 1 + b"\n" + (GOOD % 2)[:30], (2, 1, 1)),
        ("nul.ndjson", GOOD % 1 + b"\x00\n" + b"\x00\x00\n", (2, 0, 2)),
        (
            "invalid_utf8.ndjson",
            b'{"type":"group","groupId":"\xff\xfe"}\n' + GOOD % 1 + b"\n",
            (2, 1, 1),
        ),
        ("cr_only_separators.ndjson", b"\r".join(GOOD % i for i in range(3)), (1, 0, 1)),
        ("dup_in_file.ndjson", b"\n".join([GOOD % 1] * 3), (3, 1, 0)),
        ("empty.ndjson.gz", gzip.compress(b""), (0, 0, 0)),
        (
            "concatenated.ndjson.gz",
            gzip.compress(GOOD % 1 + b"\n") + gzip.compress(GOOD % 2 + b"\n"),
            (2, 2, 0),
        ),
        ("not_gzip.ndjson.gz", GOOD % 1 + b"\n", (1, 0, 1)),
        ("gzip_magic_only.ndjson.gz", b"\x1f\x8b", (1, 0, 1)),
        ("gzip_garbage_tail.ndjson.gz", gzip.compress(GOOD % 1 + b"\n") + b"garbage", (2, 1, 1)),
        ("plain_but_gz_content.ndjson", gzip.compress(GOOD % 1 + b"\n"), None),
    ],
)
def test_hostile_file(tmp_path, name, data, expect):
    p, res = _load_one(tmp_path, name, data, chunk_bytes=16)
    assert res.status == "loaded", res.error
    assert res.read == res.loaded + res.rejected + res.duplicates + res.skipped
    if expect is not None:
        assert (res.read, res.loaded, res.rejected) == expect, res
    assert_consistent(tmp_path / "wh.duckdb", tmp_path / "lake")


def test_truncated_gzip_keeps_lines_before_the_damage(tmp_path):
    body = b"\n".join(GOOD % i for i in range(3000)) + b"\n"
    data = gzip.compress(body, mtime=0)
    p, res = _load_one(tmp_path, "trunc.ndjson.gz", data[: len(data) * 2 // 3], chunk_bytes=4096)
    assert res.read == res.loaded + res.rejected + res.duplicates + res.skipped
    events, rejects = file_rows(tmp_path / "wh.duckdb", p)
    assert "unreadable_input" in [r[0] for r in rejects.values()]
    # the loaded lines are exactly the first ones, in order, and nothing after the damage is invented
    assert sorted(events) == list(range(1, len(events) + 1))
    assert res.loaded > 1000


def test_huge_lines_rejected_not_loaded_and_batch_goes_on(tmp_path):
    huge = b'{"type":"group","groupId":"g","traits":{"s":"' + b"x" * (MAX_LINE + 10) + b'"}}'
    giant = b'{"type":"group","groupId":"g","traits":{"s":"' + b"y" * (17 << 20) + b'"}}'
    data = (
        GOOD % 1 + b"\n" + huge + b"\n" + giant + b"\n" + GOOD % 2
    )  # giant is over the kept-bytes cap
    p, res = _load_one(tmp_path, "huge.ndjson", data)
    assert (res.read, res.loaded, res.rejected) == (4, 2, 2)
    _, rejects = file_rows(tmp_path / "wh.duckdb", p)
    assert [rejects[2][0], rejects[3][0]] == ["too_large", "too_large"]
    assert len(rejects[3][1]) < 1 << 20, "an over-long line is kept truncated, not whole"


def test_deep_nesting_with_nan_text_does_not_crash(tmp_path):
    """Regression: deep nesting + the text NaN made the strict pre-check raise RecursionError."""
    deep = b"[" * 200_000 + b"]" * 200_000
    lines = [
        b'{"type":"group","groupId":"g","messageId":"deep","traits":{"s":"NaN","d":' + deep + b"}}",
        b'{"type":"group","groupId":"g","messageId":"deepnan","traits":{"x":NaN,"d":'
        + deep
        + b"}}",
        b'{"type":"group","groupId":"g","messageId":"deepcomma","traits":{"x":1,"d":'
        + deep
        + b",}}",
    ]
    p, res = _load_one(tmp_path, "deep.ndjson", b"\n".join(lines) + b"\n")
    assert (res.read, res.loaded, res.rejected) == (3, 1, 2)
    events, rejects = file_rows(tmp_path / "wh.duckdb", p)
    assert list(events.values()) == ["deep"]
    assert {r[0] for r in rejects.values()} == {"invalid_json"}


def test_lenient_json_is_rejected(tmp_path):
    """DuckDB's parser accepts trailing commas and NaN; the contract says valid JSON only."""
    lines = [
        b'{"type":"group","groupId":"g","messageId":"a","traits":{"x":1,}}',
        b'{"type":"group","groupId":"g","messageId":"b","traits":[1,2,],"z":1}',
        b'{"type":"group","groupId":"g","messageId":"c","traits":{"x":NaN}}',
        b'{"type":"group","groupId":"g","messageId":"d","traits":{"x":"a,]} NaN"}}',  # fine: in a string
        b'{"type":"group","groupId":"g","messageId":"e","timestamp":"epoch"}',
        b'{"type":"group","groupId":"g","messageId":"f","timestamp":"infinity"}',
    ]
    p, res = _load_one(tmp_path, "lenient.ndjson", b"\n".join(lines) + b"\n")
    events, rejects = file_rows(tmp_path / "wh.duckdb", p)
    assert list(events.values()) == ["d"]
    assert [rejects[i][0] for i in (1, 2, 3, 5, 6)] == ["invalid_json"] * 3 + [
        "invalid_timestamp"
    ] * 2


def test_duplicate_keys_first_wins_and_raw_keeps_both(tmp_path):
    """Duplicate top-level keys: the first occurrence decides (DuckDB's JSON reader); traits keep
    every member as sent."""
    lines = [
        b'{"type":"group","type":"track","groupId":"g","messageId":"a","traits":{"plan":"x","plan":"y"}}',
        b'{"type":"track","type":"group","groupId":"g","messageId":"b"}',
    ]
    p, res = _load_one(tmp_path, "dupkeys.ndjson", b"\n".join(lines) + b"\n")
    # the second line's first type is "track": another call type, skipped and counted
    assert (res.loaded, res.rejected, res.skipped, res.skipped_by_type) == (1, 0, 1, {"track": 1})
    con = connect_ro(tmp_path / "wh.duckdb")
    try:
        traits = con.execute("SELECT traits::VARCHAR FROM raw.group_events").fetchone()[0]
    finally:
        con.close()
    assert traits.count('"plan"') == 2


def test_directory_with_unreadable_and_odd_files(tmp_path, monkeypatch):
    """One unreadable file fails alone (ledger row 'failed', exit 1), the rest of the folder loads."""
    d = tmp_path / "in"
    (d / "sub").mkdir(parents=True)
    (d / "a.ndjson").write_bytes(GOOD % 1 + b"\n")
    (d / "sub" / "b.jsonl").write_bytes(GOOD % 2 + b"\n")
    (d / "locked.ndjson").write_bytes(GOOD % 3 + b"\n")
    (d / "empty.ndjson").write_bytes(b"")
    (d / "_tmp.ndjson").write_bytes(GOOD % 4 + b"\n")  # hidden by convention: not an input
    (d / "notes.txt").write_bytes(b"not an input\n")
    (d / "dir.ndjson").mkdir()  # a directory with an input-like name
    os.symlink(d / "missing-target.ndjson", d / "dangling.ndjson")
    locked = d / "locked.ndjson"
    if os.geteuid() == 0:  # root reads mode-000 files: simulate the permission error instead
        real_open = open

        def guarded_open(file, *a, **k):
            if Path(file) == locked:
                raise PermissionError(13, "Permission denied", str(file))
            return real_open(file, *a, **k)

        monkeypatch.setattr(grouplake.reader, "open", guarded_open, raising=False)
    else:
        locked.chmod(0)
    report = load_paths([d], warehouse=tmp_path / "wh.duckdb", lake=tmp_path / "lake")
    by_name = {Path(f.path).name: f for f in report.files}
    assert by_name["locked.ndjson"].status == "failed"
    assert "Permission denied" in by_name["locked.ndjson"].error
    assert (
        by_name["a.ndjson"].status
        == by_name["b.jsonl"].status
        == by_name["empty.ndjson"].status
        == "loaded"
    )
    assert (
        "_tmp.ndjson" not in by_name and "notes.txt" not in by_name and "dir.ndjson" not in by_name
    )
    assert not report.ok and report.loaded == 2
    con = connect_ro(tmp_path / "wh.duckdb")
    try:
        failed = con.execute(
            "SELECT file_path, error FROM raw.load_ledger WHERE status = 'failed'"
        ).fetchall()
    finally:
        con.close()
    assert [Path(f).name for f, _ in failed] == ["locked.ndjson"]
    # once readable, the next run loads it and skips the rest
    monkeypatch.undo()
    locked.chmod(0o644)
    again = load_paths([d], warehouse=tmp_path / "wh.duckdb", lake=tmp_path / "lake")
    assert again.ok and again.loaded == 1 and again.skipped_files == 3


def test_cli_reports_counts_and_exit_code_for_hostile_folder(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    (d / "a.ndjson").write_bytes(GOOD % 1 + b"\n\xff\n{}\n" + GOOD % 1)
    (d / "b.ndjson.gz").write_bytes(b"not gzip at all\n")
    p = invoke("load", d, "--warehouse", tmp_path / "wh.duckdb", "--lake", tmp_path / "lake")
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stdout + p.stderr
    assert "5 = 1 + 3 + 1" in p.stdout.replace(",", "")


# --------------------------------------------------------------------------- dbt side (owned elsewhere)


def test_colliding_trait_keys_resolved_by_documented_rule_after_build(tmp_path):
    """`Plan` and `plan` in one event: raw keeps both; after `grouplake build` the canonical trait
    `plan` takes the value of the original key greatest in binary order (`plan`), per
    dbt_project/models/intermediate/int_group_trait_writes.sql."""
    if not (REPO_ROOT / "dbt_project" / "dbt_project.yml").exists():
        pytest.skip("no dbt project yet")
    lines = [
        {
            "type": "group",
            "groupId": "g1",
            "messageId": "c1",
            "timestamp": "2024-01-01T00:00:00Z",
            "traits": {
                "Plan": "upper",
                "plan": "lower",
                "a'b": 1,
                "a.b": 2,
                "ü x": 3,
                "k" * 10_000: 4,
                "'; DROP TABLE raw.group_events; --": 5,
            },
        }
    ]
    inp = tmp_path / "in.ndjson"
    inp.write_bytes(b"".join(json.dumps(x).encode() + b"\n" for x in lines))
    wh = tmp_path / "wh.duckdb"
    assert load_paths([inp], warehouse=wh, lake=tmp_path / "lake").loaded == 1
    p = invoke("build", "--warehouse", wh)
    if p.returncode != 0:
        pytest.xfail(f"grouplake build does not pass yet: {(p.stdout + p.stderr)[-800:]}")
    con = duckdb.connect(str(wh), read_only=True)
    try:
        latest = {
            k: v
            for k, v in con.execute(
                "SELECT trait_key, value::VARCHAR FROM group_traits_latest WHERE group_id = 'g1'"
            ).fetchall()
        }
        assert con.execute("SELECT count(*) FROM raw.group_events").fetchone()[0] == 1
    finally:
        con.close()
    assert latest["plan"] == '"lower"'
    assert len([k for k in latest if k.startswith("k")]) == 1
    assert any(len(k) == 10_000 for k in latest)
