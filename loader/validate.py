"""Validation of raw lines: every line becomes an event row, a reject row, or a duplicate.

The per-line work is done in two vectorised steps:

1. ``prepare_chunk`` (Arrow): byte-level checks that must happen before text exists —
   invalid UTF-8, NUL bytes, over-long lines, NaN/Infinity tokens. Only lines that fail
   these (rare) are looked at one by one.
2. ``gen_classify_sql`` (DuckDB): JSON parsing, the SPEC §1 field rules, ids, timestamps,
   event time, and the reject reason of every remaining line.

Reject reason codes are stable (RejectReason); they are the ``reason`` column of
raw.group_event_rejects.
"""

from __future__ import annotations

import base64
import json
import re
from bisect import bisect_right
from enum import StrEnum
from itertools import accumulate

import pyarrow as pa
import pyarrow.compute as pc

from grouplake.reader import Chunk
from grouplake.sql import quoted
from grouplake.tables import CHUNK_CLASSIFIED, CHUNK_DUPLICATES, CHUNK_INPUT

DEFAULT_MAX_LINE_BYTES = 1 << 20  # Segment caps a call at 32 KB; we accept up to 1 MiB


class RejectReason(StrEnum):
    """Why a line was rejected: the stable codes of the ``reason`` column of
    raw.group_event_rejects, with what each one means (``meaning``, also the message when
    there is no more precise one). A line gets the first rule it breaks (prepare_chunk's
    byte-level checks, then _reason_ctes). docs/SPEC.md §2 and the README list the same codes."""

    INVALID_UTF8 = "invalid_utf8", "the line is not valid UTF-8"
    TOO_LARGE = "too_large", "the line is longer than the maximum line size"
    EMPTY_LINE = "empty_line", "the line is empty or only whitespace"
    INVALID_JSON = "invalid_json", "the line is not valid JSON"
    NOT_AN_OBJECT = "not_an_object", "the line is JSON but not an object"
    WRONG_TYPE = (
        "wrong_type",
        'type is missing, blank or not a string (with --other-types reject: any type but "group")',
    )
    MISSING_GROUP_ID = (
        "missing_group_id",
        "groupId (for a lifecycle track event: its group id) is missing or null",
    )
    INVALID_GROUP_ID = (
        "invalid_group_id",
        "groupId (for a lifecycle track event: its group id) is empty, whitespace-only, "
        "or not a string or number",
    )
    INVALID_USER_ID = "invalid_user_id", "userId is not a string or number"
    INVALID_ANONYMOUS_ID = "invalid_anonymous_id", "anonymousId is not a string or number"
    INVALID_MESSAGE_ID = "invalid_message_id", "messageId is not a string or number"
    INVALID_TRAITS = "invalid_traits", "traits is not an object (or null)"
    INVALID_TIMESTAMP = (
        "invalid_timestamp",
        "a timestamp field is not an ISO-8601 string or unix seconds/milliseconds",
    )
    UNREADABLE_INPUT = (
        "unreadable_input",
        "the file could not be read past this point (corrupt or truncated compression)",
    )

    def __new__(cls, code: str, meaning: str) -> RejectReason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member


# code -> meaning (the default message of a reject)
REJECT_REASONS: dict[str, str] = {r.value: r.meaning for r in RejectReason}

CHUNK_SCHEMA = pa.schema(
    [
        ("source_line", pa.int64()),
        ("line", pa.string()),  # null when a byte-level check already rejected the line
        ("pre_reason", pa.string()),
        ("pre_message", pa.string()),
        ("raw_text", pa.string()),  # text shown in rejects for byte-level rejects
        ("raw_base64", pa.string()),  # exact bytes for lines that are not clean UTF-8 text
    ]
)


