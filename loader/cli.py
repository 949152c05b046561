"""`grouplake`: a thin command line over the library API (``grouplake.load_paths``, ``build``,
``run``, ...): it parses options and renders results. Errors end a command with one line on
stderr and the exit code errors.py assigns; ``--debug`` (or GROUPLAKE_DEBUG=1) shows the
traceback instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path

import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from grouplake import __version__
from grouplake.config import DEBUG_ENV, LAKE_ENV, WAREHOUSE_ENV, Paths
from grouplake.errors import EXIT_USAGE, GrouplakeError, WarehouseNotFound, exit_code_of
from grouplake.ledger import FileStatus, LoadMode
from grouplake.load import OtherTypes
from grouplake.reader import DEFAULT_CHUNK_BYTES
from grouplake.tables import DELETION_LOG, GROUP_EVENT_DUPLICATES
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Land Segment-spec Group calls into a Parquet lake and DuckDB, and build the dbt marts.",
)
out = Console()
err = Console(stderr=True)

WarehouseOpt = typer.Option(
    None,
    "--warehouse",
    "-w",
    envvar=WAREHOUSE_ENV,
    help="DuckDB warehouse file [default: data/warehouse.duckdb]",
)
LakeOpt = typer.Option(
    None,
    "--lake",
    "-l",
    envvar=LAKE_ENV,
    help="Parquet lake folder, or s3://bucket/prefix [default: data/lake]",
)
WaitOpt = typer.Option(
    DEFAULT_LOCK_WAIT_SECONDS,
    "--wait",
    min=0,
    help="Seconds to wait for another grouplake writer before giving up.",
)


_debug = False  # set by --debug / GROUPLAKE_DEBUG=1: show tracebacks instead of one line


def _version(value: bool) -> None:
    if value:
        out.print(f"grouplake {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _global(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar=DEBUG_ENV, help="Show a Python traceback when a command fails."
    ),
) -> None:
    global _debug
    _debug = debug


def _error_line(message: str) -> None:
    """One line on stderr, never wrapped or interpreted as markup."""
    err.print(Text.assemble(("error: ", "bold red"), message), soft_wrap=True, highlight=False)


JsonOpt = typer.Option(
    False,
    "--json",
    help="Print one JSON report on stdout and nothing else there (progress and "
    "messages go to stderr); see docs/scheduling.md.",
)

UnitTestsOpt = typer.Option(
    False,
    "--with-unit-tests",
    help="Also run the dbt project's unit tests (excluded by default: they check "
    "the models' SQL on fixed inputs, not the data; `make test` and CI run them).",
)
ForceOpt = typer.Option(
    False,
    "--force",
    help="Run dbt even when nothing changed since the last complete build (by default such a "
    "build is skipped: no load, forget or project change since).",
)


def _print_json(doc: dict) -> None:
    sys.stdout.write(json.dumps(doc, default=str) + "\n")  # one line: log shippers, Airflow's XCom
    sys.stdout.flush()


OtherTypesOpt = typer.Option(
    OtherTypes.SKIP,
    "--other-types",
    case_sensitive=False,
    help="Calls of other types (identify, track, page, screen, alias): skip "
    "(count them per type, store nothing) or reject (store each as a "
    "wrong_type reject).",
)


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


EngineOpt = typer.Option(
    Engine.duckdb,
    "--engine",
    case_sensitive=False,
    help="Where dbt builds the marts: duckdb (the warehouse file) or spark (Apache "
    "Spark from the lake, marts as Parquet under <lake>/marts/; needs "
    "pip install 'grouplake\\[spark]' and Java 17+).",
)


def _fail(exc: BaseException) -> None:
    _error_line(str(exc))
    raise typer.Exit(exit_code_of(exc))


_LOAD_INTERRUPTED = (
    "interrupted: the unfinished batch was not committed and its staging was removed; "
    "the next run loads that file again"
)


@contextlib.contextmanager
def _reported_errors(
    interrupted: str = "interrupted", json_report: dict | None = None
) -> Iterator[None]:
    """Turn whatever ends a command into one line and its exit code (errors.py).

    ``json_report`` (--json): also print the report of a command that could not finish on stdout,
    with the exit code and the error, merged into these keys."""

    def end(message: str, code: int):
        _error_line(message)
        if json_report is not None:
            from grouplake.report import load_report_dict

            _print_json({**load_report_dict(None, exit_code=code, error=message), **json_report})
        raise typer.Exit(code) from None

    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt as exc:
        if _debug:
            raise
        end(interrupted, exit_code_of(exc))
    except GrouplakeError as exc:
        if _debug:
            raise
        end(str(exc), exit_code_of(exc))
    except Exception as exc:  # a bug or an error not foreseen: still one line, --debug for more
        if _debug:
            raise
        end(
            f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''} "
            "(run with --debug for a traceback)",
            exit_code_of(exc),
        )


class _RichProgress:
    """Progress bar per file on stderr (only drawn on a terminal) and a line per finished file."""

    def __init__(self) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        self.task = None

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        self.bar.__exit__(*exc)

    def start_file(self, path: Path, size: int) -> None:
        self.task = self.bar.add_task(path.name, total=size or None)

    def advance(self, nbytes: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, nbytes)

    def end_file(self, result) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
            self.task = None
        style = STATUS_STYLES[result.status]
        path = escape(result.path)
        line = (
            f"[{style}]{result.status:>7}[/] {path} ({_mode(result)}): read {result.read:,}, "
            f"loaded {result.loaded:,}, rejected {result.rejected:,}, duplicates {result.duplicates:,}, "
            f"skipped {result.skipped:,}"
            + (f", suppressed {result.suppressed:,}" if result.suppressed else "")
        )
        if result.status == FileStatus.SKIPPED:
            line = (
                f"[{style}]{result.status:>7}[/] {path}: {escape(result.note or 'already loaded')}"
            )
        if result.error:
            line += f" — {escape(result.error)}"
        err.print(line, highlight=False, soft_wrap=True)  # one line per file, also in a cron log

    def waiting_for_lock(self, holder: str) -> None:
        err.print(
            f"waiting for the warehouse lock ({holder or 'held by another grouplake process'})..."
        )


STATUS_STYLES = {FileStatus.LOADED: "green", FileStatus.SKIPPED: "yellow", FileStatus.FAILED: "red"}


def _mode(result) -> str:
    """new | appended (from line N) | changed: which case of an input the load was."""
    if result.mode == LoadMode.APPENDED:
        return f"appended from line {result.first_line:,}"
    return result.mode


def _display_name(path: str) -> str:
    p = Path(path)
    cwd = Path.cwd()
    return str(p.relative_to(cwd)) if p.is_absolute() and p.is_relative_to(cwd) else path


def _print_load_report(report) -> None:
    table = Table(title="grouplake load", show_footer=True, title_justify="left")
    table.add_column("file", footer="total", overflow="fold")
    table.add_column(
        "status",
        footer=f"{report.loaded_files} loaded, {report.skipped_files} skipped, "
        f"{report.failed_files} failed",
    )
    cols = [
        ("read", "read"),
        ("loaded", "loaded"),
        ("rejected", "rejected"),
        ("duplicates", "duplicates"),
        ("skipped", "skipped"),
    ]
    if report.suppressed:
        cols.append(("suppressed", "suppressed"))
    for col, attr in cols:
        table.add_column(col, justify="right", footer=f"{getattr(report, attr):,}")
    for f in report.files:
        status = f.status if f.status != FileStatus.LOADED else f"{f.status} ({_mode(f)})"
        table.add_row(_display_name(f.path), status, *(f"{getattr(f, attr):,}" for _, attr in cols))
    out.print(table)
    rate = report.read / report.seconds if report.seconds else 0
    # the suppressed term only when identities are suppressed (loader/ingest_rules.py)
    terms = "loaded + rejected + duplicates + skipped" + (
        " + suppressed" if report.suppressed else ""
    )
    values = (
        f"{report.loaded:,} + {report.rejected:,} + {report.duplicates:,} + {report.skipped:,}"
        + (f" + {report.suppressed:,}" if report.suppressed else "")
    )
    out.print(
        f"{report.read:,} lines in {report.seconds:.1f}s ({rate:,.0f} lines/s). "
        f"read = {terms}: {report.read:,} = {values}"
    )
    skipped = report.skipped_by_type
    if skipped:
        out.print(
            "skipped (other call types, not stored): "
            + ", ".join(
                f"{k or '(blank)'} {v:,}" for k, v in sorted(skipped.items(), key=lambda kv: -kv[1])
            )
            + "  (use --other-types reject to keep them as rejects)"
        )
    reasons = report.rejects_by_reason
    if reasons:
        out.print(
            "rejects by reason: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
            + "  (see `grouplake rejects`)"
        )
    for f in report.files:
        if f.status == FileStatus.FAILED:
            err.print(
                Text.assemble(("failed: ", "bold red"), f"{f.path}: {f.error}"),
                soft_wrap=True,
                highlight=False,
            )


def _warehouse_must_exist(warehouse: Path) -> None:
    """Read-only commands (build, status, rejects) never create a warehouse."""
    if not warehouse.exists():
        raise WarehouseNotFound(f"no warehouse at {warehouse}: run `grouplake load` first")


@app.command()
def load(
    paths: list[str] = typer.Argument(
        ...,
        help="NDJSON files (.gz too), directories, globs, - (standard "
        "input), FIFOs, s3://bucket/prefix.",
    ),
    warehouse: Path | None = WarehouseOpt,
    lake: str | None = LakeOpt,
    wait: float = WaitOpt,
    name: str | None = typer.Option(
        None,
        "--name",
        help="The name of a stream input (-, a FIFO, <(...)) "
        "in the ledger and source_file [default: <stdin>].",
    ),
    chunk_mb: int = typer.Option(
        DEFAULT_CHUNK_BYTES >> 20,
        "--chunk-mb",
        min=1,
        help="Lines are processed in chunks of about this many MB.",
    ),
    chunk_bytes: int | None = typer.Option(
        None,
        "--chunk-bytes",
        hidden=True,
        min=1,
        help="Chunk size in bytes (overrides --chunk-mb; for tests).",
    ),
    other_types: OtherTypes = OtherTypesOpt,
    json_out: bool = JsonOpt,
):
    """Load Group calls: valid events to raw.group_events and the lake, the rest to raw.group_event_rejects."""
    from grouplake.load import load_paths
    from grouplake.report import load_report_dict

    with _reported_errors(_LOAD_INTERRUPTED, json_report={} if json_out else None):
        resolved = Paths.resolve(warehouse, lake)
        with _RichProgress() as progress:
            report = load_paths(
                paths,
                warehouse=resolved.warehouse,
                lake=resolved.lake,
                wait_seconds=wait,
                chunk_bytes=chunk_bytes or (chunk_mb << 20),
                progress=progress,
                other_types=other_types,
                name=name,
            )
    code = 0 if report.ok else 1
    if json_out:
        _print_json(load_report_dict(report, exit_code=code))
    else:
        _print_load_report(report)
    if code:
        raise typer.Exit(code)


@app.command()
def status(
    warehouse: Path | None = WarehouseOpt,
    lake: str | None = LakeOpt,
    limit: int = typer.Option(20, min=0, help="How many ledger rows to show."),
):
    """Show the load ledger and row counts of the raw tables, the lake and the marts."""
    from grouplake.status import (
        describe_build,
        differing_duplicates,
        last_build,
        ledger_rows,
        table_counts,
    )

    with _reported_errors():
        paths = Paths.resolve(warehouse, lake)
        _warehouse_must_exist(paths.warehouse)
        rows = ledger_rows(paths.warehouse, limit)
        counts = table_counts(paths.warehouse, paths.lake)
        differing, differing_batches = differing_duplicates(paths.warehouse)
        build = last_build(paths.warehouse)
    table = Table(
        title=f"load ledger (last {limit}, times in UTC)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
        collapse_padding=True,
        show_edge=False,
    )
    numeric = ("batch", "read", "loaded", "rejected", "dups", "skipped")
    for col in (
        "batch",
        "file",
        "status",
        "read",
        "loaded",
        "rejected",
        "dups",
        "skipped",
        "finished",
    ):
        # the numbers and times never fold; the file name folds (a cron log is 80 columns wide)
        table.add_column(
            col,
            justify="right" if col in numeric else "left",
            no_wrap=col != "file",
            overflow="fold",
        )
    for r in rows:
        table.add_row(
            str(r["batch_id"]),
            _display_name(r["file_path"]),
            r["status"] + (f" ({r['error']})" if r["error"] else ""),
            f"{r['read_count']:,}",
            f"{r['loaded_count']:,}",
            f"{r['rejected_count']:,}",
            f"{r['duplicate_count']:,}",
            f"{r['skipped_count'] or 0:,}",
            f"{r['finished_at']:%m-%d %H:%M}" if r["finished_at"] else "",
        )
    out.print(table)
    counts_table = Table(title="row counts", title_justify="left")
    counts_table.add_column("table")
    counts_table.add_column("rows", justify="right")
    for name, n in counts.items():
        counts_table.add_row(name, f"{n:,}")
    out.print(counts_table)
    out.print(f"last build: {describe_build(build)}", highlight=False)
    if differing:
        out.print(
            f"[yellow]warning:[/] {differing:,} duplicate line(s) in {differing_batches:,} batch(es) carried "
            "other content than the event kept for their messageId: only the first was loaded "
            f"(SELECT * FROM {GROUP_EVENT_DUPLICATES} WHERE content_differs)",
            highlight=False,
        )


@app.command()
def rejects(
    warehouse: Path | None = WarehouseOpt,
    reason: str | None = typer.Option(None, help="Only this reason code."),
    file: str | None = typer.Option(
        None, "--file", help="Only source files whose path contains this."
    ),
    include_resolved: bool = typer.Option(
        False, "--all", help="Include rejects already resolved by a later load."
    ),
    limit: int = typer.Option(50, min=0, help="How many rows to list."),
    export: Path | None = typer.Option(
        None,
        help="Write the raw lines (exact bytes) as NDJSON to this file, to fix and load again.",
    ),
    wait: float = WaitOpt,
):
    """List rejected lines with their reason, or export them for fixing and re-loading."""
    from grouplake.rejects import count_rejects, count_withheld, export_rejects, list_rejects

    with _reported_errors():
        paths = Paths.resolve(warehouse, None)
        _warehouse_must_exist(paths.warehouse)
        if export:
            n = export_rejects(
                paths.warehouse,
                export,
                reason=reason,
                source_file=file,
                include_resolved=include_resolved,
                wait_seconds=wait,
            )
            withheld = count_withheld(
                paths.warehouse, reason=reason, source_file=file, include_resolved=include_resolved
            )
            out.print(
                f"wrote {n:,} rejected lines to {export}"
                + (
                    f" ({withheld:,} withheld by pii.rejects = redact are not exported)"
                    if withheld
                    else ""
                )
            )
            return
        summary = count_rejects(paths.warehouse)
        rows = list_rejects(
            paths.warehouse,
            reason=reason,
            source_file=file,
            include_resolved=include_resolved,
            limit=limit,
        )
    out.print(
        "rejects by reason (open / resolved): "
        + (", ".join(f"{r} {o:,}/{s:,}" for r, o, s in summary) or "none")
    )
    table = Table(title_justify="left")
    for col in ("batch", "file", "line", "reason", "message", "raw line"):
        table.add_column(col, overflow="fold")
    for r in rows:
        raw = r["raw_line"] or ""
        table.add_row(
            str(r["batch_id"]),
            Path(r["source_file"]).name,
            str(r["source_line"]),
            r["reason"],
            r["message"],
            raw if len(raw) <= 120 else raw[:117] + "...",
        )
    if rows:
        out.print(table)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def build(
    ctx: typer.Context,
    warehouse: Path | None = WarehouseOpt,
    lake: str | None = LakeOpt,
    engine: Engine = EngineOpt,
    wait: float = WaitOpt,
    with_unit_tests: bool = UnitTestsOpt,
    force: bool = ForceOpt,
):
    """Run `dbt build` on the shipped dbt project; extra arguments go to dbt (e.g. --full-refresh, --select)."""
    from grouplake.dbt_runner import build as dbt_build
    from grouplake.dbt_runner import spark_paths

    with _reported_errors():
        paths = Paths.resolve(warehouse, lake)
        code = dbt_build(
            paths.warehouse,
            list(ctx.args),
            engine=Engine(engine).value,
            lake=paths.lake,
            unit_tests=with_unit_tests,
            force=force,
            wait_seconds=wait,
        )
    if code != 0:
        log = (
            _dbt_log(paths.warehouse)
            if engine == Engine.duckdb
            else _spark_dbt_log(spark_paths(paths.lake)[1])
        )
        _error_line(f"dbt build failed (exit code {code}); dbt's log: {log}")
        raise typer.Exit(code)


def _dbt_log(warehouse: Path) -> Path:
    from grouplake.config import dbt_work_dir

    return Path(os.environ.get("DBT_LOG_PATH") or dbt_work_dir(warehouse) / "logs") / "dbt.log"


def _spark_dbt_log(state: Path) -> Path:
    return Path(os.environ.get("DBT_LOG_PATH") or state / "dbt" / "logs") / "dbt.log"


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(..., help="NDJSON files (.gz too), directories or globs."),
    warehouse: Path | None = WarehouseOpt,
    lake: str | None = LakeOpt,
    wait: float = WaitOpt,
    other_types: OtherTypes = OtherTypesOpt,
    json_out: bool = JsonOpt,
    with_unit_tests: bool = UnitTestsOpt,
    force: bool = ForceOpt,
):
    """Load, then dbt build, then print a summary of the marts. Extra arguments go to dbt."""
    from grouplake.pipeline import run as run_pipeline
    from grouplake.report import load_report_dict
    from grouplake.summary import print_summary

    # click hands unknown options (--full-refresh, --select x) to the PATHS list: split them off
    first_option = next(
        (i for i, p in enumerate(paths) if p.startswith("-") and p != "-"), len(paths)
    )
    paths, dbt_args = paths[:first_option], paths[first_option:] + list(ctx.args)
    if not paths:
        message = "no input paths given: grouplake run PATH... [dbt options]"
        _error_line(message)
        if json_out:
            _print_json(
                {**load_report_dict(None, exit_code=EXIT_USAGE, error=message), "build": None}
            )
        raise typer.Exit(EXIT_USAGE)

    def run_with_progress(**output):
        """The pipeline with a progress display; ``output``: where the report and dbt's go."""
        resolved = Paths.resolve(warehouse, lake)
        with _RichProgress() as progress:
            result = run_pipeline(
                paths,
                warehouse=resolved.warehouse,
                lake=resolved.lake,
                dbt_args=dbt_args,
                wait_seconds=wait,
                progress=progress,
                other_types=other_types,
                unit_tests=with_unit_tests,
                force=force,
                **output,
            )
        return resolved, result

    if json_out:
        # one JSON report on stdout: the load report plus {"build": {"exit_code": ...}} (null when
        # the build did not run); dbt's own output goes to stderr
        with _reported_errors(_LOAD_INTERRUPTED, json_report={"build": None}):
            _, result = run_with_progress(dbt_stdout=sys.stderr)
        code = 1 if not result.load.ok else result.dbt_exit_code
        _print_json(
            {
                **load_report_dict(result.load, exit_code=code),
                "build": None
                if result.dbt_exit_code is None
                else {"exit_code": result.dbt_exit_code},
            }
        )
        if code:
            raise typer.Exit(code)
        return

    def loaded(report) -> None:
        _print_load_report(report)
        if report.ok:
            out.rule("dbt build")

    with _reported_errors(_LOAD_INTERRUPTED):
        resolved, result = run_with_progress(on_loaded=loaded)
        if not result.load.ok:
            raise typer.Exit(1)
        if result.dbt_exit_code != 0:
            _error_line(
                f"dbt build failed (exit code {result.dbt_exit_code}); "
                f"dbt's log: {_dbt_log(resolved.warehouse)}"
            )
            raise typer.Exit(result.dbt_exit_code)
        out.rule("summary")
        print_summary(resolved.warehouse, out)


