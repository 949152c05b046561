"""The Parquet lake: Hive-partitioned, immutable files that appear only when their batch commits.

Layout::

    <lake>/group_events/received_date=YYYY-MM-DD/part-<batch>-<n>.parquet   readers see these
    <lake>/_staging/batch_<batch>/...                                      work in progress

A batch writes its files under ``_staging`` (a folder Spark, Hive and Trino skip because of
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

from loader.faults import crash_point

EVENTS_DATASET = "group_events"
STAGING = "_staging"
PARTITION_COLUMN = "received_date"


def events_glob(lake: Path) -> str:
    return str(Path(lake) / EVENTS_DATASET / "*" / "*.parquet")


def staging_dir(lake: Path, batch_id: int) -> Path:
    return Path(lake) / STAGING / f"batch_{batch_id}"


def write_batch(con: duckdb.DuckDBPyConnection, lake: Path, batch_id: int) -> list[str]:
    """Write the batch's rows of raw.group_events to staging; return final paths relative to the lake."""
    stage = staging_dir(lake, batch_id)
    if stage.exists():
        shutil.rmtree(stage)
    stage.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"""
        COPY (
            SELECT *, CAST(timezone('UTC', coalesce(received_at, loaded_at)) AS DATE) AS {PARTITION_COLUMN}
            FROM raw.group_events WHERE batch_id = {int(batch_id)}
        ) TO '{_sql_path(stage)}' (
            FORMAT parquet, COMPRESSION zstd, PARTITION_BY ({PARTITION_COLUMN}),
            FILENAME_PATTERN 'part-{int(batch_id):08d}-{{i}}', ROW_GROUP_SIZE 122880
        )""")
    crash_point("after_parquet_write")
    return sorted(str(p.relative_to(stage)).replace(os.sep, "/")
                  for p in stage.rglob("*.parquet"))


def publish(lake: Path, batch_id: int, files: list[str]) -> None:
    """Move a committed batch's staged files into the dataset. Safe to run again after a crash."""
    stage = staging_dir(lake, batch_id)
    for rel in files:
        src = stage / rel
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