def prepare_chunk(chunk: Chunk, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> pa.Table:
    """Arrow table of the chunk's lines with byte-level rejects already decided.

    Every check is vectorised over the whole chunk; only the few suspect lines it finds are
    looked at one by one, and the text column stays in Arrow (no round trip through Python).
    """
    n = len(chunk.lines)
    binary = pa.array(chunk.lines, pa.binary())
    source_line = pa.array(range(chunk.first_line, chunk.first_line + n), pa.int64())
    suspects: set[int] = set(chunk.oversized)
    try:
        text = binary.cast(pa.string())
    except pa.ArrowInvalid:
        # Some line is not UTF-8: find which without copying the chunk. Only non-ASCII lines can
        # be (Arrow's string_is_ascii over an unvalidated zero-copy view of the bytes); only those
        # are decoded. They become suspects, are rejected as invalid_utf8 below, and the if_else
        # that nulls every rejected line leaves a text column that is valid UTF-8 again.
        text = binary.view(pa.string())
        non_ascii = pc.indices_nonzero(pc.invert(pc.string_is_ascii(text))).to_pylist()
        not_utf8 = [i for i in non_ascii if not _is_utf8(chunk.lines[i])]
        suspects.update(not_utf8)
    too_long = pc.greater(pc.binary_length(binary), max_line_bytes)
    if pc.any(too_long).as_py():
        suspects.update(pc.indices_nonzero(too_long).to_pylist())
    # NUL bytes, and NaN/Infinity tokens (DuckDB's JSON parser accepts them, JSON does not):
    # plain substring searches over the lines' bytes, mapped back to lines by their offsets.
    for start in range(0, n, SEARCH_LINES):
        piece = chunk.lines[start : start + SEARCH_LINES]
        data = b"".join(piece)  # a few MB at a time: no copy of the whole chunk
        offsets = list(accumulate(map(len, piece), initial=0))
        for needle in (b"\x00", b"NaN", b"Infinity"):
            suspects.update(start + i for i in _lines_containing(data, offsets, needle))
        del data, piece
    # trailing commas, which DuckDB's JSON parser also accepts
    trailing_comma = pc.match_substring_regex(binary, r",\s*[\]}]")
    if pc.any(trailing_comma).as_py():
        suspects.update(pc.indices_nonzero(trailing_comma).to_pylist())

    verdicts = {}
    for i in suspects:
        verdict = _byte_level_verdict(chunk.lines[i], chunk.oversized.get(i), max_line_bytes)
        if verdict is not None:
            verdicts[i] = verdict
    if not verdicts:
        nulls = pa.nulls(n, pa.string())
        return _in_batches(
            pa.Table.from_arrays(
                [source_line, text, nulls, nulls, nulls, nulls], schema=CHUNK_SCHEMA
            )
        )

    rejected = [False] * n
    pre_reason: list[str | None] = [None] * n
    pre_message: list[str | None] = [None] * n
    raw_text: list[str | None] = [None] * n
    raw_base64: list[str | None] = [None] * n
    for i, (reason, message, keep_bytes) in verdicts.items():
        data = chunk.lines[i]
        rejected[i] = True
        pre_reason[i], pre_message[i] = reason, message
        raw_text[i] = data.decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")
        if keep_bytes:
            raw_base64[i] = base64.b64encode(data).decode("ascii")
    lines = pc.if_else(pa.array(rejected, pa.bool_()), pa.scalar(None, pa.string()), text)
    return _in_batches(
        pa.Table.from_arrays(
            [
                source_line,
                lines,
                pa.array(pre_reason, pa.string()),
                pa.array(pre_message, pa.string()),
                pa.array(raw_text, pa.string()),
                pa.array(raw_base64, pa.string()),
            ],
            schema=CHUNK_SCHEMA,
        )
    )


SCAN_BATCH_ROWS = 8192
SEARCH_LINES = 8192


def _in_batches(table: pa.Table) -> pa.Table:
    """The same table as record batches of SCAN_BATCH_ROWS rows (zero-copy slices).

    DuckDB scans a registered Arrow table one record batch per task: a chunk handed over as
    a single batch is classified by one thread, whatever the number of cores.
    """
    return pa.Table.from_batches(
        table.to_batches(max_chunksize=SCAN_BATCH_ROWS), schema=table.schema
    )


def _lines_containing(data: bytes, offsets, needle: bytes) -> set[int]:
    """Indices of the lines (``data[offsets[i]:offsets[i + 1]]``) that may contain ``needle``.

    Lines are searched as one buffer, so a match may also straddle two lines: such a line is
    a false suspect, which the one-by-one check clears.
    """
    found: set[int] = set()
    pos = data.find(needle)
    while pos != -1:
        i = bisect_right(offsets, pos) - 1
        found.add(i)
        pos = data.find(needle, offsets[i + 1]) if i + 1 < len(offsets) else -1
    return found


def _byte_level_verdict(data: bytes, true_length: int | None, max_line_bytes: int):
    """(reason, message, keep_exact_bytes) for a line that fails a byte-level check, else None."""
    if true_length is not None or len(data) > max_line_bytes:
        length = true_length or len(data)
        kept = "" if true_length is None else f"; only the first {len(data)} bytes are kept here"
        return (
            RejectReason.TOO_LARGE,
            f"line is {length} bytes, over the {max_line_bytes}-byte limit{kept}",
            not _is_utf8(data),
        )
    if not _is_utf8(data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            where = f"invalid UTF-8 at byte {exc.start}"
        return RejectReason.INVALID_UTF8, where, True
    if b"\x00" in data:
        stripped = data.rstrip(b"\r").strip(b" \t")
        return (
            RejectReason.INVALID_JSON,
            "line contains a NUL byte" + ("" if stripped else " and nothing else"),
            True,
        )
    try:
        json.loads(data, parse_constant=_refuse_constant)
    except _NonFiniteNumber as exc:
        return (
            RejectReason.INVALID_JSON,
            f"{exc} is not valid JSON (only finite numbers are)",
            False,
        )
    except json.JSONDecodeError as exc:
        # strict JSON says no (e.g. a trailing comma, which DuckDB's parser would let through)
        return RejectReason.INVALID_JSON, f"the line is not valid JSON: {exc.msg}", False
    except (RecursionError, ValueError):
        # too deeply nested for Python's parser, or an integer over Python's digit limit
        return _scan_lenient_tokens(data)
    return None


# a JSON string, a non-finite number token, or a trailing comma (tokens inside strings are skipped)
_LENIENT_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|(-?Infinity|NaN)|(,\s*[\]}])')


