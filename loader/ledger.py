"""The load ledger (raw.load_ledger): one row per input a load processed, and the re-run rules.

It is what makes re-runs safe (``plan`` decides, from the ledger, what of an input to read:
nothing, only what was appended, or all of it), what orders batches (``batch_id`` increases),
and what finishes an interrupted lake publish.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import duckdb

from grouplake.reader import hash_range, open_file
from grouplake.sources import Source, SourceKind
from grouplake.tables import LOAD_LEDGER


class FileStatus(StrEnum):
    """What became of an input: ``FileResult.status``, in the load report and ``--json``. The
    ledger's ``status`` column holds ``loaded`` or ``failed`` (a skipped input has no batch)."""

    LOADED = "loaded"  # its batch committed
    SKIPPED = "skipped"  # nothing of it was new (``FileResult.note`` says why)
    FAILED = "failed"  # it could not be read or landed; nothing of it is stored


class LoadMode(StrEnum):
    """What of an input a load reads (``plan``): ``ReadPlan.mode``, ``FileResult.mode`` and the
    ledger's ``load_mode`` column."""

    NEW = "new"  # never loaded under this name: all of it
    APPENDED = "appended"  # grew since its last load: only the lines after the loaded ones
    CHANGED = "changed"  # differs from its last load: all of it again
    SKIPPED = "skipped"  # unchanged, or its content was loaded under another name: nothing


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
    status: FileStatus
    error: str | None
    lake_files: list[str]
    skipped_count: int = 0  # lines of other call types, counted, not stored
    skipped_by_type: dict[str, int] | None = None
    source_kind: str | None = None  # file | stream | object
    load_mode: LoadMode | None = None
    start_offset: int | None = None  # the batch read the input from this byte ...
    first_line: int | None = None  # ... which is the start of this line
    resume_offset: int | None = None  # a later load of the grown file continues here
    resume_line: int | None = None  # ... with this line number
    etag: str | None = None  # object storage: the version of the object that was read
    duplicate_reject_count: int = (
        0  # of duplicate_count: rejected lines an earlier batch of the input stored
    )
    suppressed_count: int = 0  # lines of suppressed identities (loader/ingest_rules.py)


@dataclass
class Previous:
    """The latest loaded state of one input name."""

    batch_id: int
    file_size: int | None
    content_hash: str | None
    etag: str | None
    resume_offset: int | None
    resume_line: int | None


@dataclass
class ReadPlan:
    """What to read of an input."""

    mode: LoadMode
    start_offset: int = 0
    first_line: int = 1
    hasher: object | None = None  # sha256 of the bytes before start_offset (appended)
    note: str | None = None  # why it is skipped
    check_after_read: bool = False  # skip it after reading if its content hash was loaded


def plan(con: duckdb.DuckDBPyConnection, source: Source) -> ReadPlan:
    """The re-run rules, in one place (docs/inputs.md; docs/guarantees.md §7).

    - A stream (standard input, a FIFO, ``<(...)``) cannot be read twice: it is always read.
      After the read, if its content hash is that of a loaded input, its batch is dropped
      and it is reported as skipped (nothing of it was new).
    - An object is skipped when the ledger has a load of the same URI with the same ETag and
      size; otherwise it is read (``changed`` when an earlier version was loaded), and dropped
      after the read like a stream when its content was loaded under another name.
    - A regular file (see ``_plan_file``): skipped when unchanged or when the same content was
      loaded under another name; ``appended`` when it grew and what was loaded is unchanged;
      else ``changed`` (loaded again in full) or ``new``.
    """
    if source.kind == SourceKind.STREAM:
        return ReadPlan(LoadMode.NEW, check_after_read=True)
    prev = last_loaded(con, source.path)
    if source.kind == SourceKind.OBJECT:
        if (
            prev is not None
            and prev.etag
            and prev.content_hash
            and prev.file_size == source.size
            and source.head() == prev.etag
        ):
            return ReadPlan(
                LoadMode.SKIPPED,
                note=f"already loaded (same ETag and size, batch {prev.batch_id})",
            )
        mode = LoadMode.CHANGED if prev is not None else LoadMode.NEW
        return ReadPlan(mode, check_after_read=True)
    return _plan_file(con, source, prev)


