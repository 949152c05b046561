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

The lake may also be an object-storage URI (``s3://bucket/prefix``, ``gs://...``). Staging is
then a local folder beside the warehouse (``<warehouse>.lake-staging/``), and publishing
uploads each staged file to its final key after the commit, then deletes the local copy.
Object storage has no rename, but one upload is atomic: a reader sees a whole object or no
object (a large file goes up in parts and appears only when the last part completes). A crash
between two uploads leaves the batch's earlier files visible and the later ones still staged;
``recover`` (the start of the next load) uploads the rest (docs/guarantees.md).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from grouplake import storage
from grouplake.errors import GrouplakeError, OutputNotWritable, describe_os_error
from grouplake.faults import crash_point
from grouplake.sql import quoted

EVENTS_DATASET = "group_events"
STAGING = "_staging"
REJECTS = "_rejects"
DUPLICATES = "_duplicates"  # rows of raw.group_event_duplicates
INDEX = "_index"  # message_id, source_line, content hash of the staged events (for dedup)
PARTITION_COLUMN = "received_date"
# zstd at level 1 rather than DuckDB's default 3: the lake write runs on one thread of the load's
# critical path, and level 1 costs ~20% less CPU there for files ~5% larger (docs/benchmarks.md).
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1"
UPLOAD_BLOCK_BYTES = 8 << 20


class LakePublishError(OutputNotWritable):
    """Committed rows whose lake files could not be published yet (recover finishes them)."""


@dataclass(frozen=True)
class Lake:
    """Where the lake is (``root``: a folder or an object-storage URI) and where batches stage."""

    root: str
    staging_root: Path
    fs: object | None = None  # pyarrow filesystem of an object-storage lake; None for a folder
    base: str | None = None  # bucket/prefix inside ``fs``

    @classmethod
    def at(cls, root: str | Path | Lake, warehouse: Path | None = None) -> Lake:
        """The lake at ``root``. An object-storage lake stages beside ``warehouse``."""
        if isinstance(root, Lake):
            return root
        from grouplake.sources import OBJECT_SCHEMES, object_filesystem, split_uri

        if str(root).startswith(OBJECT_SCHEMES):
            if warehouse is None:
                raise ValueError(
                    "an object-storage lake needs the warehouse path for its staging folder"
                )
            warehouse = Path(warehouse)
            return cls(
                root=str(root).rstrip("/"),
                fs=object_filesystem(str(root)),
                base=split_uri(str(root)),
                staging_root=warehouse.with_name(warehouse.name + ".lake-staging"),
            )
        if "://" in str(root):
            raise GrouplakeError(
                f"unsupported lake URI {root}: use a folder, s3://bucket/prefix or gs://bucket/prefix"
            )
        return cls(root=str(root), staging_root=Path(root) / STAGING)

    @property
    def is_local(self) -> bool:
        return self.fs is None

    def check(self) -> None:
        """Fail before loading anything when an object-storage lake's bucket cannot be reached."""
        if self.is_local:
            return
        from pyarrow import fs as pafs

        from grouplake.sources import one_line

        bucket = self.base.split("/", 1)[0]
        try:
            info = self.fs.get_file_info(bucket)
        except OSError as exc:
            raise OutputNotWritable(f"cannot reach the lake {self.root}: {one_line(exc)}") from None
        if info.type == pafs.FileType.NotFound:
            raise OutputNotWritable(f"cannot use the lake {self.root}: no bucket {bucket!r}")

    def __str__(self) -> str:
        return self.root

    def __fspath__(self) -> str:
        """A folder lake is its folder (``Path(lake)`` works); an object-storage lake is no local path."""
        if not self.is_local:
            raise TypeError(f"the lake {self.root} is in object storage, not a local path")
        return self.root


def events_glob(lake: Path | Lake) -> str:
    return str(Path(str(lake)) / EVENTS_DATASET / "*" / "*.parquet")


def staging_dir(lake: Path | Lake, batch_id: int) -> Path:
    return Lake.at(lake).staging_root / f"batch_{batch_id}"


def not_writable(lake: Path | Lake, exc: BaseException) -> OutputNotWritable:
    """The error that stops a load when the lake (or its staging folder) cannot be written."""
    lake = Lake.at(lake)
    if storage.is_storage_fault(exc):  # full, over quota, read-only: say so, and which file
        return storage.StorageError(
            storage.message(
                exc,
                f"nothing of the batch under way was committed (earlier batches are kept); {storage.RERUN}",
            )
        )
    cause = describe_os_error(exc) if isinstance(exc, OSError) else str(exc).strip().splitlines()[0]
    where = (
        f"the lake folder {lake.root}"
        if lake.is_local
        else f"the lake's staging folder {lake.staging_root}"
    )
    return OutputNotWritable(f"cannot write {where}: {cause}")


def check_writable(lake: Path | Lake) -> None:
    """Create the lake's staging folder and write a probe file there, before any load."""
    probe = Lake.at(lake).staging_root / f".probe-{os.getpid()}"
    try:
        probe.parent.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise not_writable(lake, exc) from None


def start_batch(lake: Path | Lake, batch_id: int) -> Path:
    """An empty staging folder for the batch (left-overs of an earlier attempt are removed)."""
    stage = staging_dir(lake, batch_id)
    try:
        if stage.exists():
            shutil.rmtree(stage)
        stage.mkdir(parents=True)
    except OSError as exc:
        raise not_writable(lake, exc) from None
    return stage


def write_chunk_events(
    con: duckdb.DuckDBPyConnection, lake: Path | Lake, batch_id: int, chunk_no: int, relation: str
) -> None:
    """Append one chunk's new events (``relation``) to the batch's staged, partitioned files."""
    stage = staging_dir(lake, batch_id)
    _copy_to_lake(
        con,
        lake,
        f"""
        COPY (
            SELECT *, CAST(timezone('UTC', coalesce(received_at, loaded_at)) AS DATE) AS {PARTITION_COLUMN}
            FROM {relation}
        ) TO '{quoted(stage / EVENTS_DATASET)}' (
            {PARQUET_OPTIONS}, PARTITION_BY ({PARTITION_COLUMN}), OVERWRITE_OR_IGNORE true,
            FILENAME_PATTERN 'part-{int(batch_id):08d}-{int(chunk_no):06d}-{{i}}', ROW_GROUP_SIZE 122880
        )""",
    )
    crash_point("after_parquet_write")


def write_chunk_rejects(
    con: duckdb.DuckDBPyConnection, lake: Path | Lake, batch_id: int, chunk_no: int, relation: str
) -> None:
    """Stage one chunk's reject rows; they go to raw.group_event_rejects at commit, never to the lake."""
    write_chunk_table(con, lake, batch_id, REJECTS, chunk_no, relation)


def _copy_to_lake(con: duckdb.DuckDBPyConnection, lake: Path | Lake, copy_sql: str) -> None:
    """Run a COPY ... TO into the lake; a failed write is the lake's error, not the input's."""
    try:
        con.execute(copy_sql).fetchall()
    except duckdb.IOException as exc:
        raise not_writable(lake, exc) from None


def write_chunk_table(
    con: duckdb.DuckDBPyConnection,
    lake: Path | Lake,
    batch_id: int,
    folder: str,
    chunk_no: int,
    relation: str,
) -> None:
    """Stage one chunk's rows of ``relation`` as ``<staging>/<folder>/chunk-<n>.parquet`` (never published)."""
    path = staging_dir(lake, batch_id) / folder / f"chunk-{int(chunk_no):06d}.parquet"
    try:
        path.parent.mkdir(exist_ok=True)
    except OSError as exc:
        raise not_writable(lake, exc) from None
    _copy_to_lake(
        con,
        lake,
        f"COPY (SELECT * FROM {relation}) TO '{quoted(path)}' ({PARQUET_OPTIONS})",
    )


def staged_glob(lake: Path | Lake, batch_id: int, folder: str) -> str | None:
    """Glob of the batch's staged files in ``folder`` (DUPLICATES, INDEX), or None when there are none."""
    root = staging_dir(lake, batch_id) / folder
    if not root.exists() or not any(root.glob("*.parquet")):
        return None
    return quoted(root / "*.parquet")


def staged_events_glob(lake: Path | Lake, batch_id: int) -> str | None:
    """Glob of the batch's staged event files, or None when the batch has none yet."""
    root = staging_dir(lake, batch_id) / EVENTS_DATASET
    if not root.exists() or not any(root.rglob("*.parquet")):
        return None
    return quoted(root / "**" / "*.parquet")


def staged_rejects_glob(lake: Path | Lake, batch_id: int) -> str | None:
    root = staging_dir(lake, batch_id) / REJECTS
    if not root.exists() or not any(root.glob("*.parquet")):
        return None
    return quoted(root / "*.parquet")


def staged_event_files(lake: Path | Lake, batch_id: int) -> list[str]:
    """The batch's event files, as paths relative to the dataset (``received_date=.../part-...``)."""
    root = staging_dir(lake, batch_id) / EVENTS_DATASET
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)).replace(os.sep, "/") for p in root.rglob("*.parquet"))