def _scan_lenient_tokens(data: bytes):
    """Non-recursive check for what DuckDB accepts but JSON forbids, for very deeply nested lines."""
    for m in _LENIENT_TOKEN.finditer(data):
        if m.group(1):
            return (
                RejectReason.INVALID_JSON,
                f"{m.group(1).decode()} is not valid JSON (only finite numbers are)",
                False,
            )
        if m.group(2):
            return RejectReason.INVALID_JSON, "the line is not valid JSON: trailing comma", False
    return None


class _NonFiniteNumber(ValueError):
    pass


def _refuse_constant(token: str):
    raise _NonFiniteNumber(token)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


# Fields of the Segment call that get their own columns (JSON key: column name); every other
# field goes to `extra`.
FIELD_COLUMNS = {
    "type": "type",
    "groupId": "group_id",
    "userId": "user_id",
    "anonymousId": "anonymous_id",
    "messageId": "message_id",
    "traits": "traits",
    "timestamp": "timestamp",
    "originalTimestamp": "original_timestamp",
    "sentAt": "sent_at",
    "receivedAt": "received_at",
    "context": "context",
    "integrations": "integrations",
}
KNOWN_FIELDS = list(FIELD_COLUMNS)
_REMOVE_KNOWN_PATCH = json.dumps({k: None for k in KNOWN_FIELDS})

# The two track events that describe groups (SPEC §1): landed with their event name; every other
# track call is an "other call type". Their group id is the first present, non-null one of
# LIFECYCLE_GROUP_ID_FIELDS. `traits` and `groupId` are not columns of such a call: they stay in
# `extra` with `properties` and every other field; `event` becomes the event_name column.
LIFECYCLE_EVENTS = ("Relationship Deleted", "Object Deleted")
LIFECYCLE_GROUP_ID_FIELDS = {
    "ctx_group_id": "context.groupId",
    "prop_group_id": "properties.groupId",
    "prop_object_id": "properties.objectId",
}
LIFECYCLE_COLUMN_FIELDS = [k for k in KNOWN_FIELDS if k not in ("traits", "groupId")] + ["event"]
_REMOVE_LIFECYCLE_PATCH = json.dumps({k: None for k in LIFECYCLE_COLUMN_FIELDS})

# ---------------------------------------------------------------------------------------------
# The classification (DuckDB SQL).
#
# The statements below are built by gen_*_sql() functions (grouplake.sql): f-strings over
# named parameters (table names from grouplake.tables, field lists from above); values known
# only when a chunk is loaded are DuckDB parameters ($loaded_at, $batch_id, $source_file,
# $reject_other_types). MACROS_SQL, which has no variable part, is a constant.
#
# gen_classify_sql() is one CREATE TABLE ... AS WITH <CTE chain> SELECT over CHUNK_INPUT. Each
# step of the chain is built by one function, in this order:
#
#   _parse_ctes         lines, parsed, typed     the line; is it JSON; the document's JSON type
#   _extract_ctes       fields .. field_strings  each known field's JSON value, type, text
#   _derive_ctes        derived, flagged         presence, ids and timestamps of the fields
#   _call_kind_cte      kinds                    group call, lifecycle track event, other, none
#   _lifecycle_ctes     lc_*                     a lifecycle event's group id candidates
#   _group_id_cte       group_ids                the call's group id, whichever field holds it
#   _reason_ctes        checked, decided         the reject reason: the first rule that fails
#   _output_select      (final SELECT)           message, event time and the event's columns
#
# The whole line is parsed a fixed number of times, whatever the number of rules: json_valid,
# then (objects only) one json_extract of every known field and one json_keys (json_merge_patch
# only for the few lines with other fields). Types and string values come from the small
# extracted values. Every derived value is computed once per row in its own column and reused by
# the reason, the message and the output.
#
# Column prefixes. The columns derived from one field <c> (a column name of FIELD_COLUMNS,
# `event`, a lifecycle candidate of LIFECYCLE_GROUP_ID_FIELDS, or `gid`: the call's group id,
# whichever field it came from) are named <prefix>_<c>:
#
#   j_<c>    the field's value as extracted JSON (NULL when the key is absent)
#   t_<c>    its JSON type, as json_type names it: 'VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE',
#            'BOOLEAN', 'OBJECT', 'ARRAY' or 'NULL' (NULL when the key is absent)
#   s_<c>    its string value, for a string (only the fields whose text is used: _STRING_COLS)
#   p_<c>    present: the key is there and its value is not JSON null
#   idt_<c>  of an id's type: a string or a number (ids only)
#   id_<c>   the id as text: a string as sent, a number as a decimal string (ids only)
#   ts_<c>   the parsed timestamp; NULL when absent, null or unparseable (timestamps only)
#   bad_<c>  present but not parseable as a timestamp (timestamps only)
# ---------------------------------------------------------------------------------------------

