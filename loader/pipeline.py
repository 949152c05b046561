"""`run`: load the inputs, then build the dbt marts when every file loaded (``grouplake run``).

from grouplake import run
result = run(["exports/"], warehouse="data/warehouse.duckdb", lake="data/lake")
result.ok, result.load.loaded, result.dbt_exit_code
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grouplake.config import Paths
from grouplake.dbt_runner import _default_on_wait, build
from grouplake.load import LoadReport, OtherTypes, Progress, load_paths
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS


@dataclass
class RunResult:
    load: LoadReport
    dbt_exit_code: int | None = None  # None: dbt did not run because a file failed to load

    @property
    def ok(self) -> bool:
        return self.load.ok and self.dbt_exit_code == 0


def run(
    inputs: Sequence[str | Path],
    *,
    warehouse: str | Path | None = None,
    lake: str | Path | None = None,
    dbt_args: Sequence[str] = (),
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    progress: Progress | None = None,
    on_loaded: Callable[[LoadReport], None] | None = None,
    other_types: OtherTypes = OtherTypes.SKIP,
    dbt_stdout=None,
    unit_tests: bool = False,
    force: bool = False,
) -> RunResult:
    """Load ``inputs`` (like ``load_paths``), then ``dbt build`` with ``dbt_args`` if no file failed.

    ``on_loaded(report)`` is called between the two steps (the CLI prints the load table there).
    ``dbt_stdout``: where dbt's output goes (default: this process's stdout).
    ``unit_tests``: run dbt's unit tests too (excluded by default, like ``build``).
    ``force``: run dbt even when nothing changed since the last complete build (like ``build``).
    Raises what ``load_paths`` and ``build`` raise (InputNotFound, WarehouseBusy, ...).
    """
    paths = Paths.resolve(warehouse, lake)
    report = load_paths(
        list(inputs),
        warehouse=paths.warehouse,
        lake=paths.lake,
        wait_seconds=wait_seconds,
        progress=progress,
        other_types=other_types,
    )
    if on_loaded:
        on_loaded(report)
    result = RunResult(load=report)
    if report.ok:
        on_wait = progress.waiting_for_lock if progress else _default_on_wait
        result.dbt_exit_code = build(
            paths.warehouse,
            list(dbt_args),
            unit_tests=unit_tests,
            force=force,
            wait_seconds=wait_seconds,
            on_wait=on_wait,
            stdout=dbt_stdout,
        )
    return result
