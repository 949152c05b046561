"""The Parquet lake: Hive-partitioned, immutable files that appear only when their batch commits.

Layout::

    <lake>/group_events/received_date=YYYY-MM-DD/part-<batch>-<n>.parquet   readers see these
    <lake>/_staging/batch_<batch>/group_events/...                         work in progress
    <lake>/_staging/batch_<batch>/_rejects/chunk-<n>.parquet               rejects, until commit
    <lake>/_staging/batch_<batch>/_duplicates/chunk-<n>.parquet            duplicates, until commit
    <lake>/_staging/batch_<batch>/_index/chunk-<n>.parquet                 staged ids (dedup), never published

A batch writes its files chunk by chunk under ``_staging`` (a folder Spark, Hive and Trino skip because of
the leading underscore, and outside ``group_events/`` for globs), commits its DuckDB
transaction with the list of files in the ledger, and only then renames each file into
place (an atomic rename on one file system). ``recover`` finishes that step after a crash
between commit and rename, and deletes staging folders of batches that never committed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from grouplake.errors import OutputNotWritable, describe_os_error
from grouplake import storage
from grouplake.faults import crash_point

EVENTS_DATASET = "group_events"
STAGING = "_staging"
REJECTS = "_rejects"
DUPLICATES = "_duplicates"   # rows of raw.group_event_duplicates
INDEX = "_index"             # message_id, source_line, content hash of the staged events (for dedup)
PARTITION_COLUMN = "received_date"


def events_glob(lake: Path) -> str:
    return str(Path(lake) / EVENTS_DATASET / "*" / "*.parquet")


def staging_dir(lake: Path, batch_id: int) -> Path:
    return Path(lake) / STAGING / f"batch_{batch_id}"


def not_writable(lake: Path, exc: BaseException) -> OutputNotWritable:
    """The error that stops a load when the lake folder cannot be written."""
    if storage.is_storage_fault(exc):   # full, over quota, read-only: say so, and which file
        return storage.StorageError(storage.message(
            exc, f"nothing of the batch under way was committed (earlier batches are kept); {storage.RERUN}"))
    cause = describe_os_error(exc) if isinstance(exc, OSError) else str(exc).strip().splitlines()[0]
    return OutputNotWritable(f"cannot write the lake folder {lake}: {cause}")


def check_writable(lake: Path) -> None:
    """Create the lake and its staging folder and write a probe file there, before any load."""
    probe = Path(lake) / STAGING / f".probe-{os.getpid()}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise not_writable(lake, exc) from None


def start_batch(lake: Path, batch_id: int) -> Path:
    """An empty staging folder for the batch (left-overs of an earlier attempt are removed)."""
    stage = staging_dir(lake, batch_id)
    try:
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
    except OSError as exc:
        raise not_writable(lake, exc) from None
    return stage


def write_chunk_events(con: duckdb.DuckDBPyConnection, lake: Path, batch_id: int, chunk_no: int,
                       relation: str) -> None:
    """Append one chunk's new events (``relation``) to the batch's staged, partitioned files."""
    stage = staging_dir(lake, batch_id)
    _copy_to_lake(con, lake, f"""
        COPY (
            SELECT *, CAST(timezone('UTC', coalesce(received_at, loaded_at)) AS DATE) AS {PARTITION_COLUMN}
            FROM {relation}
        ) TO '{_sql_path(stage / EVENTS_DATASET)}' (
            FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PARTITION_COLUMN}), OVERWRITE_OR_IGNORE true,
            FILENAME_PATTERN 'part-{int(batch_id):08d}-{int(chunk_no):06d}-{{i}}', ROW_GROUP_SIZE 122880
        )""")
    crash_point("after_parquet_write")


def write_chunk_rejects(con: duckdb.DuckDBPyConnection, lake: Path, batch_id: int, chunk_no: int,
                        relation: str) -> None:
    """Stage one chunk's reject rows; they go to raw.group_event_rejects at commit, never to the lake."""
    path = staging_dir(lake, batch_id) / REJECTS / f"chunk-{int(chunk_no):06d}.parquet"
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise not_writable(lake, exc) from None
    _copy_to_lake(con, lake, f"COPY (SELECT * FROM {relation}) TO '{_sql_path(path)}' (FORMAT parquet, COMPRESSION zstd)")


def _copy_to_lake(con: duckdb.DuckDBPyConnection, lake: Path, copy_sql: str) -> None:
    """Run a COPY ... TO into the lake; a failed write is the lake's error, not the input's."""
    try:
        con.execute(copy_sql).fetchall()
    except duckdb.IOException as exc:
        raise not_writable(lake, exc) from None


def write_chunk_table(con: duckdb.DuckDBPyConnection, lake: Path, batch_id: int, folder: str, chunk_no: int,
                      relation: str) -> None:
    """Stage one chunk's rows of ``relation`` as ``<staging>/<folder>/chunk-<n>.parquet`` (never published)."""
    path = staging_dir(lake, batch_id) / folder / f"chunk-{int(chunk_no):06d}.parquet"
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise not_writable(lake, exc) from None
    _copy_to_lake(con, lake, f"COPY (SELECT * FROM {relation}) TO '{_sql_path(path)}' (FORMAT parquet, COMPRESSION zstd)")


def staged_glob(lake: Path, batch_id: int, folder: str) -> str | None:
    """Glob of the batch's staged files in ``folder`` (DUPLICATES, INDEX), or None when there are none."""
    root = staging_dir(lake, batch_id) / folder
    if not root.exists() or not any(root.glob("*.parquet")):
        return None
    return _sql_path(root / "*.parquet")


def staged_events_glob(lake: Path, batch_id: int) -> str | None:
    """Glob of the batch's staged event files, or None when the batch has none yet."""
    root = staging_dir(lake, batch_id) / EVENTS_DATASET
    if not root.exists() or not any(root.rglob("*.parquet")):
        return None
    return _sql_path(root / "**" / "*.parquet")


def staged_rejects_glob(lake: Path, batch_id: int) -> str | None:
    root = staging_dir(lake, batch_id) / REJECTS
    if not root.exists() or not any(root.glob("*.parquet")):
        return None
    return _sql_path(root / "*.parquet")


def staged_event_files(lake: Path, batch_id: int) -> list[str]:
    """The batch's event files, as paths relative to the dataset (``received_date=.../part-...``)."""
    root = staging_dir(lake, batch_id) / EVENTS_DATASET
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*.parquet"))


def publish(lake: Path, batch_id: int, files: list[str]) -> None:
    """Move a committed batch's staged files into the dataset. Safe to run again after a crash."""
    stage = staging_dir(lake, batch_id)
    for rel in files:
        src = stage / EVENTS_DATASET / rel
        dst = Path(lake) / EVENTS_DATASET / rel
        if src.exists():
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dst)
            crash_point("during_publish")
    if stage.exists():
        shutil.rmtree(stage)


def discard(lake: Path, batch_id: int) -> None:
    stage = staging_dir(lake, batch_id)
    if stage.exists():
        shutil.rmtree(stage)


def staged_batches(lake: Path) -> list[int]:
    root = Path(lake) / STAGING
    if not root.exists():
        return []
    ids = []
    for d in root.iterdir():
        if d.name.startswith("batch_") and d.name[6:].isdigit():
            ids.append(int(d.name[6:]))
        else:
            shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
    return sorted(ids)


def _sql_path(p: Path) -> str:
    return str(p).replace("'", "''")