def _plan_file(con: duckdb.DuckDBPyConnection, source: Source, prev: Previous | None) -> ReadPlan:
    """A regular file, compared with its latest load (``prev``).

    The ledger holds the size and sha256 of what was read. If the file is at least that long
    and its first ``file_size`` bytes still hash the same, it is unchanged (same size: skip)
    or it grew: only the bytes after the last newline that was loaded are read, as a new
    batch whose lines are numbered on from there. A last line that had no newline yet is read
    again in full, so a line still being written when the file was loaded is loaded whole
    once it is finished. A ``.gz`` that grew is loaded again in full (``changed``): a
    compressed offset is not a line boundary. Anything else is ``changed``.
    """
    import os

    size = os.stat(source.local).st_size
    source.size = size
    if (
        prev is not None
        and prev.content_hash
        and prev.file_size is not None
        and size >= prev.file_size
    ):
        resume = (
            prev.resume_offset
            if (prev.resume_offset is not None and prev.resume_line and not source.compressed)
            else None
        )
        hasher, at_resume, done = hashlib.sha256(), None, 0
        with open_file(source.local) as f:
            if resume is not None:
                done = hash_range(f, resume, hasher)
                at_resume = hasher.copy()
            done += hash_range(f, prev.file_size - done, hasher)
        if done == prev.file_size and hasher.hexdigest() == prev.content_hash:
            if size == prev.file_size:
                return ReadPlan(
                    LoadMode.SKIPPED,
                    note=f"already loaded (unchanged since batch {prev.batch_id})",
                )
            if at_resume is not None:
                return ReadPlan(
                    LoadMode.APPENDED,
                    start_offset=resume,
                    first_line=prev.resume_line,
                    hasher=at_resume,
                )
    mode = LoadMode.CHANGED if prev is not None else LoadMode.NEW
    # the same content loaded under another name (a copy, a rename): only a file of a loaded
    # size can be one, so only those are hashed before their load
    if loaded_file_of_size(con, size):
        with open_file(source.local) as f:
            content_hash = hashlib.file_digest(f, "sha256").hexdigest()
        batch = loaded_batch_for_hash(con, content_hash)
        if batch is not None:
            return ReadPlan(
                LoadMode.SKIPPED, note=f"already loaded (same content as batch {batch})"
            )
    return ReadPlan(mode)


def last_loaded(con: duckdb.DuckDBPyConnection, file_path: str) -> Previous | None:
    row = con.execute(
        f"""SELECT batch_id, file_size, content_hash, etag, resume_offset, resume_line
           FROM {LOAD_LEDGER} WHERE file_path = ? AND status = '{FileStatus.LOADED}'
           ORDER BY batch_id DESC LIMIT 1""",
        [file_path],
    ).fetchall()
    return Previous(*row[0]) if row else None


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute(f"SELECT coalesce(max(batch_id), 0) + 1 FROM {LOAD_LEDGER}").fetchall()[0][0]


def loaded_file_of_size(con: duckdb.DuckDBPyConnection, size: int) -> bool:
    """True when a file of exactly ``size`` bytes was loaded before (it may be the same file)."""
    return con.execute(
        f"SELECT count(*) > 0 FROM {LOAD_LEDGER} WHERE file_size = ? AND status = '{FileStatus.LOADED}'",
        [size],
    ).fetchall()[0][0]


def loaded_batch_for_hash(con: duckdb.DuckDBPyConnection, content_hash: str) -> int | None:
    row = con.execute(
        f"SELECT min(batch_id) FROM {LOAD_LEDGER} WHERE content_hash = ? AND status = '{FileStatus.LOADED}'",
        [content_hash],
    ).fetchall()[0]
    return row[0] if row else None


def record(con: duckdb.DuckDBPyConnection, row: LedgerRow) -> None:
    con.execute(
        f"""INSERT INTO {LOAD_LEDGER} (batch_id, file_path, file_size, content_hash, started_at,
               finished_at, read_count, loaded_count, rejected_count, duplicate_count, status, error,
               lake_files, lake_published, skipped_count, skipped_by_type, source_kind, load_mode,
               start_offset, first_line, resume_offset, resume_line, etag, duplicate_reject_count,
               suppressed_count)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, false, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            row.batch_id,
            row.file_path,
            row.file_size,
            row.content_hash,
            row.started_at,
            row.finished_at,
            row.read_count,
            row.loaded_count,
            row.rejected_count,
            row.duplicate_count,
            row.status,
            row.error,
            row.lake_files,
            row.skipped_count,
            json.dumps(row.skipped_by_type or {}, sort_keys=True),
            row.source_kind,
            row.load_mode,
            row.start_offset,
            row.first_line,
            row.resume_offset,
            row.resume_line,
            row.etag,
            row.duplicate_reject_count,
            row.suppressed_count,
        ],
    )


def unpublished(con: duckdb.DuckDBPyConnection) -> list[tuple[int, list[str]]]:
    return con.execute(
        f"""SELECT batch_id, coalesce(lake_files, []) FROM {LOAD_LEDGER}
           WHERE status = '{FileStatus.LOADED}' AND NOT lake_published ORDER BY batch_id"""
    ).fetchall()


def committed_batch_ids(con: duckdb.DuckDBPyConnection) -> set[int]:
    return {
        r[0]
        for r in con.execute(
            f"SELECT batch_id FROM {LOAD_LEDGER} WHERE status = '{FileStatus.LOADED}'"
        ).fetchall()
    }


def mark_published(con: duckdb.DuckDBPyConnection, batch_id: int) -> None:
    con.execute(
        f"UPDATE {LOAD_LEDGER} SET lake_published = true WHERE batch_id = ? AND status = '{FileStatus.LOADED}'",
        [batch_id],
    )
