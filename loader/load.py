"""The load: input files -> validated events, rejects and duplicates -> DuckDB + Parquet lake.

This is the library API behind ``grouplake load``::

    from grouplake.load import load_paths
    report = load_paths(["data/sample"], warehouse="data/warehouse.duckdb", lake="data/lake")
    print(report.loaded, report.rejected)

One input (a file, standard input, a FIFO, an object) is one batch: one DuckDB transaction
that inserts its events, rejects and ledger row, plus the Parquet files that are published
when (and only when) it commits. A file that grew since its last load is one more batch of
only the new lines (``ledger.plan`` has the rules).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import duckdb

from grouplake import ingest_rules, ledger, privacy, storage
from grouplake import lake as lake_files
from grouplake.config import Paths
from grouplake.duplicates import (
    gen_duplicate_rows_sql,
    gen_duplicates_sql,
    gen_staged_index_query,
    gen_staged_index_sql,
)
from grouplake.faults import crash_point
from grouplake.lake import Lake
from grouplake.ledger import FileStatus, LoadMode
from grouplake.reader import DEFAULT_CHUNK_BYTES, Reading, iter_chunks
from grouplake.sources import Source, discover_sources, local_file, one_line
from grouplake.tables import (
    CHUNK_CLASSIFIED,
    CHUNK_DUPLICATE_ROWS,
    CHUNK_DUPLICATES,
    CHUNK_INPUT,
    CHUNK_REJECTS,
    GROUP_EVENT_DUPLICATES,
    GROUP_EVENT_REJECTS,
    GROUP_EVENTS,
)
from grouplake.validate import (
    DEFAULT_MAX_LINE_BYTES,
    MACROS_SQL,
    REJECT_REASONS,
    RejectReason,
    gen_classify_sql,
    gen_new_events_sql,
    gen_rejects_sql,
    prepare_chunk,
)
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, warehouse_lock

# DuckDB's share of a load's memory. The rest of the process holds about two chunks of lines
# (the Python bytes and their Arrow copy): with chunks of DEFAULT_CHUNK_BYTES, a load stays
# under 1 GiB of resident memory whatever the size of the file (docs/benchmarks.md).
LOAD_MEMORY_LIMIT = "512MB"


class OtherTypes(StrEnum):
    """What happens to calls of other types (identify, track, page, screen, alias)."""

    SKIP = "skip"  # counted per call type, not stored
    REJECT = "reject"  # each stored as a `wrong_type` reject


@dataclass
class FileResult:
    path: str
    status: FileStatus
    mode: LoadMode = LoadMode.NEW  # what of the input was read
    note: str | None = None  # why it was skipped
    first_line: int = 1  # the batch read from this line (an appended file: after the loaded ones)
    read: int = 0
    loaded: int = 0
    rejected: int = 0
    duplicates: int = 0
    duplicates_differing: int = 0  # duplicates whose content differs from the kept event
    duplicate_rejects: int = (
        0  # duplicates that are rejected lines an earlier batch of this input stored
    )
    skipped: int = 0  # lines of other call types: counted, not stored
    suppressed: int = (
        0  # lines of suppressed identities, dropped at ingest (loader/ingest_rules.py)
    )
    batch_id: int | None = None
    error: str | None = None
    size: int = 0
    seconds: float = 0.0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    skipped_by_type: dict[str, int] = field(default_factory=dict)


@dataclass
class LoadReport:
    files: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0

    def _sum(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    read = property(lambda self: self._sum("read"))
    loaded = property(lambda self: self._sum("loaded"))
    rejected = property(lambda self: self._sum("rejected"))
    duplicates = property(lambda self: self._sum("duplicates"))
    duplicates_differing = property(lambda self: self._sum("duplicates_differing"))
    skipped = property(lambda self: self._sum("skipped"))
    suppressed = property(lambda self: self._sum("suppressed"))
    bytes = property(lambda self: self._sum("size"))
    skipped_files = property(lambda self: sum(f.status == FileStatus.SKIPPED for f in self.files))
    failed_files = property(lambda self: sum(f.status == FileStatus.FAILED for f in self.files))
    loaded_files = property(lambda self: sum(f.status == FileStatus.LOADED for f in self.files))

    def _merged(self, attr: str) -> dict[str, int]:
        total: dict[str, int] = {}
        for f in self.files:
            for k, v in getattr(f, attr).items():
                total[k] = total.get(k, 0) + v
        return total

    rejects_by_reason = property(lambda self: self._merged("rejects_by_reason"))
    skipped_by_type = property(lambda self: self._merged("skipped_by_type"))

    @property
    def ok(self) -> bool:
        return self.failed_files == 0


class Progress(Protocol):
    def start_file(self, path: Path, size: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def end_file(self, result: FileResult) -> None: ...
    def waiting_for_lock(self, holder: str) -> None: ...


@storage.stop_on_storage_fault(f"batches committed before it are kept; {storage.RERUN}")
def load_paths(
    inputs: list[str | Path],
    *,
    warehouse: str | Path | None = None,
    lake: str | Path | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    progress: Progress | None = None,
    other_types: OtherTypes = OtherTypes.SKIP,
    name: str | None = None,
) -> LoadReport:
    """Load files, directories, globs, ``-`` (standard input), FIFOs and ``s3://``/``gs://``
    prefixes. Raises InputNotFound / WarehouseBusy before loading anything.

    ``other_types``: "skip" (default) counts calls of other types per type without storing them;
    "reject" stores each as a `wrong_type` reject (every line of the input is then kept).
    ``name`` names a single stream input in the ledger (default ``<stdin>`` for standard input).
    """
    try:
        other_types = OtherTypes(other_types)
    except ValueError:
        raise ValueError(
            f"other_types must be one of {', '.join(OtherTypes)}, not {other_types!r}"
        ) from None
    started = time.monotonic()
    paths = Paths.resolve(warehouse, lake)
    sources = discover_sources([str(p) for p in inputs], name=name)
    the_lake = Lake.at(paths.lake, paths.warehouse)
    the_lake.check()
    report = LoadReport()
    on_wait = progress.waiting_for_lock if progress else None
    with _noting_ctrl_c(), warehouse_lock(paths.warehouse, wait_seconds, on_wait=on_wait):
        lake_files.check_writable(the_lake)
        # readers (status, rejects, an analyst's shell) may hold the file for a moment
        con = connect(
            paths.warehouse, memory_limit=LOAD_MEMORY_LIMIT, busy_wait_seconds=wait_seconds
        )
        try:
            con.execute(MACROS_SQL)
            ingest_rules.rules_for(
                con, paths.warehouse
            )  # a bad grouplake.toml or salt fails here, first
            try:
                recover(con, the_lake)
            except OSError as exc:  # a staging folder that cannot be published or removed
                raise lake_files.not_writable(the_lake, exc) from None
            for source in sources:
                result = load_file(
                    con,
                    source,
                    the_lake,
                    chunk_bytes=chunk_bytes,
                    max_line_bytes=max_line_bytes,
                    progress=progress,
                    other_types=other_types,
                )
                report.files.append(result)
                if progress:
                    progress.end_file(result)
        except RuntimeError as exc:
            if _is_interrupt(exc):  # DuckDB turns Ctrl-C during a query into this
                raise KeyboardInterrupt from None
            raise
        finally:
            con.close()
    report.seconds = time.monotonic() - started
    return report


def recover(con: duckdb.DuckDBPyConnection, lake: Lake | Path) -> None:
    """Finish publishing committed batches and drop staging left by batches that never committed."""
    for batch_id, files in ledger.unpublished(con):
        lake_files.publish(lake, batch_id, files)
        ledger.mark_published(con, batch_id)
    committed = ledger.committed_batch_ids(con)
    for batch_id in lake_files.staged_batches(lake):
        if batch_id not in committed:
            lake_files.discard(lake, batch_id)
    privacy.recover(con, lake)  # forget requests: the same, for their rewritten lake files


def _now() -> datetime:
    return datetime.now(UTC)


def load_file(
    con: duckdb.DuckDBPyConnection,
    source: Source | Path,
    lake: Lake | Path,
    *,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
    progress: Progress | None = None,
    other_types: OtherTypes = OtherTypes.SKIP,
) -> FileResult:
    """Load one input as one batch, or skip it (``ledger.plan`` decides what to read)."""
    t0 = time.monotonic()
    if not isinstance(source, Source):
        source = local_file(Path(source))
    result = FileResult(path=source.path, status=FileStatus.FAILED)
    started_at = _now()
    try:
        plan = ledger.plan(con, source)
    except OSError as exc:
        result.size = source.size or 0
        result.error = _describe(exc, source.path)
        _record_failure(con, result, None, started_at, source)
        return result
    result.mode = plan.mode
    if plan.mode == LoadMode.SKIPPED:
        source.close()
        result.status = FileStatus.SKIPPED
        result.note = plan.note
        result.size = source.size or 0
        result.seconds = time.monotonic() - t0
        return result
    reading = Reading(source, plan.start_offset, plan.first_line, plan.hasher)
    return _load_new_file(
        con,
        reading,
        Lake.at(lake),
        result,
        started_at,
        t0,
        plan,
        chunk_bytes,
        max_line_bytes,
        progress,
        other_types,
    )


def _load_new_file(
    con,
    reading: Reading,
    lake: Lake,
    result: FileResult,
    started_at: datetime,
    t0: float,
    plan: ledger.ReadPlan,
    chunk_bytes: int,
    max_line_bytes: int,
    progress: Progress | None,
    other_types: OtherTypes = OtherTypes.SKIP,
) -> FileResult:
    source = reading.source
    batch_id = ledger.next_batch_id(con)
    result.batch_id = batch_id
    result.first_line = reading.first_line
    if progress:
        progress.start_file(reading, (source.size or 0) - reading.start_offset)
    in_transaction = False
    try:
        # 1. stream the input chunk by chunk into staged Parquet (memory bounded by the chunk),
        #    hashing its bytes on the same pass ...
        lake_files.start_batch(lake, batch_id)
        _stage_lines(
            con,
            reading,
            lake,
            batch_id,
            started_at,
            result,
            chunk_bytes,
            max_line_bytes,
            progress,
            other_types,
        )
        files = lake_files.staged_event_files(lake, batch_id)
        result.size = reading.end_offset
        content_hash = reading.content_hash()
        if plan.check_after_read and content_hash is not None:
            # a stream or object whose bytes were loaded before: nothing of it is new
            earlier = ledger.loaded_batch_for_hash(con, content_hash)
            if earlier is not None:
                lake_files.discard(lake, batch_id)
                return _skipped_after_read(
                    result, f"already loaded (same content as batch {earlier})", t0
                )
        # 2. ... then land the staged rows in one transaction: all of the batch, or nothing.
        con.begin()
        in_transaction = True
        _insert_staged(con, lake, batch_id)
        if plan.mode in (LoadMode.APPENDED, LoadMode.CHANGED):
            _drop_rejects_stored_before(con, batch_id, result)
        _resolve_rejects(con, batch_id)
        result.status = FileStatus.LOADED
        ledger.record(
            con,
            ledger.LedgerRow(
                batch_id,
                source.path,
                result.size,
                content_hash,
                started_at,
                _now(),
                result.read,
                result.loaded,
                result.rejected,
                result.duplicates,
                FileStatus.LOADED,
                None,
                files,
                result.skipped,
                result.skipped_by_type,
                source_kind=source.kind,
                load_mode=plan.mode,
                start_offset=reading.start_offset,
                first_line=reading.first_line,
                resume_offset=reading.resume_offset(),
                resume_line=reading.resume_line if reading.resume_offset() is not None else None,
                etag=source.etag,
                duplicate_reject_count=result.duplicate_rejects,
                suppressed_count=result.suppressed,
            ),
        )
        crash_point("before_commit")
        con.commit()
        in_transaction = False
    except (OSError, duckdb.Error) as exc:
        if _is_interrupt(exc):  # Ctrl-C inside DuckDB surfaces as a DuckDB error
            _abandon_batch(con, lake, batch_id)
            raise KeyboardInterrupt from None
        if storage.is_storage_fault(
            exc, source.local
        ):  # a full or read-only disk stops the load (loader/storage.py)
            _abandon_batch(con, lake, batch_id)
            raise storage.StorageError(
                storage.message(
                    exc,
                    f"nothing of {source.path} was committed, batches before it are kept; {storage.RERUN}",
                )
            ) from None
        if in_transaction:
            con.rollback()
        lake_files.discard(lake, batch_id)
        result.status = FileStatus.FAILED
        result.error = _describe(exc, source.path)
        _zero_counts(result)
        result.size = result.size or source.size or 0
        _record_failure(con, result, None, started_at, source)
        result.seconds = time.monotonic() - t0
        return result
    except (
        BaseException
    ) as exc:  # Ctrl-C, or an error that stops the whole load (an unwritable lake)
        _abandon_batch(con, lake, batch_id)
        if _is_interrupt(exc):
            raise KeyboardInterrupt from None
        raise
    crash_point("after_commit")
    lake_files.publish(lake, batch_id, files)
    ledger.mark_published(con, batch_id)
    result.seconds = time.monotonic() - t0
    return result


def _zero_counts(result: FileResult) -> None:
    """A batch that stored nothing (failed, or dropped after the read) counts nothing."""
    result.read = result.loaded = result.rejected = result.duplicates = result.skipped = 0
    result.duplicates_differing = result.duplicate_rejects = result.suppressed = 0
    result.rejects_by_reason = {}
    result.skipped_by_type = {}


def _skipped_after_read(result: FileResult, note: str, t0: float) -> FileResult:
    result.status, result.mode = FileStatus.SKIPPED, LoadMode.SKIPPED
    result.note = note
    result.batch_id = None
    _zero_counts(result)
    result.seconds = time.monotonic() - t0
    return result


def _drop_rejects_stored_before(con, batch_id: int, result: FileResult) -> None:
    """Inside the batch transaction of a grown or changed input: a rejected line that an earlier
    batch of the same input already stored (same line number, same bytes) is not stored
    again. It is counted as a duplicate (the line is already in the warehouse, as a reject),
    and as one of the batch's ``duplicate_reject_count``: raw.group_event_duplicates records
    duplicate events, and this line's record is the earlier batch's reject row.
    """
    dropped = con.execute(
        f"""
        DELETE FROM {GROUP_EVENT_REJECTS} AS r
        WHERE r.batch_id = $b
          AND EXISTS (SELECT 1 FROM {GROUP_EVENT_REJECTS} AS e
                      WHERE e.batch_id < $b AND e.source_file = r.source_file
                        AND e.source_line = r.source_line
                        AND e.raw_line IS NOT DISTINCT FROM r.raw_line
                        AND e.raw_line_base64 IS NOT DISTINCT FROM r.raw_line_base64)
        RETURNING reason""",
        {"b": batch_id},
    ).fetchall()
    for (reason,) in dropped:
        result.rejects_by_reason[reason] -= 1
        if not result.rejects_by_reason[reason]:
            del result.rejects_by_reason[reason]
    result.rejected -= len(dropped)
    result.duplicates += len(dropped)
    result.duplicate_rejects += len(dropped)


def _stage_lines(
    con,
    path: Path,
    lake: Path,
    batch_id: int,
    loaded_at: datetime,
    result: FileResult,
    chunk_bytes: int,
    max_line_bytes: int,
    progress: Progress | None,
    other_types: OtherTypes = OtherTypes.SKIP,
) -> None:
    """Validate each chunk and write its new events and its rejects to the batch's staging folder.

    Nothing here touches the warehouse tables: a crash leaves only staging files, which the
    next run deletes. Duplicates are found against committed events and the events already
    staged for this file (through the staged index, so memory does not grow), and staged as
    rows of raw.group_event_duplicates (loader/duplicates.py).
    """
    params = {"loaded_at": loaded_at, "batch_id": batch_id, "source_file": str(path)}
    classify_params = {**params, "reject_other_types": other_types == OtherTypes.REJECT}
    rules = ingest_rules.rules_for(con)
    advance = progress.advance if progress else None
    for chunk_no, (chunk, n_lines, table) in enumerate(
        _prepared_chunks(path, chunk_bytes, max_line_bytes, advance)
    ):
        if n_lines:
            con.register(CHUNK_INPUT, table)
            con.execute(gen_classify_sql(), classify_params)
            # privacy hook: drop suppressed identities' lines, apply the PII field rules
            n_suppressed = ingest_rules.apply(con, rules)
            staged_index = gen_staged_index_query(
                lake_files.staged_glob(lake, batch_id, lake_files.INDEX)
            )
            con.execute(
                gen_duplicates_sql(staged_index), {"batch_id": batch_id, "source_file": str(path)}
            )
            n_dup, n_differing = _stage_duplicates(
                con, lake, batch_id, chunk_no, staged_index, params, rules
            )
            con.unregister(CHUNK_INPUT)
            lake_files.write_chunk_events(con, lake, batch_id, chunk_no, gen_new_events_sql())
            lake_files.write_chunk_table(
                con, lake, batch_id, lake_files.INDEX, chunk_no, gen_staged_index_sql()
            )
            rejects_by_reason: dict[str, int] = {}
            n_accepted = 0
            for reason, skipped_type, n in con.execute(
                f"SELECT reason, skipped_type, count(*) FROM {CHUNK_CLASSIFIED} GROUP BY ALL"
            ).fetchall():
                if reason is not None:
                    rejects_by_reason[reason] = n
                elif skipped_type is not None:
                    result.skipped_by_type[skipped_type] = (
                        result.skipped_by_type.get(skipped_type, 0) + n
                    )
                    result.skipped += n
                else:
                    n_accepted += n
            for reason, n in rejects_by_reason.items():
                result.rejects_by_reason[reason] = result.rejects_by_reason.get(reason, 0) + n
            chunk_rejected = sum(rejects_by_reason.values())
            result.read += n_lines
            result.suppressed += n_suppressed
            result.loaded += n_accepted - n_dup
            result.rejected += chunk_rejected
            result.duplicates += n_dup
            result.duplicates_differing += n_differing
            if chunk_rejected:  # only chunks with rejects get a staged rejects file
                lake_files.write_chunk_rejects(con, lake, batch_id, chunk_no, gen_rejects_sql())
        if chunk.read_error:
            line_no = chunk.first_line + n_lines
            con.execute(
                _gen_unreadable_reject_sql(),
                {
                    **params,
                    "line_no": line_no,
                    "message": f"{chunk.read_error}; nothing after line {line_no - 1} could be read",
                },
            )
            # a file name of its own: this chunk's line rejects may already be staged under chunk_no
            lake_files.write_chunk_rejects(con, lake, batch_id, chunk_no + 1_000_000, CHUNK_REJECTS)
            result.read += 1
            result.rejected += 1
            unreadable = RejectReason.UNREADABLE_INPUT
            result.rejects_by_reason[unreadable] = result.rejects_by_reason.get(unreadable, 0) + 1
        # free this chunk's memory before the next one is read, not after
        con.execute(
            "; ".join(
                f"DROP TABLE IF EXISTS {t}"
                for t in (CHUNK_CLASSIFIED, CHUNK_DUPLICATES, CHUNK_DUPLICATE_ROWS, CHUNK_REJECTS)
            )
        ).fetchall()
        table = chunk = None
        crash_point("after_chunk")


def _gen_unreadable_reject_sql() -> str:
    """CHUNK_REJECTS: the reject row of an input that could not be read past line $line_no (a
    corrupt or truncated compressed file), in the columns of raw.group_event_rejects. DuckDB
    parameters: $batch_id, $source_file, $line_no, $message, $loaded_at."""
    return f"""
