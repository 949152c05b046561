"""The DuckDB warehouse: connecting, creating the raw schema, and the writer lock."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from grouplake.errors import WarehouseBusy, WarehouseNotFound, WarehouseUnusable, describe_os_error
from grouplake.schema import DDL

DEFAULT_LOCK_WAIT_SECONDS = 300.0


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


@contextlib.contextmanager
def warehouse_lock(
    warehouse: Path, wait_seconds: float = DEFAULT_LOCK_WAIT_SECONDS, on_wait=None
) -> Iterator[None]:
    """Hold the exclusive writer lock of ``warehouse`` (a ``.lock`` file beside it).

    Loads and dbt builds take it, so two writers never interleave. Waits up to
    ``wait_seconds`` (calling ``on_wait(holder)`` once), then raises WarehouseBusy.
    The lock is an OS file lock: it is released when the process dies, even on SIGKILL.
    """
    path = lock_path(Path(warehouse))
    _make_folder(Path(warehouse))
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseUnusable(
            f"cannot use warehouse {warehouse}: cannot create its lock file "
            f"{path}: {describe_os_error(exc)}"
        ) from None
    try:
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = _read_holder(path)
                if time.monotonic() >= deadline:
                    raise WarehouseBusy(
                        f"warehouse is busy: {warehouse} is locked by another grouplake process"
                        f"{f' ({holder})' if holder else ''}; gave up after {wait_seconds:g}s "
                        "(use --wait to wait longer)"
                    ) from None
                if on_wait and not told:
                    on_wait(holder)
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}".encode())
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _make_folder(warehouse: Path) -> None:
    """Create the warehouse's folder (and its parents) for a new warehouse."""
    try:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseUnusable(
            f"cannot create the folder of warehouse {warehouse}: {describe_os_error(exc)}"
        ) from None


def _is_lock_conflict(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return "could not set lock" in text or "conflicting lock" in text


def _read_holder(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def connect(
    warehouse: Path,
    read_only: bool = False,
    memory_limit: str | None = "1GB",
    threads: int | None = None,
    busy_wait_seconds: float = 10.0,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating it and the raw schema when writable), UTC session.

    DuckDB lets one process write a file, or several read it. When another process has the
    file open (a `grouplake status` while a load starts, an analyst's DuckDB shell), keep
    trying for ``busy_wait_seconds`` before reporting the warehouse as busy.
    """
    warehouse = Path(warehouse)
    if read_only and not warehouse.exists():
        raise WarehouseNotFound(f"no warehouse at {warehouse}: run `grouplake load` first")
    _make_folder(warehouse)
    config: dict[str, str | int] = {}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if threads:
        config["threads"] = threads
    deadline = time.monotonic() + busy_wait_seconds
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(warehouse), read_only=read_only, config=config)
            break
        except duckdb.Error as exc:
            if not _is_lock_conflict(exc):
                raise WarehouseUnusable(
                    f"cannot open warehouse {warehouse}: {_first_line(exc)}"
                ) from None
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"warehouse is busy: {warehouse} is open in another process "
                    f"(gave up after {busy_wait_seconds:g}s; close the other DuckDB session "
                    "and try again)"
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    try:
        con.execute("SET TimeZone = 'UTC'")  # after connect: the ICU extension must be loaded first
        if not read_only:
            con.execute(DDL)
    except duckdb.Error as exc:
        con.close()
        raise WarehouseUnusable(f"cannot use warehouse {warehouse}: {_first_line(exc)}") from None
    return con


def table_exists(con: duckdb.DuckDBPyConnection, table: str, column: str | None = None) -> bool:
    """Whether ``table`` (a qualified name of grouplake.tables, e.g. ``raw.load_ledger``) exists,
    with ``column`` when given. A warehouse that no load of this version has opened for writing
    yet lacks the tables and columns later versions added (schema.ADDED_COLUMNS)."""
    schema, name = table.split(".")
    if column is None:
        sql = "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?"
        params = [schema, name]
    else:
        sql = (
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND column_name = ?"
        )
        params = [schema, name, column]
    return con.execute(sql, params).fetchall()[0][0] > 0


def _first_line(exc: BaseException) -> str:
    """DuckDB's message without its class prefix or its multi-line hints."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for prefix in (
        "IO Error: ",
        "Serialization Error: ",
        "Invalid Input Error: ",
        "Catalog Error: ",
    ):
        text = text.removeprefix(prefix)
    return text
