"""Running `grouplake`: in this process through the console script's entry (``invoke``), or as a
real process (``run_cli``, ``run_load``, ``start_load``, ``run_forget``) where a test needs one
(signals, kills, fault points, concurrent writers, the installed console script).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "data" / "sample"
GROUPLAKE = [sys.executable, "-m", "grouplake.cli"]

# Small chunks, so a few hundred lines per file make several chunks (and several
# `after_chunk` crash points per file).
SMALL_CHUNK_BYTES = 6000

# the wide terminal every CLI run gets, so that rich never folds a line a test looks for
COLUMNS = "200"


@dataclass
class Run:
    """How a `grouplake` run ended: the exit code and what it printed."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        return self.returncode == -signal.SIGKILL

    @property
    def line(self) -> str:
        """The one line on stderr (asserting there is exactly one, and no traceback)."""
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1, self.stderr
        assert "Traceback" not in self.stderr and "Traceback" not in self.stdout
        return lines[0]


def cli_env(fault: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a child `grouplake`: this one without GROUPLAKE_* settings, plus
    ``GROUPLAKE_FAULT`` (a fault point, loader/faults.py) and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GROUPLAKE_")}
    env["PYTHONPATH"] = str(REPO_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = COLUMNS
    if fault:
        env["GROUPLAKE_FAULT"] = fault
    return {**env, **extra}


def run_cli(
    *args, env: dict[str, str] | None = None, timeout: float = 600, input: bytes | None = None
) -> Run:
    """`grouplake ARGS` as a child process (``env``: its whole environment, default cli_env())."""
    p = subprocess.run(
        [*GROUPLAKE, *map(str, args)],
        cwd=REPO_ROOT,
        env=cli_env() if env is None else env,
        capture_output=True,
        input=input,
        timeout=timeout,
    )
    return Run(p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"))


def invoke(*args, env: dict[str, str | None] | None = None) -> Run:
    """`grouplake ARGS` in this process, through ``grouplake.cli.main`` (the console script's
    entry: it maps errors and click's usage errors to one line and an exit code), with
    standard input/output/error and the environment isolated by typer's CliRunner.

    GROUPLAKE_* settings of this process are cleared; ``env`` sets (or, with None, unsets)
    variables for the run. dbt runs as a child process: its output is not in ``stdout``.
    Standard input is not a stream with a file descriptor here: `load -` needs ``run_cli``.
    """
    from typer.testing import CliRunner

    from grouplake import cli

    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("GROUPLAKE_")}
    runner = CliRunner()
    argv = sys.argv
    # click names the program after how Python was started: as the console script does, not
    # as `python -m pytest` (a __main__ without a package is "a file was run": argv[0])
    main_module = sys.modules["__main__"]
    main_package = getattr(main_module, "__package__", None)
    with runner.isolation(env={**cleared, "COLUMNS": COLUMNS, **(env or {})}) as (
        out,
        err,
        _,
    ):
        sys.argv = ["grouplake", *map(str, args)]
        main_module.__package__ = None
        try:
            cli.main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            sys.argv = argv
            main_module.__package__ = main_package
            sys.stdout.flush()
            sys.stderr.flush()
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode(errors="replace")
    return Run(code, stdout, stderr)


def load_cmd(
    inputs, warehouse: Path, lake: Path, *, wait: float = 60, chunk_bytes: int = SMALL_CHUNK_BYTES
) -> list[str]:
    return [
        *GROUPLAKE,
        "load",
        *map(str, inputs),
        "--warehouse",
        str(warehouse),
        "--lake",
        str(lake),
        "--wait",
        str(wait),
        "--chunk-bytes",
        str(chunk_bytes),
    ]


def run_load(
    inputs,
    warehouse: Path,
    lake: Path,
    *,
    fault: str | None = None,
    env: dict[str, str] | None = None,
    wait: float = 60,
    chunk_bytes: int = SMALL_CHUNK_BYTES,
    timeout: float = 120,
) -> Run:
    """`grouplake load` in small chunks as a child process (``fault``: where it kills itself)."""
    cmd = load_cmd(inputs, warehouse, lake, wait=wait, chunk_bytes=chunk_bytes)
    return _run_child(cmd, fault=fault, env=env, timeout=timeout)


def start_load(
    inputs,
    warehouse: Path,
    lake: Path,
    *,
    wait: float = 60,
    chunk_bytes: int = SMALL_CHUNK_BYTES,
    fault: str | None = None,
) -> subprocess.Popen:
    return subprocess.Popen(
        load_cmd(inputs, warehouse, lake, wait=wait, chunk_bytes=chunk_bytes),
        env=cli_env(fault),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )


def kill_after(proc: subprocess.Popen, seconds: float) -> Run:
    """SIGKILL ``proc`` after ``seconds`` (unless it finished first)."""
    try:
        out, err = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
    return Run(proc.returncode, out, err)


def run_forget(
    warehouse: Path,
    lake: Path,
    *args: str,
    fault: str | None = None,
    env: dict | None = None,
    timeout: float = 120,
) -> Run:
    """`grouplake forget ARGS` as a child process (``fault``: where it kills itself)."""
    cmd = [*GROUPLAKE, "forget", *args, "--warehouse", str(warehouse), "--lake", str(lake)]
    return _run_child(cmd, fault=fault, env=env, timeout=timeout)


def _run_child(cmd: list[str], *, fault: str | None, env: dict | None, timeout: float) -> Run:
    p = subprocess.run(
        cmd,
        env=cli_env(fault, **(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
    )
    return Run(p.returncode, p.stdout, p.stderr)
