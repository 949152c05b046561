"""Errors a user can act on, and the exit code of each: the one place that maps them.

The CLI prints an error's message as one line on stderr and exits with its ``exit_code``;
never a traceback (``grouplake --debug`` or ``GROUPLAKE_DEBUG=1`` show one). The codes are
documented in README.md ("Exit codes"):

    0    success (a load with rejected lines is a success: they are in raw.group_event_rejects)
    1    a file failed to load, dbt reported a failure, or another GrouplakeError
    2    bad usage: an input path that does not exist (InputNotFound), a bad option value,
         an invalid grouplake.toml (ConfigError)
    3    WarehouseBusy: another grouplake process holds the warehouse (after --wait seconds)
    4    WarehouseNotFound: build, status or rejects on a warehouse file that does not exist;
         LakeNotFound: a Spark build on a lake without events
    5    WarehouseUnusable: the warehouse cannot be created, opened or read (permissions, a
         missing folder that cannot be created, a corrupt or truncated file)
    6    OutputNotWritable: the lake folder, an export file or dbt's folder cannot be written
    130  interrupted (Ctrl-C): the unfinished batch is not committed, its staging is removed
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, what shells expect


class GrouplakeError(Exception):
    """An operational failure with a one-line message meant for the person running the command."""

    exit_code = EXIT_FAILED


class InputNotFound(GrouplakeError):
    """An input path or glob matches nothing."""

    exit_code = EXIT_USAGE


class UsageError(GrouplakeError):
    """Options that do not fit together (the same exit code as a wrong command line)."""

    exit_code = 2


class ConfigError(UsageError):
    """grouplake.toml (or the file GROUPLAKE_CONFIG names) is missing, unparsable or invalid."""


class WarehouseBusy(GrouplakeError):
    """Another process holds the warehouse longer than the wait allowed."""

    exit_code = 3


class WarehouseNotFound(GrouplakeError):
    """A read-only command (build, status, rejects) on a warehouse file that does not exist."""

    exit_code = 4


class LakeNotFound(GrouplakeError):
    """A build that reads the lake (``--engine spark``) on a lake without events."""

    exit_code = 4


class WarehouseUnusable(GrouplakeError):
    """The warehouse file cannot be created, opened or read (permissions, folders, corruption)."""

    exit_code = 5


class OutputNotWritable(GrouplakeError):
    """A folder or file grouplake writes (the lake, an export, dbt's folder) cannot be written."""

    exit_code = 6


def exit_code_of(exc: BaseException) -> int:
    """The process exit code for an exception that ends a command."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return getattr(exc, "exit_code", EXIT_FAILED)


def describe_os_error(exc: BaseException) -> str:
    """The cause of an OSError in words ("Permission denied", "No such file or directory"), no path."""
    if isinstance(exc, FileExistsError):  # mkdir over a file: the folder is a file
        return "Not a directory (a file has that name)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
