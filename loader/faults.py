"""Fault injection for the crash-safety tests.

Set ``GROUPLAKE_FAULT=<point>`` (optionally ``<point>:<n>`` to fire on the n-th time the
point is reached, 1-based) and the loader SIGKILLs itself there. Unset, this costs one
dictionary lookup per call site. Points are named where ``crash_point`` is called.

With ``GROUPLAKE_FAULT_FILL=<dir>`` also set, the point does not kill: it fills the file system
of ``<dir>`` (a file ``.grouplake-fill`` written until ENOSPC) and the run goes on, so the next
write there fails with a real "no space left on device" (the full-disk tests; delete the file to
free the space again).
"""

from __future__ import annotations

import os
import signal

_counts: dict[str, int] = {}


def _target() -> tuple[str, int] | None:
    spec = os.environ.get("GROUPLAKE_FAULT")
    if not spec:
        return None
    name, _, nth = spec.partition(":")
    return name, int(nth or 1)


def crash_point(name: str) -> None:
    target = _target()
    if target is None or target[0] != name:
        return
    _counts[name] = _counts.get(name, 0) + 1
    if _counts[name] == target[1]:
        fill = os.environ.get("GROUPLAKE_FAULT_FILL")
        if fill:
            fill_disk(fill)
            return
        os.kill(os.getpid(), signal.SIGKILL)


FILL_FILE = ".grouplake-fill"


def fill_disk(directory: str) -> None:
    """Write zeros to ``<directory>/.grouplake-fill`` until the file system is full."""
    block = b"\0" * (64 << 10)
    with open(os.path.join(directory, FILL_FILE), "ab", buffering=0) as f:
        for size in (len(block), 4096, 512, 1):
            try:
                while True:
                    f.write(block[:size])
            except OSError:
                continue