def publish(lake: Path | Lake, batch_id: int, files: list[str]) -> None:
    """Move a committed batch's staged files into the dataset. Safe to run again after a crash.

    A folder lake renames each file into place; an object-storage lake uploads it to its final
    key and then deletes the staged copy (a crash in between uploads the same bytes again).
    An upload that fails raises LakePublishError: the batch stays committed and unpublished,
    and the next load's ``recover`` tries again.
    """
    lake = Lake.at(lake)
    stage = staging_dir(lake, batch_id)
    for rel in files:
        src = stage / EVENTS_DATASET / rel
        if src.exists():
            if lake.is_local:
                dst = Path(lake.root) / EVENTS_DATASET / rel
                dst.parent.mkdir(parents=True, exist_ok=True)
                os.replace(src, dst)
            else:
                key = f"{lake.base}/{EVENTS_DATASET}/{rel}"
                try:
                    _upload(lake, src, key)
                except OSError as exc:
                    from grouplake.sources import one_line

                    raise LakePublishError(
                        f"batch {batch_id} is committed but uploading {rel} to the lake {lake.root} failed: "
                        f"{one_line(exc)}; the next `grouplake load` uploads it"
                    ) from None
                src.unlink()
            crash_point("during_publish")
    if stage.exists():
        shutil.rmtree(stage)


def _upload(lake: Lake, src: Path, key: str) -> None:
    with open(src, "rb") as f, lake.fs.open_output_stream(key) as out:
        while block := f.read(UPLOAD_BLOCK_BYTES):
            out.write(block)


def discard(lake: Path | Lake, batch_id: int) -> None:
    stage = staging_dir(lake, batch_id)
    if stage.exists():
        shutil.rmtree(stage)


def staged_batches(lake: Path | Lake) -> list[int]:
    root = Lake.at(lake).staging_root
    if not root.exists():
        return []
    ids = []
    for d in root.iterdir():
        if d.name.startswith("batch_") and d.name[6:].isdigit():
            ids.append(int(d.name[6:]))
        else:
            shutil.rmtree(d, ignore_errors=True) if d.is_dir() else d.unlink(missing_ok=True)
    return sorted(ids)
