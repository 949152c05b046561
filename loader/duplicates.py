"""Duplicates: accepted lines whose messageId is already loaded, and where the kept event is.

A line is a duplicate when its ``message_id`` was accepted before: by a committed batch, by an
earlier chunk of the same file (staged, not committed yet), or by an earlier line of the same
chunk. The first one is the event (raw.group_events); every later one is counted and recorded
in raw.group_event_duplicates with the batch, file and line of the kept event and whether its
content differs. Its raw line is kept only when it does.

"Content differs" (docs/SPEC.md §2): the two calls differ in one of CONTENT_COLUMNS, compared
as loaded — ids as their strings (42 and "42" are equal), `timestamp` and `originalTimestamp`
as instants, `traits`, `context`, `integrations` and every other field (`extra`) as re-serialised
JSON (whitespace does not matter; key order, key spelling and values do). `sentAt` and
`receivedAt` are not compared: a retry of the same call is re-sent and received later.

Every lookup is narrow: the committed events are probed on message_id (then only the few kept
rows are read, restricted to their batches), and the events staged for this file are probed
through a small per-chunk index (message_id, source_line, content hash) staged beside them, so
neither memory nor work grows with the width of the events.
"""

from __future__ import annotations

from grouplake.tables import (
    CHUNK_CLASSIFIED,
    CHUNK_DUPLICATE_ROWS,
    CHUNK_DUPLICATES,
    CHUNK_INPUT,
    GROUP_EVENTS,
)

CONTENT_COLUMNS = [
    "event_type",
    "event_name",
    "group_id",
    "user_id",
    "anonymous_id",
    "timestamp",
    "original_timestamp",
    "traits",
    "context",
    "integrations",
    "extra",
]
_JSON_COLUMNS = {"traits", "context", "integrations", "extra"}


def content_hash_sql(alias: str = "") -> str:
    """A 64-bit hash of the CONTENT_COLUMNS of a row (of CHUNK_CLASSIFIED or raw.group_events)."""
    prefix = f"{alias}." if alias else ""
    return (
        "hash("
        + ", ".join(
            f'{prefix}"{c}"::VARCHAR' if c in _JSON_COLUMNS else f'{prefix}"{c}"'
            for c in CONTENT_COLUMNS
        )
        + ")"
    )


def gen_duplicates_sql(staged_index: str) -> str:
    """CHUNK_DUPLICATES: the chunk's accepted lines that are duplicates, with where the kept event
    is (``kept_in``: committed, staged or chunk, and its batch, file and line).

    ``staged_index``: the query of gen_staged_index_query, the index of the events already
    staged for this file. The committed and staged lookups build their hash tables on this
    chunk's ids, so memory does not grow with the warehouse or the file. A committed event is kept over a staged one over an earlier line.
    DuckDB parameters: $batch_id, $source_file.
    """
    return f"""
CREATE OR REPLACE TEMP TABLE {CHUNK_DUPLICATES} AS
WITH acc AS (
    SELECT source_line, message_id,
        row_number() OVER w AS nth, first_value(source_line) OVER w AS first_line
    FROM {CHUNK_CLASSIFIED}
    WHERE accepted
    WINDOW w AS (PARTITION BY message_id ORDER BY source_line)
), committed AS (
    SELECT e.message_id, e.batch_id, e.source_file, e.source_line FROM {GROUP_EVENTS} e
    WHERE e.message_id IN (SELECT message_id FROM {CHUNK_CLASSIFIED} WHERE accepted)
), staged AS (
    SELECT s.message_id, s.source_line FROM ({staged_index}) s
    WHERE s.message_id IN (SELECT message_id FROM {CHUNK_CLASSIFIED} WHERE accepted)
)
SELECT a.source_line, a.message_id,
    CASE WHEN c.message_id IS NOT NULL THEN 'committed'
         WHEN s.message_id IS NOT NULL THEN 'staged' ELSE 'chunk' END AS kept_in,
    coalesce(c.batch_id, $batch_id::BIGINT) AS kept_batch_id,
    coalesce(c.source_file, $source_file::VARCHAR) AS kept_source_file,
    coalesce(c.source_line, s.source_line, a.first_line) AS kept_source_line
FROM acc a
LEFT JOIN committed c ON c.message_id = a.message_id
LEFT JOIN staged s ON s.message_id = a.message_id
WHERE a.nth > 1 OR c.message_id IS NOT NULL OR s.message_id IS NOT NULL
"""


def gen_duplicate_rows_sql(staged_index: str, committed_batches: list[int]) -> str:
    """CHUNK_DUPLICATE_ROWS: the chunk's rows of raw.group_event_duplicates (only run when it has
    duplicates), with whether each one's content differs from its kept event.

    ``staged_index``: as for gen_duplicates_sql; ``committed_batches``: the batch ids of the
    committed kept events, so only their row groups are read. DuckDB parameters: $batch_id,
    $source_file, $loaded_at.
    """
    batches = ", ".join(str(int(b)) for b in committed_batches) or "NULL"
    return f"""
CREATE OR REPLACE TEMP TABLE {CHUNK_DUPLICATE_ROWS} AS
WITH kept AS (
    SELECT message_id, {content_hash_sql()} AS kept_hash FROM {CHUNK_CLASSIFIED}
    WHERE accepted AND source_line IN (SELECT kept_source_line FROM {CHUNK_DUPLICATES} WHERE kept_in = 'chunk')
    UNION ALL
    SELECT message_id, content_hash FROM ({staged_index}) s
    WHERE message_id IN (SELECT message_id FROM {CHUNK_DUPLICATES} WHERE kept_in = 'staged')
    UNION ALL
    SELECT message_id, {content_hash_sql()} FROM {GROUP_EVENTS}
    WHERE batch_id IN ({batches})
      AND message_id IN (SELECT message_id FROM {CHUNK_DUPLICATES} WHERE kept_in = 'committed')
), dups AS (
    SELECT d.*, {content_hash_sql("x")} AS dup_hash
    FROM {CHUNK_DUPLICATES} d JOIN {CHUNK_CLASSIFIED} x ON x.source_line = d.source_line
)
SELECT d.message_id, $batch_id::BIGINT AS batch_id, $source_file::VARCHAR AS source_file, d.source_line,
    d.kept_batch_id, d.kept_source_file, d.kept_source_line,
    d.dup_hash <> k.kept_hash AS content_differs,
    -- the line as sent (accepted lines are UTF-8 text), only when its content differs
    CASE WHEN d.dup_hash <> k.kept_hash THEN rtrim(i.line, chr(13)) END AS raw_line,
    $loaded_at::TIMESTAMPTZ AS detected_at
FROM dups d
JOIN kept k ON k.message_id = d.message_id
JOIN {CHUNK_INPUT} i ON i.source_line = d.source_line
"""


def gen_staged_index_sql() -> str:
    """What the per-chunk index of staged events holds (read back as ``staged_index`` by the two
    statements above): a relation for the lake writer."""
    return f"""(
SELECT message_id, source_line, {content_hash_sql()} AS content_hash
FROM {CHUNK_CLASSIFIED}
WHERE accepted AND source_line NOT IN (SELECT source_line FROM {CHUNK_DUPLICATES})
)"""


def gen_staged_index_query(index_glob: str | None) -> str:
    """The ``staged_index`` query: the staged index files of this input, or (none yet) an empty
    relation of the same columns."""
    if index_glob:
        return f"SELECT * FROM read_parquet('{index_glob}')"
    return (
        "SELECT NULL::VARCHAR AS message_id, NULL::BIGINT AS source_line, "
        "NULL::UBIGINT AS content_hash WHERE false"
    )
