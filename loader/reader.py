"""Finding input files and streaming them as chunks of lines.

Files are read in fixed-size blocks and split on ``\\n`` in C (``bytes.split``), so memory
is bounded by the chunk size, never by the file size. A line longer than
``MAX_KEPT_LINE_BYTES`` is not held whole: its first bytes are kept for the rejects table
and its true length is reported.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Iterator

from grouplake.errors import InputNotFound

INPUT_SUFFIXES = (".ndjson", ".jsonl", ".json", ".ndjson.gz", ".jsonl.gz", ".json.gz", ".gz")
BLOCK_BYTES = 4 << 20
DEFAULT_CHUNK_BYTES = 64 << 20
MAX_KEPT_LINE_BYTES = 16 << 20   # longer lines are rejected as too_large and kept truncated
TRUNCATED_KEEP_BYTES = 64 << 10
UTF8_BOM = b"\xef\xbb\xbf"


def discover_files(inputs: list[str]) -> list[Path]:
    """Expand files, directories (recursively, by suffix) and globs into a sorted, de-duplicated list.

    A path or glob that matches nothing is an error: a scheduled job pointed at the wrong
    folder must fail loudly rather than load nothing.
    """
    found: list[Path] = []
    for raw in inputs:
        if glob.has_magic(raw):
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                raise InputNotFound(f"no input matches {raw!r}")
            for m in matches:
                found.extend(_expand(Path(m)))
        else:
            path = Path(raw)
            if not path.exists():
                raise InputNotFound(f"no such file or directory: {raw}")
            found.extend(_expand(path))
    unique: dict[Path, None] = {}
    for p in found:
        unique.setdefault(p.absolute(), None)
    return list(unique)


def _expand(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*")
                      if p.is_file() and p.name.endswith(INPUT_SUFFIXES) and not _hidden(p, path))
    return [path]


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in p.relative_to(root).parts)


@dataclass
class Chunk:
    """Consecutive lines of one file. ``first_line`` is the 1-based number of ``lines[0]``."""

    first_line: int
    lines: list[bytes]
    oversized: dict[int, int] = field(default_factory=dict)  # index in lines -> true length
    read_error: str | None = None   # the file could not be read past these lines


class _CountingReader(io.RawIOBase):
    """Wraps the raw file to report how many (compressed) bytes were consumed."""

    def __init__(self, f: BinaryIO):
        self._f = f
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._f.readinto(b)
        self.consumed += n or 0
        return n


def iter_chunks(path: Path, chunk_bytes: int = DEFAULT_CHUNK_BYTES,
                progress=None) -> Iterator[Chunk]:
    """Yield the file's lines in chunks of about ``chunk_bytes``.

    ``progress(n)`` is called with the number of file bytes consumed since the last call.
    A read or decompression error ends the stream with a chunk whose ``read_error`` is set;
    lines read before it are still yielded. OSError on open propagates to the caller.
    """
    raw = open(path, "rb")
    counter = _CountingReader(raw)
    stream: BinaryIO
    if path.name.endswith(".gz"):
        stream = gzip.GzipFile(fileobj=io.BufferedReader(counter, BLOCK_BYTES), mode="rb")
    else:
        stream = io.BufferedReader(counter, BLOCK_BYTES)
    try:
        yield from _chunks(stream, counter, chunk_bytes, progress)
    finally:
        stream.close()
        raw.close()


def _chunks(stream: BinaryIO, counter: _CountingReader, chunk_bytes: int, progress) -> Iterator[Chunk]:
    line_no = 1
    lines: list[bytes] = []
    oversized: dict[int, int] = {}
    pending = 0
    carry = b""
    carry_len = 0          # true length of the current partial line (may exceed what is kept)
    overflowing = False    # the current line is longer than MAX_KEPT_LINE_BYTES
    first_block = True
    reported = 0
    block_bytes = max(1, min(BLOCK_BYTES, chunk_bytes))  # a small chunk size gives small chunks
    while True:
        try:
            # read1: a truncated .gz raises on the call that hits the end, so keep calls small
            # enough that everything decompressed before the damage has already been returned.
            block = stream.read1(block_bytes)
            if first_block and 0 < len(block) < len(UTF8_BOM) and UTF8_BOM.startswith(block):
                block += stream.read(len(UTF8_BOM) - len(block))  # a short first read must not split a BOM
        except (EOFError, OSError, zlib.error) as exc:
            error = _describe_read_error(exc)
            if carry_len:
                lines.append(carry)
                if overflowing:
                    oversized[len(lines) - 1] = carry_len
            yield Chunk(line_no, lines, oversized, read_error=error)
            return
        if progress is not None:
            progress(counter.consumed - reported)
            reported = counter.consumed
        if not block:
            break
        if first_block:
            first_block = False
            if block.startswith(UTF8_BOM):
                block = block[len(UTF8_BOM):]
        parts = block.split(b"\n")
        tail = parts.pop()
        if parts:
            # the first part completes the carried partial line
            head = parts[0]
            if overflowing:
                carry_len += len(head)
                parts[0] = carry
                oversized[len(lines)] = carry_len
            else:
                parts[0] = carry + head if carry else head
                if len(parts[0]) > MAX_KEPT_LINE_BYTES:
                    oversized[len(lines)] = len(parts[0])
                    parts[0] = parts[0][:TRUNCATED_KEEP_BYTES]
            lines.extend(parts)
            pending += len(block) - len(tail)
            carry, carry_len, overflowing = tail, len(tail), False
        else:
            carry_len += len(tail)
            if not overflowing:
                carry += tail
                if len(carry) > MAX_KEPT_LINE_BYTES:
                    carry = carry[:TRUNCATED_KEEP_BYTES]
                    overflowing = True
        if pending >= chunk_bytes:
            # keep no reference to the lines while the consumer works on them, so it can free them
            full = Chunk(line_no, lines, oversized)
            line_no += len(lines)
            lines, oversized, pending = [], {}, 0
            yield full
            del full
    if carry_len:  # last line without a trailing newline
        lines.append(carry)
        if overflowing:
            oversized[len(lines) - 1] = carry_len
    if lines:
        yield Chunk(line_no, lines, oversized)


def _describe_read_error(exc: BaseException) -> str:
    if isinstance(exc, gzip.BadGzipFile):
        return f"not a valid gzip file: {exc}"
    if isinstance(exc, EOFError):
        return "compressed stream ended early (truncated .gz file)"
    if isinstance(exc, zlib.error):
        return f"corrupt compressed data: {exc}"
    return f"read error: {exc}"


def file_sha256(path: Path) -> str:
    import hashlib

    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def file_size(path: Path) -> int:
    return os.stat(path).st_size