# ------------------------------------------------------------------ privacy: forget, suppress


def _identities(user_ids, anonymous_ids, group_ids):
    from grouplake.privacy import Identity

    return (
        [Identity("user", i) for i in user_ids or []]
        + [Identity("anonymous", i) for i in anonymous_ids or []]
        + [Identity("group", i) for i in group_ids or []]
    )


@app.command()
def forget(
    user_id: list[str] | None = typer.Option(
        None, "--user-id", help="A userId to forget (repeatable)."
    ),
    anonymous_id: list[str] | None = typer.Option(
        None, "--anonymous-id", help="An anonymousId to forget (repeatable)."
    ),
    group_id: list[str] | None = typer.Option(
        None, "--group-id", help="A groupId to forget (repeatable)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would be removed; change nothing."
    ),
    suppress_: bool = typer.Option(
        False, "--suppress", help="Also drop these identities' lines from later loads."
    ),
    warehouse: Path | None = WarehouseOpt,
    lake: Path | None = LakeOpt,
    wait: float = WaitOpt,
):
    """Remove every event, reject and lake row of these identities (audited in raw.deletion_log, by hash)."""
    from grouplake.privacy import forget as do_forget

    with _reported_errors():
        report = do_forget(
            _identities(user_id, anonymous_id, group_id),
            warehouse=warehouse,
            lake=lake,
            dry_run=dry_run,
            suppress=suppress_,
            wait_seconds=wait,
        )
    verb = "would remove" if report.dry_run else "removed"
    out.print(
        f"{verb}: {report.events:,} events, {report.rejects:,} rejects, {report.duplicates:,} duplicates; "
        f"lake files {'to rewrite' if report.dry_run else 'rewritten'} {len(report.lake_files_rewritten):,}, "
        f"{'to delete' if report.dry_run else 'deleted'} {len(report.lake_files_removed):,}",
        highlight=False,
    )
    if report.dry_run:
        out.print("dry run: nothing was changed")
        return
    out.print(
        f"recorded as deletion {report.deletion_id} in {DELETION_LOG}"
        + ("; the identities are suppressed in later loads" if report.suppressed else "")
    )
    if report.events:
        out.print(
            "the marts still hold these rows until the next `grouplake build` (it runs a full refresh by itself)"
        )


