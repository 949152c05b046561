"""Errors a user can act on. The CLI prints their message, never a traceback."""


class GrouplakeError(Exception):
    """An operational failure with a message meant for the person running the command."""

    exit_code = 1


class InputNotFound(GrouplakeError):
    exit_code = 2


class UsageError(GrouplakeError):
    """Options that do not fit together (the same exit code as a wrong command line)."""

    exit_code = 2


class WarehouseBusy(GrouplakeError):
    exit_code = 3