CREATE OR REPLACE TEMP TABLE {CHUNK_REJECTS} AS
SELECT $batch_id::BIGINT AS batch_id, $source_file::VARCHAR AS source_file,
       $line_no::BIGINT AS source_line, '{RejectReason.UNREADABLE_INPUT}' AS reason,
       $message AS message, NULL::VARCHAR AS message_id, '' AS raw_line,
       NULL::VARCHAR AS raw_line_base64, $loaded_at::TIMESTAMPTZ AS rejected_at"""


def _stage_duplicates(
    con,
    lake: Path,
    batch_id: int,
    chunk_no: int,
    staged_index: str,
    params: dict,
    rules: ingest_rules.IngestRules,
) -> tuple[int, int]:
    """Stage the chunk's rows of raw.group_event_duplicates; (duplicates, with different content)."""
    n_dup = con.execute(f"SELECT count(*) FROM {CHUNK_DUPLICATES}").fetchall()[0][0]
    if not n_dup:
        return 0, 0
    # the batches of the committed kept events: only their row groups are read for the content
    kept_batches = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT kept_batch_id FROM {CHUNK_DUPLICATES} WHERE kept_in = 'committed'"
        ).fetchall()
    ]
    con.execute(gen_duplicate_rows_sql(staged_index, kept_batches), params)
    ingest_rules.redact_duplicates(
        con, rules
    )  # privacy hook: their raw lines get the PII field rules
    lake_files.write_chunk_table(
        con, lake, batch_id, lake_files.DUPLICATES, chunk_no, CHUNK_DUPLICATE_ROWS
    )
    n_differing = con.execute(
        f"SELECT count(*) FROM {CHUNK_DUPLICATE_ROWS} WHERE content_differs"
    ).fetchall()[0][0]
    return n_dup, n_differing


