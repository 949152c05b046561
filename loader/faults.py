"""Fault injection for the crash-safety tests.

Set ``GROUPLAKE_FAULT=<point>`` (optionally ``<point>:<n>`` to fire on the n-th time the
point is reached, 1-based) and the loader SIGKILLs itself there. Unset, this costs one
dictionary lookup per call site. Points are named where ``crash_point`` is called.
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
        os.kill(os.getpid(), signal.SIGKILL)