_FIELD_COLS = list(FIELD_COLUMNS.values())
_ALL_COLS = [*_FIELD_COLS, "event"]
_LC_ID_COLS = list(LIFECYCLE_GROUP_ID_FIELDS)
_TS = ["timestamp", "original_timestamp", "sent_at", "received_at"]
_IDS = ["group_id", "user_id", "anonymous_id", "message_id"]
# string values are only needed for the type, the ids and the timestamps (not the big objects)
_STRING_COLS = ["type", "event", *_IDS, *_TS]
_OBJECT_COLS = ["traits", "context", "integrations"]
_ID_TYPES = "('VARCHAR', 'BIGINT', 'UBIGINT', 'DOUBLE')"
_R = RejectReason  # short, for the SQL templates

# SQL literals with braces, named so the templates below need no {{ }} escapes
_OBJECT_START = "'{'"
_EMPTY_OBJECT = "'{}'::JSON"

MACROS_SQL = r"""
-- unix seconds, or milliseconds when the magnitude says so (>= 1e11 is after year 5138 in seconds)
CREATE OR REPLACE TEMP MACRO gl_unix(x) AS
    try(to_timestamp(CASE WHEN abs(x) >= 1e11 THEN x / 1000.0 ELSE x END));
-- RFC 3339 allows a lower-case date/time separator `t` and UTC designator `z`; DuckDB's cast only
-- reads upper case. Only called when the plain cast failed (rare), so common values pay nothing.
CREATE OR REPLACE TEMP MACRO gl_rfc3339_upper(s) AS
    regexp_replace(regexp_replace(s, '^(\s*[+-]?[0-9]+-[0-9]{1,2}-[0-9]{1,2})t', '\1T'), 'z(\s*)$', 'Z\1');
CREATE OR REPLACE TEMP MACRO gl_kind(v) AS CASE json_type(v)
    WHEN 'VARCHAR' THEN 'a string' WHEN 'BIGINT' THEN 'a number' WHEN 'UBIGINT' THEN 'a number'
    WHEN 'DOUBLE' THEN 'a number' WHEN 'BOOLEAN' THEN 'a boolean' WHEN 'OBJECT' THEN 'an object'
    WHEN 'ARRAY' THEN 'an array' WHEN 'NULL' THEN 'null' ELSE lower(json_type(v)) END;
"""
"""The session's macros the classification uses (run once per connection)."""


def _listed(items) -> str:
    """SQL list items, one per line."""
    return ",\n        ".join(items)


# Per-field expressions: each returns ``<expression> AS <prefix>_<c>`` for one field <c>.


def _type_expr(c: str) -> str:
    """t_<c>: the JSON type of the field (NULL when the key is absent). The big objects only
    need to be told apart from other values: by their first byte, not by json_type."""
    if c in _OBJECT_COLS:
        return f"CASE WHEN starts_with(j_{c}, {_OBJECT_START}) THEN 'OBJECT' ELSE json_type(j_{c}) END AS t_{c}"
    return f"json_type(j_{c}) AS t_{c}"


def _string_expr(c: str) -> str:
    """s_<c>: the string value of a string field."""
    return f"CASE WHEN t_{c} = 'VARCHAR' THEN j_{c} ->> '$' END AS s_{c}"


def _present_expr(c: str) -> str:
    """p_<c>: the key is there and its value is not null."""
    return f"coalesce(t_{c} <> 'NULL', false) AS p_{c}"


def _id_type_expr(c: str) -> str:
    """idt_<c>: the field has a type an id may have (a string or a number)."""
    return f"t_{c} IN {_ID_TYPES} AS idt_{c}"


def _id_expr(c: str) -> str:
    """id_<c>: the id string of field <c>: strings as sent, numbers as decimal strings (integral
    doubles without the `.0`), from its extracted JSON value, type and string value."""
    return (
        f"CASE t_{c} WHEN 'VARCHAR' THEN s_{c} WHEN 'BIGINT' THEN j_{c}::VARCHAR "
        f"WHEN 'UBIGINT' THEN j_{c}::VARCHAR WHEN 'DOUBLE' THEN CASE "
        f"WHEN regexp_full_match(j_{c}::VARCHAR, '-?[0-9]+') THEN j_{c}::VARCHAR "
        f"WHEN isfinite(j_{c}::DOUBLE) AND j_{c}::DOUBLE = floor(j_{c}::DOUBLE) AND abs(j_{c}::DOUBLE) < 1e38 "
        f"THEN CAST(j_{c}::DOUBLE AS HUGEINT)::VARCHAR ELSE j_{c}::VARCHAR END END AS id_{c}"
    )