def _prepared_chunks(path: Path, chunk_bytes: int, max_line_bytes: int, advance) -> Iterator[tuple]:
    """(chunk, number of lines, Arrow table of the lines) for each chunk of the file, in order.

    Reading and the byte-level checks of chunk k+1 run in a helper thread while the caller has
    DuckDB work on chunk k (DuckDB releases the GIL), so the Python part of a load mostly hides
    behind the SQL part. One chunk is prepared ahead, no more: memory stays bounded by the
    chunk size. An error in the helper thread (an unreadable file) is raised here, in order.
    """
    chunks = iter_chunks(path, chunk_bytes=chunk_bytes, progress=advance)

    def prepare_next():
        chunk = next(chunks, None)
        if chunk is None:
            return None
        n_lines = len(chunk.lines)
        table = prepare_chunk(chunk, max_line_bytes) if n_lines else None
        chunk.lines = []  # the Arrow table has them now: free the Python bytes early
        return chunk, n_lines, table

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="grouplake-read") as pool:
        try:
            ahead = pool.submit(prepare_next)
            while True:
                item = ahead.result()
                if item is None:
                    return
                ahead = pool.submit(prepare_next)
                yield item
                item = None
        finally:
            ahead.cancel()
            wait([ahead])
            chunks.close()


def _insert_staged(con, lake: Path, batch_id: int) -> None:
    """Inside the batch transaction: copy the staged events, rejects and duplicates into the raw tables."""
    events = lake_files.staged_events_glob(lake, batch_id)
    if events:
        # Row order in the table is not part of the contract (readers order by batch_id,
        # source_line); without it DuckDB inserts on both cores: 3.0 s -> 1.9 s for 1M events.
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(
                f"INSERT INTO {GROUP_EVENTS} BY NAME "
                f"SELECT * FROM read_parquet('{events}', hive_partitioning = false)"
            ).fetchall()
        finally:
            con.execute("RESET preserve_insertion_order")
    rejects = lake_files.staged_rejects_glob(lake, batch_id)
    if rejects:
        con.execute(
            f"INSERT INTO {GROUP_EVENT_REJECTS} BY NAME SELECT * FROM read_parquet('{rejects}')"
        ).fetchall()
    duplicates = lake_files.staged_glob(lake, batch_id, lake_files.DUPLICATES)
    if duplicates:
        con.execute(
            f"INSERT INTO {GROUP_EVENT_DUPLICATES} BY NAME "
            f"SELECT * FROM read_parquet('{duplicates}')"
        ).fetchall()


