"""Run `dbt build` on the shipped dbt project against a warehouse, for `grouplake build` / `run`.

    from grouplake import build
    exit_code = build("data/warehouse.duckdb", ["--select", "groups"])
    exit_code = build("data/warehouse.duckdb", unit_tests=True)   # the dbt unit tests too

dbt runs in a child process (dbt's own entry point, this interpreter) on the project shipped
inside the package (``grouplake/dbt_project``, found by ``config.dbt_project_dir``) with its
own ``profiles.yml`` (no ``~/.dbt`` needed) and ``GROUPLAKE_WAREHOUSE`` set to the warehouse
path. dbt's ``target/`` and ``logs/`` go to ``<warehouse>.dbt/`` beside the warehouse file
(``config.dbt_work_dir``; ``DBT_TARGET_PATH`` / ``DBT_LOG_PATH`` or dbt's ``--target-path`` /
``--log-path`` move them), never into the installed package or the current directory.
The loader's warehouse lock is held while dbt runs, so a concurrent ``grouplake load`` waits
for the build to finish (and a build waits for a running load).

``engine="spark"`` (``grouplake build --engine spark``) builds the same marts on Apache Spark
(the ``spark`` extra and Java 17+) from the lake instead: dbt's ``spark`` target, with
``GROUPLAKE_LAKE`` set to the lake and Spark's state (metastore, warehouse dir, logs, dbt's
``target/`` and ``logs/``) in ``<lake>.spark/`` beside a lake folder (``GROUPLAKE_SPARK_STATE``
moves it; a lake on object storage needs it). The marts are written as Parquet under
``<lake>/marts/<model>/``; the DuckDB warehouse is not used. A lock in the state folder keeps
two Spark builds of one lake apart.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from grouplake import build_state
from grouplake.config import (
    LAKE_ENV,
    SPARK_STATE_ENV,
    WAREHOUSE_ENV,
    Paths,
    dbt_project_dir,
    dbt_work_dir,
    spark_state_dir,
)
from grouplake.errors import (
    GrouplakeError,
    LakeNotFound,
    OutputNotWritable,
    UsageError,
    WarehouseNotFound,
    describe_os_error,
)
from grouplake.privacy import (
    clear_lake_rebuild,
    full_refresh_needed,
    lake_rebuild_needed,
    mark_marts_rebuilt,
)
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, warehouse_lock

# dbt's console entry point, run by this interpreter (no need for `dbt` on PATH). gc.freeze():
# the garbage collector leaves the objects that exist by then alone, so it does not walk dbt's
# imported modules on every collection during the run, nor the whole manifest once more when the
# process exits (about 0.7 CPU-s of a `dbt parse` of this project, 20%; docs/benchmarks.md).
_DBT_MAIN = (
    "import gc, sys\n"
    "from dbt.cli.main import cli\n"
    "sys.argv[0] = 'dbt'\n"
    "gc.freeze()\n"
    "try:\n"
    "    cli()\n"
    "finally:\n"
    "    gc.freeze()\n"
)


def dbt_command(
    command: str, dbt_args: list[str] | None = None, project_dir: Path | None = None
) -> list[str]:
    """The argv of one dbt invocation on the shipped project (``command`` e.g. "build", "docs")."""
    project_dir = project_dir or dbt_project_dir()
    return [
        sys.executable,
        "-c",
        _DBT_MAIN,
        *command.split(),
        "--project-dir",
        str(project_dir),
        "--profiles-dir",
        str(project_dir),
        *(dbt_args or []),
    ]


def dbt_env(warehouse: Path) -> dict[str, str]:
    """The child's environment: the warehouse path, and target/ + logs/ beside the warehouse."""
    env = dict(os.environ)
    env[WAREHOUSE_ENV] = str(Path(warehouse).absolute())
    work = dbt_work_dir(warehouse)
    env.setdefault("DBT_TARGET_PATH", str(work / "target"))
    env.setdefault("DBT_LOG_PATH", str(work / "logs"))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def _default_on_wait(holder: str) -> None:
    print(
        f"waiting for the warehouse lock ({holder or 'held by another grouplake process'})...",
        file=sys.stderr,
        flush=True,
    )