def _ts_expr(c: str) -> str:
    """ts_<c>: the timestamp of field <c>: ISO-8601 / RFC 3339 text, or unix seconds /
    milliseconds as a number or numeric text (NULL when absent, null, or unparseable). Only
    date-like text is cast: DuckDB would also read 'epoch' and 'infinity'. RFC 3339's lower-case
    `t` / `z` are read by a second cast, only for values the first one refused."""
    return (
        f"CASE WHEN t_{c} IS NULL OR t_{c} = 'NULL' THEN NULL "
        f"WHEN t_{c} = 'VARCHAR' THEN coalesce("
        rf"CASE WHEN regexp_matches(s_{c}, '^\s*[+-]?[0-9]') THEN coalesce(try_cast(s_{c} AS TIMESTAMPTZ), "
        f"CASE WHEN regexp_matches(s_{c}, '[tz]') THEN try_cast(gl_rfc3339_upper(s_{c}) AS TIMESTAMPTZ) END) END, "
        rf"CASE WHEN regexp_full_match(trim(s_{c}), '-?[0-9]+(\.[0-9]+)?') "
        f"THEN gl_unix(try_cast(trim(s_{c}) AS DOUBLE)) END) "
        f"WHEN t_{c} IN ('BIGINT', 'UBIGINT', 'DOUBLE') THEN gl_unix(j_{c}::DOUBLE) END AS ts_{c}"
    )


def _bad_ts_expr(c: str) -> str:
    """bad_<c>: the timestamp field is present but could not be parsed."""
    return f"p_{c} AND ts_{c} IS NULL AS bad_{c}"


# The steps of the classification, in the order of the CTE chain.


def _parse_ctes() -> str:
    """lines, parsed, typed: the line (without a trailing CR); ``is_json`` (NULL for an empty or
    whitespace-only line, NULL too when a byte-level check already rejected it: ``pre_reason``);
    ``doc_type``, the JSON type of the whole document."""
    return f"""lines AS (
    SELECT source_line, pre_reason, pre_message, raw_text, raw_base64,
        CASE WHEN ends_with(line, chr(13)) THEN rtrim(line, chr(13)) ELSE line END AS line
    FROM {CHUNK_INPUT}
), parsed AS (
    SELECT *,
        -- NULL: empty or whitespace-only (json_valid is false for those, so trim only runs on invalid lines)
        CASE WHEN pre_reason IS NULL THEN CASE WHEN json_valid(line) THEN true
             WHEN trim(line, ' ' || chr(9) || chr(13)) = '' THEN NULL ELSE false END END AS is_json
    FROM lines
), typed AS (
    -- valid JSON that starts with an opening brace is an object; json_type only for the rare
    -- other documents
    SELECT *, CASE WHEN is_json THEN CASE WHEN starts_with(line, {_OBJECT_START}) THEN 'OBJECT' ELSE json_type(line) END END
        AS doc_type
    FROM parsed
)"""


def _extract_ctes() -> str:
    """fields, named, field_types, field_strings: j_, t_ and s_ of every known field and `event`.

    One parse of the line (objects only) extracts every field as a re-serialised JSON value
    (the list ``extracted``); their types and string values come from those small values.
    """
    paths = ", ".join(f"'$.{k}'" for k in [*KNOWN_FIELDS, "event"])
    return f"""fields AS (
    SELECT *, CASE WHEN doc_type = 'OBJECT' THEN json_extract(line, [{paths}]) END AS extracted
    FROM typed
), named AS (
    SELECT source_line, line, pre_reason, pre_message, raw_text, raw_base64, is_json, doc_type,
        {_listed(f"extracted[{i}] AS j_{c}" for i, c in enumerate(_ALL_COLS, start=1))}
    FROM fields
), field_types AS (
    SELECT *, {_listed(_type_expr(c) for c in _ALL_COLS)}
    FROM named
), field_strings AS (
    SELECT *, {_listed(_string_expr(c) for c in _STRING_COLS)}
    FROM field_types
)"""


def _derive_ctes() -> str:
    """derived, flagged: p_ of every field, idt_ and id_ of the ids, ts_ and bad_ of the
    timestamps."""
    return f"""derived AS (
    SELECT *,
        {_listed(_present_expr(c) for c in _FIELD_COLS)},
        {_listed(_id_type_expr(c) for c in _IDS)},
        {_listed(_id_expr(c) for c in _IDS)},
        {_listed(_ts_expr(c) for c in _TS)}
    FROM field_strings
), flagged AS (
    SELECT *, {_listed(_bad_ts_expr(c) for c in _TS)}
    FROM derived
)"""


def _call_kind_cte() -> str:
    """kinds: ``type_norm`` (the type, trimmed, lower case) and ``call_kind``: 'group',
    'lifecycle' (one of LIFECYCLE_EVENTS), 'other' (any other call type: skipped, or rejected
    with --other-types reject) or NULL (no type)."""
    events = ", ".join(f"'{e}'" for e in LIFECYCLE_EVENTS)
    return f"""kinds AS (
    SELECT *,
        CASE WHEN type_norm = 'group' THEN 'group'
             WHEN type_norm = '' OR type_norm IS NULL THEN NULL
             WHEN type_norm = 'track' AND t_event = 'VARCHAR' AND s_event IN ({events}) THEN 'lifecycle'
             ELSE 'other' END AS call_kind
    FROM (SELECT *, CASE WHEN doc_type = 'OBJECT' THEN lower(trim(s_type)) END AS type_norm FROM flagged)
)"""


