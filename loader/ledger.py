"""The load ledger (raw.load_ledger): one row per input file a load processed.

It is what makes re-runs safe (a file whose content hash loaded before is skipped), what
orders batches (``batch_id`` increases), and what finishes an interrupted lake publish.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb


@dataclass
class LedgerRow:
    batch_id: int
    file_path: str
    file_size: int | None
    content_hash: str | None
    started_at: datetime
    finished_at: datetime | None
    read_count: int
    loaded_count: int
    rejected_count: int
    duplicate_count: int
    status: str
    error: str | None
    lake_files: list[str]
    skipped_count: int = 0                       # lines of other call types, counted, not stored
    skipped_by_type: dict[str, int] | None = None
    suppressed_count: int = 0                    # lines of suppressed identities (loader/ingest_rules.py)


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(batch_id), 0) + 1 FROM raw.load_ledger").fetchall()[0][0]


def loaded_file_of_size(con: duckdb.DuckDBPyConnection, size: int) -> bool:
    """True when a file of exactly ``size`` bytes was loaded before (it may be the same file)."""
    return con.execute("SELECT count(*) > 0 FROM raw.load_ledger WHERE file_size = ? AND status = 'loaded'",
                       [size]).fetchall()[0][0]


def loaded_batch_for_hash(con: duckdb.DuckDBPyConnection, content_hash: str) -> int | None:
    row = con.execute(
        "SELECT min(batch_id) FROM raw.load_ledger WHERE content_hash = ? AND status = 'loaded'",
        [content_hash]).fetchall()[0]
    return row[0] if row else None


def record(con: duckdb.DuckDBPyConnection, row: LedgerRow) -> None:
    con.execute(
        """INSERT INTO raw.load_ledger (batch_id, file_path, file_size, content_hash, started_at,
               finished_at, read_count, loaded_count, rejected_count, duplicate_count, status, error,
               lake_files, lake_published, skipped_count, skipped_by_type, suppressed_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?)""",
        [row.batch_id, row.file_path, row.file_size, row.content_hash, row.started_at,
         row.finished_at, row.read_count, row.loaded_count, row.rejected_count,
         row.duplicate_count, row.status, row.error, row.lake_files, row.skipped_count,
         json.dumps(row.skipped_by_type or {}, sort_keys=True), row.suppressed_count])


def unpublished(con: duckdb.DuckDBPyConnection) -> list[tuple[int, list[str]]]:
    return con.execute(
        """SELECT batch_id, coalesce(lake_files, []) FROM raw.load_ledger
           WHERE status = 'loaded' AND NOT lake_published ORDER BY batch_id""").fetchall()


def committed_batch_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {r[0] for r in con.execute(
        "SELECT batch_id FROM raw.load_ledger WHERE status = 'loaded'").fetchall()}


def mark_published(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    con.execute("UPDATE raw.load_ledger SET lake_published = true WHERE batch_id = ? AND status = 'loaded'",
                [batch_id])