def run_dbt(
    warehouse: str | Path | None,
    command: str,
    dbt_args: list[str] | None = None,
    *,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = _default_on_wait,
    stdout=None,
    skip_if_current: bool = False,
) -> int:
    """Run any dbt command on the shipped project under the warehouse lock; returns dbt's exit code.

    ``stdout``: where dbt's output goes (default: this process's stdout; e.g. sys.stderr when
    stdout carries a JSON report).
    ``command="build"`` is logged in raw.build_log (build_state); with ``skip_if_current`` it
    does not run, and returns 0, when the warehouse is as its last complete build left it.

    Raises WarehouseNotFound when there is no warehouse file (load something first).
    """
    warehouse = Paths.resolve(warehouse).warehouse
    project_dir = dbt_project_dir()
    if not (project_dir / "dbt_project.yml").exists():
        raise GrouplakeError(f"dbt project not found at {project_dir}: reinstall grouplake")
    if not warehouse.exists():
        raise WarehouseNotFound(f"no warehouse at {warehouse}: run `grouplake load` first")
    with warehouse_lock(warehouse, wait_seconds=wait_seconds, on_wait=on_wait):
        # make sure the raw schema exists, so a build on a warehouse without loads works (empty marts)
        con = connect(warehouse, busy_wait_seconds=wait_seconds)
        try:
            forgotten = full_refresh_needed(con) if command == "build" else []
            built_at = (
                build_state.built_at_if_current(con, project_dir)
                if skip_if_current and not forgotten
                else None
            )
            if built_at is None and command == "build":
                dbt_args = _with_full_refresh_after_forget(list(dbt_args or []), forgotten)
                build_id = build_state.start(con, dbt_args)
        finally:
            con.close()
        if built_at is not None:
            print(
                f"nothing to build: no load, forget or project change since the complete build "
                f"of {built_at:%Y-%m-%d %H:%M:%S %Z} (--force runs dbt anyway)",
                file=sys.stderr,
                flush=True,
            )
            return 0
        work = dbt_work_dir(warehouse)
        try:
            work.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputNotWritable(
                f"cannot create dbt's folder {work}: {describe_os_error(exc)}"
            ) from None
        try:
            proc = subprocess.run(
                dbt_command(command, dbt_args, project_dir),
                env=dbt_env(warehouse),
                cwd=str(work),
                stdout=stdout,
            )
        except OSError as exc:
            raise GrouplakeError(f"cannot start dbt: {describe_os_error(exc)}") from None
        if command == "build":
            con = connect(warehouse, busy_wait_seconds=wait_seconds)
            try:
                if (
                    forgotten
                    and proc.returncode == 0
                    and not _SELECTION_FLAGS.intersection(dbt_args)
                ):
                    mark_marts_rebuilt(con, forgotten)
                build_state.finish(con, build_id, proc.returncode, project_dir)
            finally:
                con.close()
    return proc.returncode


# dbt's flags that choose resource types: when the caller passes one, its choice stands
_RESOURCE_TYPE_FLAGS = (
    "--resource-type",
    "--resource-types",
    "--exclude-resource-type",
    "--exclude-resource-types",
)


def build_args(
    dbt_args: list[str] | tuple[str, ...] = (), *, unit_tests: bool = False
) -> list[str]:
    """The arguments of `dbt build`: ``dbt_args``, plus ``--exclude-resource-type unit_test``
    unless ``unit_tests`` (or the caller chose resource types itself).

    Unit tests check the models' SQL on fixed inputs, not the data: dbt's guidance is to run them
    in development and CI, not on every production build. ``make test`` and CI run them.
    """
    args = list(dbt_args)
    if unit_tests or any(a.split("=", 1)[0] in _RESOURCE_TYPE_FLAGS for a in args):
        return args
    return [*args, "--exclude-resource-type", "unit_test"]


# dbt flags that build only part of the project: such a full refresh does not clear a forget
_SELECTION_FLAGS = {"--select", "-s", "--exclude", "--selector", "--models", "-m"}


def _with_full_refresh_after_forget(dbt_args: list[str], forgotten: list[int]) -> list[str]:
    """After `grouplake forget` removed raw rows, the incremental marts must be rebuilt from all
    raw data: the next build is a full refresh until one succeeds (raw.deletion_log.marts_rebuilt_at)."""
    if not forgotten or "--full-refresh" in dbt_args:
        return dbt_args
    print(
        f"raw rows were forgotten since the last full build (grouplake forget, request "
        f"{', '.join(map(str, forgotten))}): running a full refresh",
        file=sys.stderr,
        flush=True,
    )
    return [*dbt_args, "--full-refresh"]


ENGINES = ("duckdb", "spark")