def _resolve_rejects(con, batch_id: int) -> None:
    """Mark earlier open rejects as resolved by the events this batch loaded (SPEC §2, one rule):

    - a reject with a messageId: by an event with that messageId;
    - a reject without one (none, or not a valid one): by an event loaded from the file and
      line number `grouplake rejects --export` last wrote it to (the export, fixed in place and
      loaded again), or by an event without a messageId either (its id is derived) from the
      reject's own file and line number (the source file fixed in place and loaded again; a
      sender's messageId there means another call, e.g. a rotated file name).
    """
    con.execute(
        f"""
        UPDATE {GROUP_EVENT_REJECTS} SET resolved_at = now(), resolved_by_batch_id = $b
        WHERE resolved_at IS NULL AND batch_id < $b
          AND message_id IN (SELECT message_id FROM {GROUP_EVENTS} WHERE batch_id = $b)""",
        {"b": batch_id},
    )
    for file_col, line_col, events in (
        ("exported_to", "exported_line", "true"),
        ("source_file", "source_line", "message_id_derived"),
    ):
        con.execute(
            f"""
            UPDATE {GROUP_EVENT_REJECTS} AS r SET resolved_at = now(), resolved_by_batch_id = $b
            FROM (SELECT source_file, source_line FROM {GROUP_EVENTS}
                  WHERE batch_id = $b AND {events}) AS e
            WHERE r.resolved_at IS NULL AND r.batch_id < $b AND r.message_id IS NULL
              AND r.{file_col} = e.source_file AND r.{line_col} = e.source_line""",
            {"b": batch_id},
        )


