"""Run `dbt build` on the shipped dbt project against a warehouse, for `grouplake build` / `run`.

    from grouplake import build
    exit_code = build("data/warehouse.duckdb", ["--select", "groups"])

dbt runs in a child process (dbt's own entry point, this interpreter) on the project shipped
inside the package (``grouplake/dbt_project``, found by ``config.dbt_project_dir``) with its
own ``profiles.yml`` (no ``~/.dbt`` needed) and ``GROUPLAKE_WAREHOUSE`` set to the warehouse
path. dbt's ``target/`` and ``logs/`` go to ``<warehouse>.dbt/`` beside the warehouse file
(``config.dbt_work_dir``; ``DBT_TARGET_PATH`` / ``DBT_LOG_PATH`` or dbt's ``--target-path`` /
``--log-path`` move them), never into the installed package or the current directory.
The loader's warehouse lock is held while dbt runs, so a concurrent ``grouplake load`` waits
for the build to finish (and a build waits for a running load).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

from grouplake.config import WAREHOUSE_ENV, Paths, dbt_project_dir, dbt_work_dir
from grouplake.errors import GrouplakeError, OutputNotWritable, WarehouseNotFound, describe_os_error
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, warehouse_lock


# dbt's console entry point, run by this interpreter (no need for `dbt` on PATH)
_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.argv[0] = 'dbt'; sys.exit(cli())"


def dbt_command(command: str, dbt_args: list[str] | None = None,
                project_dir: Path | None = None) -> list[str]:
    """The argv of one dbt invocation on the shipped project (``command`` e.g. "build", "docs")."""
    project_dir = project_dir or dbt_project_dir()
    return [sys.executable, "-c", _DBT_MAIN, *command.split(),
            "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            *(dbt_args or [])]


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
    print(f"waiting for the warehouse lock ({holder or 'held by another grouplake process'})...",
          file=sys.stderr, flush=True)


def run_dbt(warehouse: str | Path | None, command: str, dbt_args: list[str] | None = None, *,
            wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
            on_wait: Optional[Callable[[str], None]] = _default_on_wait, stdout=None) -> int:
    """Run any dbt command on the shipped project under the warehouse lock; returns dbt's exit code.

    ``stdout``: where dbt's output goes (default: this process's stdout; e.g. sys.stderr when
    stdout carries a JSON report).

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
        connect(warehouse, busy_wait_seconds=wait_seconds).close()
        work = dbt_work_dir(warehouse)
        try:
            work.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputNotWritable(f"cannot create dbt's folder {work}: {describe_os_error(exc)}") from None
        try:
            proc = subprocess.run(dbt_command(command, dbt_args, project_dir), env=dbt_env(warehouse),
                                  cwd=str(work), stdout=stdout)
        except OSError as exc:
            raise GrouplakeError(f"cannot start dbt: {describe_os_error(exc)}") from None
    return proc.returncode


def build(warehouse: str | Path | None = None, dbt_args: list[str] | tuple[str, ...] = (), *,
          wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
          on_wait: Optional[Callable[[str], None]] = _default_on_wait, stdout=None) -> int:
    """`dbt build` (models, data tests, unit tests) on ``warehouse``; extra ``dbt_args`` go to dbt.

    ``warehouse`` defaults like the CLI's (``GROUPLAKE_WAREHOUSE``, else data/warehouse.duckdb).
    Returns dbt's exit code (0 ok, 1 a model or test failed, 2 dbt itself failed).
    Raises WarehouseNotFound when the warehouse does not exist, WarehouseBusy when another
    writer holds it longer than ``wait_seconds``.
    """
    return run_dbt(warehouse, "build", list(dbt_args), wait_seconds=wait_seconds, on_wait=on_wait,
                   stdout=stdout)