def build(
    warehouse: str | Path | None = None,
    dbt_args: list[str] | tuple[str, ...] = (),
    *,
    engine: str = "duckdb",
    lake: str | Path | None = None,
    unit_tests: bool = False,
    force: bool = False,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = _default_on_wait,
    stdout=None,
) -> int:
    """`dbt build` (models and data tests; the unit tests too with ``unit_tests=True``, see
    build_args); extra ``dbt_args`` go to dbt.

    On DuckDB a plain build (no ``dbt_args``, no unit tests) is skipped, returning 0, when the
    warehouse is exactly as its last complete build left it: no load, forget, project or
    relation change since (grouplake.build_state). ``force=True`` runs dbt anyway.

    ``engine="duckdb"``: on ``warehouse`` (default like the CLI's: ``GROUPLAKE_WAREHOUSE``, else
    data/warehouse.duckdb). ``engine="spark"``: on Spark, from ``lake`` (``GROUPLAKE_LAKE``, else
    data/lake), see run_spark_build.
    Returns dbt's exit code (0 ok, 1 a model or test failed, 2 dbt itself failed).
    Raises WarehouseNotFound when the warehouse does not exist, WarehouseBusy when another
    writer holds it longer than ``wait_seconds``, and for Spark what run_spark_build raises.
    """
    if engine == "spark":
        return run_spark_build(
            lake,
            build_args(dbt_args, unit_tests=unit_tests),
            wait_seconds=wait_seconds,
            on_wait=on_wait,
            stdout=stdout,
        )
    if engine != "duckdb":
        raise UsageError(f"unknown engine {engine!r}: use one of {', '.join(ENGINES)}")
    return run_dbt(
        warehouse,
        "build",
        build_args(dbt_args, unit_tests=unit_tests),
        wait_seconds=wait_seconds,
        on_wait=on_wait,
        stdout=stdout,
        skip_if_current=not (force or dbt_args or unit_tests),
    )


def spark_paths(lake: str | Path | None = None) -> tuple[str | Path, Path]:
    """(the lake, Spark's state folder) of a Spark build; UsageError when the state has no place."""
    lake = Paths.resolve(None, lake).lake
    state = spark_state_dir(lake)
    if state is None:
        raise UsageError(
            f"a Spark build of the lake {lake} needs {SPARK_STATE_ENV}: a local folder for "
            "Spark's metastore, scratch space and logs"
        )
    return lake, state


def spark_env(lake: str | Path, state: Path) -> dict[str, str]:
    """The environment of a Spark dbt build: the lake, the state folder, dbt's folders inside it."""
    env = dict(os.environ)
    env[LAKE_ENV] = str(lake)
    env[SPARK_STATE_ENV] = str(state)
    env.setdefault("DBT_TARGET_PATH", str(state / "dbt" / "target"))
    env.setdefault("DBT_LOG_PATH", str(state / "dbt" / "logs"))
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def check_spark_ready(lake: str | Path) -> None:
    """One clear error when a Spark build cannot start: no spark extra, no Java, no events."""
    if (
        importlib.util.find_spec("pyspark") is None
        or importlib.util.find_spec("dbt.adapters.spark") is None
    ):
        raise GrouplakeError(
            "the Spark engine needs the spark extra: pip install 'grouplake[spark]'"
        )
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (
        java_home and (Path(java_home) / "bin" / "java").exists()
    ):
        raise GrouplakeError(
            "the Spark engine needs Java 17 or newer: no `java` on PATH or in JAVA_HOME"
        )
    if "://" not in str(lake) and not any((Path(lake) / "group_events").glob("*/*.parquet")):
        raise LakeNotFound(
            f"no events in the lake at {Path(lake) / 'group_events'}: run `grouplake load` first"
        )


def run_spark_build(
    lake: str | Path | None,
    dbt_args: list[str],
    *,
    wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
    on_wait: Callable[[str], None] | None = _default_on_wait,
    stdout=None,
) -> int:
    """`dbt build --target spark` on the shipped project, from ``lake``; returns dbt's exit code.

    Raises GrouplakeError without the spark extra or Java, LakeNotFound on a lake without events,
    UsageError for a lake on object storage without GROUPLAKE_SPARK_STATE, OutputNotWritable
    when the state folder cannot be created, WarehouseBusy when another Spark build of the lake
    holds the state folder longer than ``wait_seconds``.
    """
    lake, state = spark_paths(lake)
    check_spark_ready(lake)
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputNotWritable(
            f"cannot create Spark's folder {state}: {describe_os_error(exc)}"
        ) from None
    # Derby (the local metastore) takes one process at a time
    with warehouse_lock(state / "metastore", wait_seconds=wait_seconds, on_wait=on_wait):
        forgotten = lake_rebuild_needed(lake)  # the lake was rewritten by `grouplake forget`
        dbt_args = _with_full_refresh_after_forget(list(dbt_args), forgotten)
        try:
            proc = subprocess.run(
                dbt_command("build", ["--target", "spark", *dbt_args]),
                env=spark_env(lake, state),
                cwd=str(state),
                stdout=stdout,
            )
        except OSError as exc:
            raise GrouplakeError(f"cannot start dbt: {describe_os_error(exc)}") from None
        if forgotten and proc.returncode == 0 and not _SELECTION_FLAGS.intersection(dbt_args):
            clear_lake_rebuild(lake)
    return proc.returncode
