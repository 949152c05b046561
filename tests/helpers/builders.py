"""Builders of test input: Group calls, NDJSON lines, and a multi-file input that exercises every
path of a batch (``write_inputs``)."""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def call(message_id, group_id, ts, traits=None, user_id=None, anonymous_id=None, **extra) -> dict:
    """A Group call with only the fields given (no defaults), for the dbt tests' hand-written batches."""
    c = {
        "type": "group",
        "messageId": message_id,
        "groupId": group_id,
        "timestamp": ts,
        "userId": user_id,
        "anonymousId": anonymous_id,
        "traits": traits,
        **extra,
    }
    return {k: v for k, v in c.items() if v is not None}


def group_call(
    group_id="g1", user_id="u1", traits=None, ts="2026-11-01T10:00:00Z", message_id=None, **extra
) -> dict:
    """A valid Group call; pass None to drop a field."""
    c = {
        "type": "group",
        "groupId": group_id,
        "userId": user_id,
        "traits": traits if traits is not None else {},
        "timestamp": ts,
        "messageId": message_id,
        **extra,
    }
    return {k: v for k, v in c.items() if v is not None}


TRUNCATED_LINE = b'{"type": "group", "groupId": '  # invalid_json: a line cut short


def numbered_lines(
    numbers: Iterable[int],
    *,
    prefix: str = "m",
    groups: int = 9,
    bad_every: int = 0,
    bad: tuple[bytes, ...] = (TRUNCATED_LINE,),
) -> bytes:
    """NDJSON of one valid Group call per number (messageId ``<prefix><no>``, groupId
    ``g<no % groups>``, traits ``{"n": no}``), except every ``bad_every``-th number, which is a
    line of ``bad`` (in turn): a reject."""
    out = []
    for no in numbers:
        if bad_every and no % bad_every == 0:
            out.append(bad[(no // bad_every) % len(bad)])
        else:
            c = group_call(group_id=f"g{no % groups}", message_id=f"{prefix}{no}", traits={"n": no})
            out.append(json.dumps(c).encode())
    return b"\n".join(out) + b"\n"


def _event(i: int, file_no: int, rnd: random.Random) -> dict:
    day = 1 + (i % 3)  # three received_date partitions per batch -> several files to publish
    ev = {
        "type": rnd.choice(["group", "Group", "GROUP"]),
        "groupId": rnd.choice([f"g{i % 11}", i % 11]),
        "messageId": f"f{file_no}-m{i}",
        "traits": {
            "name": f"Org {i % 11}",
            "plan": rnd.choice(["free", "pro", None]),
            "Employees": rnd.randint(1, 500),
            "address": {"city": "Bern"},
        },
        "timestamp": f"2024-03-0{day}T10:{i % 60:02d}:00Z",
        "receivedAt": f"2024-03-0{day}T10:{i % 60:02d}:05Z",
        "context": {"ip": f"10.0.0.{i % 255}"},
    }
    if i % 4:
        ev["userId"] = f"u{i % 37}"
    else:
        ev["anonymousId"] = f"anon-{i % 13}"
    return ev


def write_inputs(
    root: Path, n_files: int = 4, lines_per_file: int = 240, seed: int = 7
) -> list[Path]:
    """A multi-file input that exercises every path of a batch.

    Each file has valid events over three days, bad lines of several reasons, duplicates
    inside the file and of an earlier file, a rejected line (with a messageId) that a later
    file fixes (so rejects get resolved), and the last file is gzip and ends without a
    trailing newline.
    """
    rnd = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(n_files):
        lines: list[bytes] = []
        for i in range(lines_per_file):
            lines.append(json.dumps(_event(i, f, rnd)).encode())
            if i % 37 == 5:
                lines.append(b'{"type": "group", "groupId": ')  # invalid_json
            if i % 53 == 7:
                lines.append(
                    json.dumps({"type": "track", "event": "x", "messageId": f"t{f}-{i}"}).encode()
                )  # skipped
            if i % 41 == 9:
                lines.append(json.dumps(_event(i, f, rnd)).encode())  # same messageId again
            if i % 61 == 11 and f > 0:
                lines.append(
                    json.dumps(_event(i, f - 1, rnd)).encode()
                )  # duplicate of earlier file
            if i == 13:
                # rejected here, fixed by the next file (same messageId)
                lines.append(
                    json.dumps(
                        {
                            "type": "group",
                            "groupId": "g-fix",
                            "messageId": f"fix-{f}",
                            "traits": "not an object",
                        }
                    ).encode()
                )
            if i == 17 and f > 0:
                lines.append(
                    json.dumps(
                        {
                            "type": "group",
                            "groupId": "g-fix",
                            "messageId": f"fix-{f - 1}",
                            "traits": {"fixed": True},
                            "timestamp": "2024-03-02T00:00:00Z",
                        }
                    ).encode()
                )
            if i == 19:
                lines.append(b"\xff\xfe not utf-8 \x00")  # invalid_utf8
        data = b"\n".join(lines)
        if f == n_files - 1:
            path = root / f"part-{f:02d}.ndjson.gz"
            path.write_bytes(gzip.compress(data, mtime=0))  # no trailing newline
        else:
            path = root / f"part-{f:02d}.ndjson"
            path.write_bytes(data + b"\n")
        paths.append(path)
    return paths