def _lifecycle_ctes() -> str:
    """lc_fields, lc_named, lc_typed, lc_strings, lc_derived: j_, t_, s_, idt_ and id_ of the
    group id candidates (LIFECYCLE_GROUP_ID_FIELDS) of lifecycle events, and ``lc_source``: the
    first present, non-null one.

    They are extracted only for those (rare) rows: context.groupId from the already extracted
    context, the properties by one more look at the line.
    """
    first_present = " ".join(
        f"WHEN coalesce(t_{c} <> 'NULL', false) THEN '{c}'" for c in _LC_ID_COLS
    )
    return f"""lc_fields AS (
    SELECT *,
        CASE WHEN call_kind = 'lifecycle' THEN json_extract(j_context, '$.groupId') END AS j_ctx_group_id,
        CASE WHEN call_kind = 'lifecycle'
             THEN json_extract(line, ['$.properties.groupId', '$.properties.objectId']) END AS lc_properties
    FROM kinds
), lc_named AS (
    SELECT *, lc_properties[1] AS j_prop_group_id, lc_properties[2] AS j_prop_object_id FROM lc_fields
), lc_typed AS (
    SELECT *, {_listed(_type_expr(c) for c in _LC_ID_COLS)} FROM lc_named
), lc_strings AS (
    SELECT *, {_listed(_string_expr(c) for c in _LC_ID_COLS)}
    FROM lc_typed
), lc_derived AS (
    SELECT *,
        {_listed(_id_type_expr(c) for c in _LC_ID_COLS)},
        {_listed(_id_expr(c) for c in _LC_ID_COLS)},
        CASE {first_present} END AS lc_source
    FROM lc_strings
)"""


def _group_id_cte() -> str:
    """group_ids: the call's group id as one set of columns, p_gid, idt_gid, id_gid, j_gid, and
    ``gid_field`` (the field it came from): groupId for a group call, the first present
    candidate for a lifecycle event."""

    def by_kind(group_call: str, candidate) -> str:
        cases = " ".join(f"WHEN '{c}' THEN {candidate(c)}" for c in _LC_ID_COLS)
        return (
            f"CASE call_kind WHEN 'group' THEN {group_call}\n"
            f"             WHEN 'lifecycle' THEN CASE lc_source {cases} END END"
        )

    return f"""group_ids AS (
    SELECT *,
        CASE call_kind WHEN 'group' THEN p_group_id WHEN 'lifecycle' THEN lc_source IS NOT NULL END AS p_gid,
        {by_kind("idt_group_id", lambda c: f"idt_{c}")} AS idt_gid,
        {by_kind("id_group_id", lambda c: f"id_{c}")} AS id_gid,
        {by_kind("j_group_id", lambda c: f"j_{c}")} AS j_gid,
        {by_kind("'groupId'", lambda c: f"'{LIFECYCLE_GROUP_ID_FIELDS[c]}'")} AS gid_field
    FROM lc_derived
)"""


def _reason_ctes() -> str:
    """checked, decided: ``reason``, the first rule of SPEC §1 the line breaks, in this order
    (REJECT_REASONS explains each code; NULL: accepted, or a skipped call of another type);
    ``has_message_id``; ``skipped_type`` (the type of a skipped call) and ``accepted``."""
    any_bad_ts = " OR ".join(f"bad_{c}" for c in _TS)
    return f"""checked AS (
    SELECT *,
        CASE
            WHEN pre_reason IS NOT NULL THEN pre_reason
            WHEN is_json IS NULL THEN '{_R.EMPTY_LINE}'
            WHEN NOT is_json THEN '{_R.INVALID_JSON}'
            WHEN doc_type <> 'OBJECT' THEN '{_R.NOT_AN_OBJECT}'
            WHEN call_kind IS NULL THEN '{_R.WRONG_TYPE}'
            -- NULL: skipped (counted by call type), not a reject
            WHEN call_kind = 'other' THEN CASE WHEN $reject_other_types::BOOLEAN THEN '{_R.WRONG_TYPE}' END
            WHEN NOT p_gid THEN '{_R.MISSING_GROUP_ID}'
            WHEN NOT idt_gid OR trim(id_gid) = '' THEN '{_R.INVALID_GROUP_ID}'
            WHEN p_user_id AND NOT idt_user_id THEN '{_R.INVALID_USER_ID}'
            WHEN p_anonymous_id AND NOT idt_anonymous_id THEN '{_R.INVALID_ANONYMOUS_ID}'
            WHEN p_message_id AND NOT idt_message_id THEN '{_R.INVALID_MESSAGE_ID}'
            WHEN call_kind = 'group' AND p_traits AND t_traits <> 'OBJECT' THEN '{_R.INVALID_TRAITS}'
            WHEN {any_bad_ts} THEN '{_R.INVALID_TIMESTAMP}'
        END AS reason,
        doc_type = 'OBJECT' AND idt_message_id AND trim(id_message_id) <> '' AS has_message_id
    FROM group_ids
), decided AS (
    SELECT *,
        CASE WHEN call_kind = 'other' AND reason IS NULL THEN type_norm END AS skipped_type,
        reason IS NULL AND call_kind IN ('group', 'lifecycle') AS accepted
    FROM checked
)"""


