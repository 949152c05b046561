"""PII rules at ingest (grouplake.toml [pii]): chosen fields dropped or hashed in the raw table, the lake
and (with rejects = "redact") the rejects."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from helpers import group_call

CONFIG = """
[pii]
rejects = "{rejects}"

[pii.fields]
"context.ip" = "hash"
"context.traits.email" = "drop"
"traits.email" = "hash"
"traits.phone" = "drop"
"""


def _h(salt: str, value: str) -> str:
    return hashlib.sha256((salt + value).encode()).hexdigest()


def _config(wh, rejects: str = "keep") -> None:
    (wh.path.parent / "grouplake.toml").write_text(CONFIG.format(rejects=rejects))


def _salt(wh) -> str:
    return Path(str(wh.path) + ".salt").read_text().strip()


LINES = [
    group_call(
        "g1",
        "u1",
        {"email": "a@x.io", "Phone": "+41 79", "plan": "pro"},
        message_id="m1",
        context={"ip": "10.0.0.1", "traits": {"email": "a@x.io", "name": "A"}, "locale": "de"},
    ),
    group_call(
        "g2",
        "u2",
        {"EMAIL ": "a@x.io", "e-mail": "kept@x.io", "phone": 417912},
        message_id="m2",
        context={"library": {"name": "js"}},
    ),
    group_call(
        "g3",
        "u3",
        {"email": None, "nested": {"email": "deep@x.io"}},
        message_id="m3",
        context={"ip": None},
    ),
    '{"type": "group", "groupId": "g4", "messageId": "m4", "traits": {"email": "b@x.io", "email": "c@x.io"}}',
]


def _events(wh) -> dict[str, tuple]:
    return {
        r[0]: (json.loads(r[1]), json.loads(r[2]) if r[2] else None)
        for r in wh.query(
            "SELECT message_id, traits::VARCHAR, context::VARCHAR FROM raw.group_events"
        )
    }


def test_fields_are_hashed_or_dropped_in_raw_and_lake(wh):
    _config(wh)
    report = wh.load(wh.write("in.ndjson", LINES))
    assert (report.loaded, report.rejected) == (4, 0)
    salt = _salt(wh)
    ev = _events(wh)
    assert ev["m1"] == (
        {"email": _h(salt, "a@x.io"), "plan": "pro"},
        {"ip": _h(salt, "10.0.0.1"), "traits": {"name": "A"}, "locale": "de"},
    )
    # every spelling whose canonical name is `email` is hashed; e-mail (canonical e_mail) is not
    assert ev["m2"] == (
        {"EMAIL ": _h(salt, "a@x.io"), "e-mail": "kept@x.io"},
        {"library": {"name": "js"}},
    )
    # null stays null (a clear); nested keys are not top-level trait keys
    assert ev["m3"] == ({"email": None, "nested": {"email": "deep@x.io"}}, {"ip": None})
    # the same key twice: no copy of it keeps the plain value
    assert ev["m4"][0]["email"] in (_h(salt, "b@x.io"), _h(salt, "c@x.io"))
    assert "b@x.io" not in json.dumps(ev["m4"]) and "c@x.io" not in json.dumps(ev["m4"])
    # the same input gives the same hash: joins on hashed values work
    assert ev["m1"][0]["email"] == ev["m2"][0]["EMAIL "]
    lake = {
        r[0]: (json.loads(r[1]), json.loads(r[2]) if r[2] else None)
        for r in wh.lake_rows("message_id, traits::VARCHAR, context::VARCHAR")
    }
    assert lake == ev


def test_without_config_nothing_changes(wh):
    wh.load(wh.write("in.ndjson", LINES[:1]))
    assert _events(wh)["m1"][0] == {"email": "a@x.io", "Phone": "+41 79", "plan": "pro"}


def test_rejects_keep_exact_bytes_by_default(wh):
    _config(wh)
    line = '{"type": "group", "userId": "u1", "traits": {"email": "r@x.io"}, "messageId": "r1"}'
    wh.load(wh.write("in.ndjson", [line]))
    assert wh.query("SELECT raw_line FROM raw.group_event_rejects") == [(line,)]


def test_redacted_rejects(wh, tmp_path):
    _config(wh, rejects="redact")
    lines = [
        '{"type": "group", "userId": "u1", "traits": {"email": "r@x.io", "phone": "1", "plan": "x"}, '
        '"context": {"ip": "10.1.1.1"}, "messageId": "r1"}',  # missing_group_id
        '{"type": "group", "groupId": "g", "traits": "email r@x.io", "messageId": "r2"}',  # invalid_traits
        '{"type": "group", "groupId": "g", "traits": {"email": "r@x.io"',  # invalid JSON: withheld
        b'{"type": "group", "email": "\xff"}',  # not UTF-8: withheld
        "[1, 2]",  # not an object: withheld
    ]
    report = wh.load(wh.write("in.ndjson", lines))
    assert report.rejected == 5
    salt = _salt(wh)
    rows = wh.query(
        "SELECT source_line, reason, raw_line, raw_line_base64, message FROM raw.group_event_rejects "
        "ORDER BY source_line"
    )
    first = json.loads(rows[0][2])
    assert first["traits"] == {"email": _h(salt, "r@x.io"), "plan": "x"}
    assert first["context"] == {"ip": _h(salt, "10.1.1.1")}
    assert (first["userId"], first["messageId"]) == ("u1", "r1")
    assert json.loads(rows[1][2]) == json.loads(lines[1])  # nothing to redact: the same document
    for _, reason, raw, raw_b64, message in rows[2:]:
        assert raw is None and raw_b64 is None, reason
        assert message.endswith("; raw line withheld (pii.rejects = redact)")
    assert [r[1] for r in rows] == [
        "missing_group_id",
        "invalid_traits",
        "invalid_json",
        "invalid_utf8",
        "not_an_object",
    ]
    # export writes the lines it has, and skips the withheld ones
    out = tmp_path / "rejects.ndjson"
    r = wh.invoke("rejects", "--export", str(out))
    assert r.returncode == 0, r.stderr
    assert "wrote 2 rejected lines" in r.stdout and "3 withheld" in r.stdout
    assert [json.loads(x)["messageId"] for x in out.read_text().splitlines()] == ["r1", "r2"]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[pii.fields]\n"traits.Email" = "hash"\n', "traits.<canonical_name>"),
        ('[pii.fields]\n"context.ip" = "encrypt"\n', 'must be "drop" or "hash"'),
        ('[pii]\nrejects = "maybe"\n', "pii.rejects must be one of keep, redact"),
        ("[pii\n", "invalid config file"),
        ("[pii]\nfield = 1\n", "unknown key(s) in the pii table: field"),
    ],
)
def test_bad_config_is_one_clear_error_and_loads_nothing(wh, text, message):
    (wh.path.parent / "grouplake.toml").write_text(text)
    r = wh.invoke("load", str(wh.write("in.ndjson", LINES[:1])))
    assert r.returncode == 2  # a usage error: the config is wrong, not the input
    assert message in r.stderr and "grouplake.toml" in r.stderr and "Traceback" not in r.stderr
    if wh.path.exists():
        assert wh.scalar("SELECT count(*) FROM raw.group_events") == 0


def test_raw_line_of_a_differing_duplicate_gets_the_field_rules(wh):
    """raw.group_event_duplicates keeps the raw line of a duplicate whose content differs: hashed too."""
    _config(wh)
    first = group_call("g1", "u1", {"email": "a@x.io"}, message_id="d1", context={"ip": "10.0.0.9"})
    again = group_call(
        "g1", "u1", {"email": "b@x.io", "phone": "1"}, message_id="d1", context={"ip": "10.0.0.9"}
    )
    report = wh.load(wh.write("in.ndjson", [first, again]))
    assert (report.loaded, report.duplicates) == (1, 1)
    salt = _salt(wh)
    ((raw_line, differs),) = wh.query(
        "SELECT raw_line, content_differs FROM raw.group_event_duplicates"
    )
    assert differs
    doc = json.loads(raw_line)
    assert doc["traits"] == {"email": _h(salt, "b@x.io")} and doc["context"] == {
        "ip": _h(salt, "10.0.0.9")
    }
    assert "b@x.io" not in raw_line