@app.command()
def suppress(
    ids: list[str] | None = typer.Argument(
        None, help="Ids to suppress (or, with --remove, to allow again)."
    ),
    kind: str = typer.Option("user", "--kind", help="What the ids are: user, anonymous or group."),
    list_: bool = typer.Option(
        False, "--list", help="List the suppressed identities (salted hashes only)."
    ),
    remove: bool = typer.Option(False, "--remove", help="Take the ids off the suppression list."),
    warehouse: Path | None = WarehouseOpt,
    wait: float = WaitOpt,
):
    """Drop an identity's lines at ingest from now on (counted as suppressed); the list holds only salted hashes."""
    from grouplake.privacy import Identity, list_suppressions
    from grouplake.privacy import suppress as do_suppress

    with _reported_errors():
        if list_:
            rows = list_suppressions(warehouse)
            table = Table(title=f"suppressed identities ({len(rows)})", title_justify="left")
            for col in ("kind", "sha256(salt || id)", "added", "by forget"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(
                    r["kind"],
                    r["id_sha256"],
                    f"{r['added_at']:%Y-%m-%d %H:%M}",
                    str(r["deletion_id"] or ""),
                )
            out.print(table)
            return
        if not ids:
            raise GrouplakeError("give the ids to suppress (or --list)")
        n = do_suppress(
            [Identity(kind, i) for i in ids], warehouse=warehouse, remove=remove, wait_seconds=wait
        )
    if remove:
        out.print(f"removed {n:,} of {len(ids):,} from the suppression list")
    else:
        out.print(
            f"suppressed {n:,} new {kind} id(s) ({len(ids) - n:,} already were); later loads drop their lines"
        )


# click's base of usage errors (typer may vendor click: reach it through typer's public class)
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:  # console script entry
    """Run the CLI; a usage error (a bad option value, a missing argument) is one line too."""
    try:
        code = app(standalone_mode=False)
    except _ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `grouplake` alone: the help
            exc.show()
        else:
            ctx = getattr(exc, "ctx", None)
            _error_line(
                exc.format_message() + (f" (see `{ctx.command_path} --help`)" if ctx else "")
            )
        code = exc.exit_code
    except typer.Abort:  # Ctrl-C while click itself was running (parsing), not in a command
        _error_line("interrupted")
        code = 130
    sys.exit(code or 0)


if __name__ == "__main__":
    main()