def _message_expr() -> str:
    """The reject's message: what exactly is wrong with the line (NULL when not rejected)."""
    looked_for = ", ".join(LIFECYCLE_GROUP_ID_FIELDS.values())
    bad_ts = ",\n            ".join(
        f"CASE WHEN bad_{c} THEN '{key} ' || j_{c}::VARCHAR END"
        for key, c in FIELD_COLUMNS.items()
        if c in _TS
    )
    reason_text = " ".join(f"WHEN '{r}' THEN '{quoted(r.meaning)}'" for r in RejectReason)
    return f"""CASE
        WHEN reason IS NULL THEN NULL
        WHEN pre_message IS NOT NULL THEN pre_message
        WHEN reason = '{_R.WRONG_TYPE}' THEN
            CASE WHEN j_type IS NULL THEN 'type is missing'
                 WHEN t_type <> 'VARCHAR' THEN 'type is ' || gl_kind(j_type) || ', expected a string'
                 WHEN trim(s_type) = '' THEN 'type is blank: ' || j_type::VARCHAR
                 ELSE 'type is ' || j_type::VARCHAR || ', expected "group" (other call types are rejected: --other-types reject)' END
        WHEN reason = '{_R.MISSING_GROUP_ID}' AND call_kind = 'lifecycle' THEN
            'track event "' || s_event || '" has no group id: looked for {looked_for}'
        WHEN reason = '{_R.INVALID_GROUP_ID}' AND call_kind = 'lifecycle' THEN 'track event "' || s_event || '": '
            || gid_field || ' is ' || CASE WHEN idt_gid THEN 'blank: ' || j_gid::VARCHAR ELSE gl_kind(j_gid) END
        WHEN reason = '{_R.NOT_AN_OBJECT}' THEN 'the line is ' || gl_kind(line) || ', expected an object'
        WHEN reason = '{_R.INVALID_GROUP_ID}' THEN 'groupId is ' || CASE WHEN idt_gid
            THEN 'blank: ' || j_gid::VARCHAR ELSE gl_kind(j_gid) END
        WHEN reason = '{_R.INVALID_USER_ID}' THEN 'userId is ' || gl_kind(j_user_id)
        WHEN reason = '{_R.INVALID_ANONYMOUS_ID}' THEN 'anonymousId is ' || gl_kind(j_anonymous_id)
        WHEN reason = '{_R.INVALID_MESSAGE_ID}' THEN 'messageId is ' || gl_kind(j_message_id)
        WHEN reason = '{_R.INVALID_TRAITS}' THEN 'traits is ' || gl_kind(j_traits) || ', expected an object'
        WHEN reason = '{_R.INVALID_TIMESTAMP}' THEN 'cannot parse ' || concat_ws(', ',
            {bad_ts})
        ELSE CASE reason {reason_text} END
    END"""


def _event_time_exprs() -> str:
    """``event_at`` and ``event_at_source`` of an accepted line: the SPEC §1 event time."""
    return """CASE WHEN accepted THEN CASE
        WHEN ts_timestamp IS NOT NULL THEN ts_timestamp
        WHEN ts_original_timestamp IS NOT NULL AND ts_sent_at IS NOT NULL AND ts_received_at IS NOT NULL
            THEN ts_received_at - (ts_sent_at - ts_original_timestamp)
        ELSE coalesce(ts_original_timestamp, ts_received_at, ts_sent_at, $loaded_at::TIMESTAMPTZ)
    END END AS event_at,
    CASE WHEN accepted THEN CASE
        WHEN ts_timestamp IS NOT NULL THEN 'timestamp'
        WHEN ts_original_timestamp IS NOT NULL AND ts_sent_at IS NOT NULL AND ts_received_at IS NOT NULL
            THEN 'skew_corrected'
        WHEN ts_original_timestamp IS NOT NULL THEN 'original_timestamp'
        WHEN ts_received_at IS NOT NULL THEN 'received_at'
        WHEN ts_sent_at IS NOT NULL THEN 'sent_at'
        ELSE 'loaded_at'
    END END AS event_at_source"""


def _extra_expr() -> str:
    """``extra``: every other field of an accepted call (NULL when there is none).

    Only group calls with more keys than the known fields they hold need the (costly) patch;
    json_keys' length is cheap, a list comparison per line is not. Lifecycle events (rare)
    always carry properties: always patched.
    """
    known_present = " + ".join(f"(j_{c} IS NOT NULL)::INTEGER" for c in _FIELD_COLS)
    return f"""CASE WHEN accepted AND call_kind = 'group'
              AND len(json_keys(line)) > {known_present}
         THEN nullif(json_merge_patch(line, '{_REMOVE_KNOWN_PATCH}'), {_EMPTY_OBJECT})
         WHEN accepted AND call_kind = 'lifecycle'
         THEN nullif(json_merge_patch(line, '{_REMOVE_LIFECYCLE_PATCH}'), {_EMPTY_OBJECT}) END AS extra"""