def _record_failure(
    con,
    result: FileResult,
    content_hash: str | None,
    started_at: datetime,
    source: Source | None = None,
) -> None:
    batch_id = ledger.next_batch_id(con)
    result.batch_id = batch_id
    ledger.record(
        con,
        ledger.LedgerRow(
            batch_id,
            result.path,
            result.size or None,
            content_hash,
            started_at,
            _now(),
            0,
            0,
            0,
            0,
            FileStatus.FAILED,
            result.error,
            [],
            source_kind=source.kind if source else None,
            load_mode=result.mode,
            etag=source.etag if source else None,
        ),
    )


_ctrl_c = threading.Event()  # set when SIGINT arrives during load_paths


@contextlib.contextmanager
def _noting_ctrl_c() -> Iterator[None]:
    """Note a Ctrl-C during the load: DuckDB may turn it into an error of its own ("Query
    interrupted", or a failed Arrow stream), which must stop the load, not fail the file."""
    _ctrl_c.clear()
    in_main = threading.current_thread() is threading.main_thread()
    if not in_main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield  # not ours to change (a worker thread, an application's own handler)
        return

    def on_sigint(signum, frame):
        _ctrl_c.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C: a KeyboardInterrupt, or any error raised after SIGINT arrived (DuckDB's own)."""
    return (
        isinstance(exc, KeyboardInterrupt)
        or _ctrl_c.is_set()
        or (type(exc) is RuntimeError and str(exc).strip() == "Query interrupted")
    )


def _abandon_batch(con, lake: Lake | Path, batch_id: int) -> None:
    """Roll back a batch that did not finish and remove its staging, unless it just committed."""
    try:
        con.rollback()
    except Exception:
        pass  # no transaction open
    try:
        committed = batch_id in ledger.committed_batch_ids(con)
    except Exception:
        return  # cannot tell: keep the staging, the next run's recover() sorts it out
    if not committed:
        try:
            lake_files.discard(lake, batch_id)
        except OSError:
            pass  # an unwritable lake: the next run's recover() removes it


def _describe(exc: BaseException, path: str) -> str:
    if isinstance(exc, OSError):
        return f"cannot read {path}: {one_line(exc.strerror or exc)}"
    return f"{type(exc).__name__}: {exc}"


__all__ = [
    "load_paths",
    "load_file",
    "recover",
    "LoadReport",
    "FileResult",
    "FileStatus",
    "LoadMode",
    "REJECT_REASONS",
    "RejectReason",
    "OtherTypes",
]
