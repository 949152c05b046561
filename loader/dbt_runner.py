"""Run `dbt build` on the shipped dbt project against a warehouse, for `grouplake build` / `run`.

    from grouplake.dbt_runner import build
    exit_code = build(Path("data/warehouse.duckdb"), ["--select", "groups"])

dbt runs in a child process (dbt's own entry point, this interpreter) with the project's own
``profiles.yml`` (``dbt_project/profiles.yml``, no ``~/.dbt`` needed) and
``GROUPLAKE_WAREHOUSE`` set to the warehouse path. The loader's warehouse lock is held
while it runs, so a concurrent ``grouplake load`` waits for the build to finish (and a
build waits for a running load).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable, Optional

from grouplake.config import DBT_PROJECT_DIR, WAREHOUSE_ENV
from grouplake.errors import GrouplakeError
from grouplake.privacy import full_refresh_needed, mark_marts_rebuilt
from grouplake.warehouse import DEFAULT_LOCK_WAIT_SECONDS, connect, warehouse_lock


# dbt's console entry point, run by this interpreter (no need for `dbt` on PATH)
_DBT_MAIN = "import sys; from dbt.cli.main import cli; sys.argv[0] = 'dbt'; sys.exit(cli())"


def dbt_command(command: str, dbt_args: list[str] | None = None,
                project_dir: Path = DBT_PROJECT_DIR) -> list[str]:
    """The argv of one dbt invocation on the shipped project (``command`` e.g. "build", "docs")."""
    return [sys.executable, "-c", _DBT_MAIN, *command.split(),
            "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
            *(dbt_args or [])]


def dbt_env(warehouse: Path) -> dict[str, str]:
    env = dict(os.environ)
    env[WAREHOUSE_ENV] = str(Path(warehouse).absolute())
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return env


def _default_on_wait(holder: str) -> None:
    print(f"waiting for the warehouse lock ({holder or 'held by another grouplake process'})...",
          file=sys.stderr, flush=True)


def run_dbt(warehouse: Path, command: str, dbt_args: list[str] | None = None, *,
            wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
            on_wait: Optional[Callable[[str], None]] = _default_on_wait) -> int:
    """Run any dbt command on the shipped project under the warehouse lock; returns dbt's exit code."""
    warehouse = Path(warehouse).absolute()
    if not (DBT_PROJECT_DIR / "dbt_project.yml").exists():
        raise GrouplakeError(f"dbt project not found at {DBT_PROJECT_DIR}")
    with warehouse_lock(warehouse, wait_seconds=wait_seconds, on_wait=on_wait):
        # make sure the raw schema exists, so a build on a fresh warehouse works (empty marts)
        con = connect(warehouse, busy_wait_seconds=wait_seconds)
        try:
            forgotten = full_refresh_needed(con) if command == "build" else []
        finally:
            con.close()
        dbt_args = _with_full_refresh_after_forget(list(dbt_args or []), forgotten)
        try:
            proc = subprocess.run(dbt_command(command, dbt_args), env=dbt_env(warehouse),
                                  cwd=str(DBT_PROJECT_DIR))
        except OSError as exc:
            raise GrouplakeError(f"cannot start dbt: {exc}") from None
        if forgotten and proc.returncode == 0 and not _SELECTION_FLAGS.intersection(dbt_args):
            con = connect(warehouse, busy_wait_seconds=wait_seconds)
            try:
                mark_marts_rebuilt(con, forgotten)
            finally:
                con.close()
    return proc.returncode


# dbt flags that build only part of the project: such a full refresh does not clear a forget
_SELECTION_FLAGS = {"--select", "-s", "--exclude", "--selector", "--models", "-m"}


def _with_full_refresh_after_forget(dbt_args: list[str], forgotten: list[int]) -> list[str]:
    """After `grouplake forget` removed raw rows, the incremental marts must be rebuilt from all
    raw data: the next build is a full refresh until one succeeds (raw.deletion_log.marts_rebuilt_at)."""
    if not forgotten or "--full-refresh" in dbt_args:
        return dbt_args
    print(f"raw rows were forgotten since the last full build (grouplake forget, request "
          f"{', '.join(map(str, forgotten))}): running a full refresh", file=sys.stderr, flush=True)
    return [*dbt_args, "--full-refresh"]


def build(warehouse: Path, dbt_args: list[str], *, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS,
          on_wait: Optional[Callable[[str], None]] = _default_on_wait) -> int:
    """`dbt build` (models, data tests, unit tests) on ``warehouse``; extra ``dbt_args`` go to dbt.

    Returns dbt's exit code (0 ok, 1 a model or test failed, 2 dbt itself failed).
    Raises WarehouseBusy when another writer holds the warehouse longer than ``wait_seconds``.
    """
    return run_dbt(warehouse, "build", list(dbt_args), wait_seconds=wait_seconds, on_wait=on_wait)
