"""Snapshots and invariants of a warehouse + lake pair, for the reliability tests (crash safety,
concurrency, disk full, forget, hostile input, replay).

The central idea: a warehouse + lake pair is reduced to a *snapshot* -- plain, sorted
Python tuples of everything that must be identical between two runs over the same input
paths, with the columns that legitimately differ (load times, batch ids) left out or
replaced by something stable (a batch's rank in load order). Two snapshots compare with
``==`` and pytest shows the difference.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import duckdb

_PART_RE = re.compile(r"part-(\d{8})-")

EVENT_COLS = [
    "message_id",
    "message_id_derived",
    "event_type",
    "group_id",
    "user_id",
    "anonymous_id",
    "event_at",
    "event_at_source",
    "timestamp",
    "original_timestamp",
    "sent_at",
    "received_at",
    "source_file",
    "source_line",
    "traits",
    "context",
    "integrations",
    "extra",
    "event_name",
]
_EVENT_SELECT = ", ".join(
    # event_at is the load time when the event carries no time at all: that differs per run
    "CASE WHEN event_at_source = 'loaded_at' THEN NULL ELSE event_at END"
    if c == "event_at"
    else f"{c}::VARCHAR"
    if c in ("traits", "context", "integrations", "extra")
    else f'"{c}"'
    for c in EVENT_COLS
)


def _rank_map(con) -> dict[int, int]:
    """batch_id -> rank among loaded batches (1, 2, ...): stable across runs over the same input."""
    ids = [
        r[0]
        for r in con.execute(
            "SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded' ORDER BY batch_id"
        ).fetchall()
    ]
    return {b: i + 1 for i, b in enumerate(ids)}


def _norm_lake_file(rel: str, ranks: dict[int, int]) -> str:
    return _PART_RE.sub(lambda m: f"part-R{ranks.get(int(m.group(1)), -int(m.group(1)))}-", rel)


def lake_files(lake: Path) -> list[str]:
    root = Path(lake) / "group_events"
    return (
        sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*.parquet"))
        if root.exists()
        else []
    )


def staging_files(lake: Path) -> list[str]:
    root = Path(lake) / "_staging"
    return (
        sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
        if root.exists()
        else []
    )


def connect_ro(warehouse: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(warehouse), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    return con


def snapshot(warehouse: Path, lake: Path) -> dict:
    """Everything that must be equal between two runs over the same input paths."""
    con = connect_ro(warehouse)
    try:
        ranks = _rank_map(con)
        events = con.execute(f"SELECT {_EVENT_SELECT}, batch_id FROM raw.group_events").fetchall()
        events = sorted(tuple(r[:-1]) + (ranks.get(r[-1], -1),) for r in events)
        rejects = con.execute("""
            SELECT source_file, source_line, reason, message, message_id, raw_line, raw_line_base64,
                   batch_id, resolved_at IS NOT NULL, resolved_by_batch_id
            FROM raw.group_event_rejects""").fetchall()
        rejects = sorted(
            r[:7] + (ranks.get(r[7], -1), r[8], ranks.get(r[9]) if r[9] else None) for r in rejects
        )
        duplicates = sorted(
            r[:3] + (ranks.get(r[3], -1),) + r[4:]
            for r in con.execute("""
            SELECT message_id, source_file, source_line, kept_batch_id, kept_source_file, kept_source_line,
                   content_differs, raw_line
            FROM raw.group_event_duplicates""").fetchall()
        )
        ledger_rows = con.execute("""
            SELECT batch_id, file_path, file_size, content_hash, read_count, loaded_count, rejected_count,
                   duplicate_count, status, error, lake_files, lake_published, skipped_count,
                   skipped_by_type::VARCHAR
            FROM raw.load_ledger WHERE status = 'loaded' ORDER BY batch_id""").fetchall()
        ledger = [
            (ranks[r[0]],)
            + tuple(r[1:10])
            + (sorted(_norm_lake_file(f, ranks) for f in r[10] or []), r[11], r[12], r[13])
            for r in ledger_rows
        ]
        failed = con.execute(
            "SELECT count(*) FROM raw.load_ledger WHERE status <> 'loaded'"
        ).fetchone()[0]
        lake_rows = read_lake(con, lake)
        lake_rows = sorted(tuple(r[:-1]) + (ranks.get(r[-1], -1),) for r in lake_rows)
        lake_listing = sorted(_norm_lake_file(f, ranks) for f in lake_files(lake))
    finally:
        con.close()
    return {
        "events": events,
        "rejects": rejects,
        "duplicates": duplicates,
        "ledger": ledger,
        "failed_ledger_rows": failed,
        "lake_rows": lake_rows,
        "lake_files": lake_listing,
    }


def read_lake(con, lake: Path) -> list[tuple]:
    """Rows of the lake as a reader sees them: group_events/**/*.parquet, hive-partitioned."""
    if not lake_files(lake):
        return []
    glob = str(Path(lake) / "group_events" / "**" / "*.parquet").replace("'", "''")
    return con.execute(
        f"SELECT {_EVENT_SELECT}, batch_id FROM read_parquet('{glob}', hive_partitioning = true, "
        "union_by_name = true)"
    ).fetchall()


def assert_consistent(warehouse: Path, lake: Path, *, require_published: bool = True) -> dict:
    """Invariants that hold after every run that ended normally (and, for raw tables, after any kill).

    - per ledger row and in total: read = loaded + rejected + duplicates + skipped + suppressed
    - raw.group_events has exactly loaded_count rows per loaded batch (no half batch), less those
      `grouplake forget` removed since (forgotten_count; the same for rejects and duplicates)
    - no message_id twice in raw.group_events
    - every rejects row belongs to a loaded batch and their count is rejected_count
    - the lake (what readers of group_events/** see) equals raw.group_events, file for file what the
      ledger lists; staging is empty  (only when ``require_published``)
    """
    snap = snapshot(warehouse, lake)
    con = connect_ro(warehouse)
    try:
        bad = con.execute("""
            SELECT batch_id, read_count, loaded_count, rejected_count, duplicate_count, skipped_count,
                   suppressed_count
            FROM raw.load_ledger
            WHERE read_count <> loaded_count + rejected_count + duplicate_count + skipped_count + suppressed_count
            """).fetchall()
        assert not bad, (
            f"ledger rows where read != loaded + rejected + duplicates + skipped + suppressed: {bad}"
        )
        per_batch = con.execute("""
            SELECT l.batch_id, l.loaded_count - l.forgotten_count, l.rejected_count - l.forgotten_reject_count,
                   (SELECT count(*) FROM raw.group_events e WHERE e.batch_id = l.batch_id),
                   (SELECT count(*) FROM raw.group_event_rejects r WHERE r.batch_id = l.batch_id)
            FROM raw.load_ledger l WHERE status = 'loaded'""").fetchall()
        for b, loaded, rejected, n_ev, n_rej in per_batch:
            assert (n_ev, n_rej) == (loaded, rejected), f"batch {b}: half a batch in the raw tables"
        bad = con.execute("""
            SELECT l.batch_id, l.duplicate_count, l.duplicate_reject_count, l.forgotten_duplicate_count,
                   count(d.message_id)
            FROM raw.load_ledger l
            LEFT JOIN raw.group_event_duplicates d ON d.batch_id = l.batch_id
            GROUP BY ALL
            HAVING l.duplicate_count - coalesce(l.duplicate_reject_count, 0) - l.forgotten_duplicate_count
                <> count(d.message_id)""").fetchall()
        assert not bad, f"batches whose duplicate rows differ from duplicate_count: {bad}"
        lost = con.execute("""
            SELECT d.message_id, d.batch_id, d.source_line FROM raw.group_event_duplicates d
            LEFT JOIN raw.group_events e ON e.message_id = d.message_id AND e.batch_id = d.kept_batch_id
                 AND e.source_file = d.kept_source_file AND e.source_line = d.kept_source_line
            WHERE e.message_id IS NULL""").fetchall()
        assert not lost, f"duplicates whose kept event is not where they say: {lost[:5]}"
        orphans = con.execute("""
            SELECT count(*) FROM raw.group_events WHERE batch_id NOT IN
                (SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded')""").fetchone()[0]
        assert orphans == 0, "events of a batch the ledger does not list as loaded"
        orphans = con.execute("""
            SELECT count(*) FROM raw.group_event_rejects WHERE batch_id NOT IN
                (SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded')""").fetchone()[0]
        assert orphans == 0, "rejects of a batch the ledger does not list as loaded"
        dup = con.execute(
            "SELECT message_id, count(*) FROM raw.group_events GROUP BY 1 HAVING count(*) > 1"
        ).fetchall()
        assert not dup, f"message_ids loaded twice: {dup[:5]}"
        hashes = con.execute("""SELECT content_hash, count(*) FROM raw.load_ledger WHERE status = 'loaded'
                                GROUP BY 1 HAVING count(*) > 1""").fetchall()
        assert not hashes, f"file content loaded twice: {hashes}"
    finally:
        con.close()
    if require_published:
        assert snap["lake_rows"] == snap["events"], "the lake differs from raw.group_events"
        listed = sorted(f for row in snap["ledger"] for f in row[10])
        assert snap["lake_files"] == listed, "lake files differ from those the ledger lists"
        assert all(row[11] for row in snap["ledger"]), "a loaded batch is not marked published"
        assert staging_files(lake) == [], f"staging left over: {staging_files(lake)}"
    return snap


def wait_for(predicate, timeout: float = 30, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