def _output_select() -> str:
    """The final SELECT: one row per line, with ``reason``, ``skipped_type`` and ``accepted``,
    the reject's message and raw line, and the columns of raw.group_events (NULL unless
    accepted)."""
    # a line that is not a JSON object: its messageId as text, so a fixed replay resolves it
    message_id_in_text = r"""'"messageId"\s*:\s*"([^"\\]+)"'"""
    return f"""SELECT
    source_line, reason, skipped_type, accepted,
    {_message_expr()} AS message,
    -- the text is only kept for rejects (events keep their fields, not the line)
    CASE WHEN reason IS NOT NULL THEN coalesce(raw_text, line) END AS raw_line,
    raw_base64,
    CASE WHEN has_message_id THEN id_message_id
         WHEN accepted THEN md5(line)
         WHEN doc_type IS DISTINCT FROM 'OBJECT' THEN nullif(trim(regexp_extract(
             coalesce(raw_text, line), {message_id_in_text}, 1)), '') END AS message_id,
    NOT coalesce(has_message_id, false) AS message_id_derived,
    CASE WHEN accepted THEN s_type END AS event_type,
    CASE WHEN accepted AND call_kind = 'lifecycle' THEN s_event END AS event_name,
    CASE WHEN accepted THEN id_gid END AS group_id,
    CASE WHEN accepted AND p_user_id AND trim(id_user_id) <> '' THEN id_user_id END AS user_id,
    CASE WHEN accepted AND p_anonymous_id AND trim(id_anonymous_id) <> '' THEN id_anonymous_id END AS anonymous_id,
    {_event_time_exprs()},
    CASE WHEN accepted THEN ts_timestamp END AS "timestamp",
    CASE WHEN accepted THEN ts_original_timestamp END AS original_timestamp,
    CASE WHEN accepted THEN ts_sent_at END AS sent_at,
    CASE WHEN accepted THEN ts_received_at END AS received_at,
    CASE WHEN accepted THEN
        CASE WHEN call_kind = 'group' AND p_traits THEN j_traits ELSE {_EMPTY_OBJECT} END END AS traits,
    CASE WHEN accepted AND p_context THEN j_context END AS context,
    CASE WHEN accepted AND p_integrations THEN j_integrations END AS integrations,
    {_extra_expr()},
    $loaded_at::TIMESTAMPTZ AS loaded_at,
    $batch_id::BIGINT AS batch_id,
    $source_file::VARCHAR AS source_file
FROM decided"""


def gen_classify_sql() -> str:
    """Classify the chunk's lines: CHUNK_INPUT -> CHUNK_CLASSIFIED, one row per line (SPEC §1).

    A line is rejected (``reason``, ``message``, ``raw_line``), skipped (``skipped_type``: a call
    of another type) or accepted (``accepted``, and the columns of raw.group_events). Needs the
    macros of MACROS_SQL; DuckDB parameters: $loaded_at, $batch_id, $source_file and
    $reject_other_types (true: calls of other types are wrong_type rejects).
    """
    steps = [
        _parse_ctes(),
        _extract_ctes(),
        _derive_ctes(),
        _call_kind_cte(),
        _lifecycle_ctes(),
        _group_id_cte(),
        _reason_ctes(),
    ]
    return (
        f"CREATE OR REPLACE TEMP TABLE {CHUNK_CLASSIFIED} AS\n"
        f"WITH {', '.join(steps)}\n"
        f"{_output_select()}"
    )


def gen_new_events_sql() -> str:
    """The chunk's new events (accepted, not duplicates), in the columns of raw.group_events
    and of the lake files: a relation for the lake writer.

    No ORDER BY: a sort of every wide row costs ~15% of the lake write, and row order in the
    files is not part of the contract (the chunk is one row group, so DuckDB scans it in line
    order on one thread anyway).
    """
    return f"""(
SELECT
    message_id, message_id_derived, event_type, event_name, group_id, user_id, anonymous_id,
    event_at, event_at_source, "timestamp", original_timestamp, sent_at, received_at,
    loaded_at, batch_id, source_file, source_line, traits, context, integrations, extra
FROM {CHUNK_CLASSIFIED}
WHERE accepted AND source_line NOT IN (SELECT source_line FROM {CHUNK_DUPLICATES})
)"""


def gen_rejects_sql() -> str:
    """The chunk's rejects, in the columns of raw.group_event_rejects: a relation for the lake
    writer."""
    return f"""(
SELECT batch_id, source_file, source_line, reason, message, message_id, raw_line,
       raw_base64 AS raw_line_base64, loaded_at AS rejected_at
FROM {CHUNK_CLASSIFIED}
WHERE reason IS NOT NULL
ORDER BY source_line
)"""
