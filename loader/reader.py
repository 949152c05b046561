"""Finding input files and streaming them as chunks of lines.

Files are read in fixed-size blocks and split on ``\\n`` in C (``bytes.split``), so memory
is bounded by the chunk size, never by the file size. A line longer than
``MAX_KEPT_LINE_BYTES`` is not held whole: its first bytes are kept for the rejects table
and its true length is reported.

One pass over an input is a ``Reading``: where it starts (a grown file continues after what
was loaded), the line number it starts at, and what it saw on the way, among which the
sha256 of the bytes, computed on the same single pass as the bytes are consumed (a pipe or
an object-storage stream cannot be read twice).
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from grouplake.sources import Source

from grouplake.errors import InputNotFound

INPUT_SUFFIXES = (".ndjson", ".jsonl", ".json", ".ndjson.gz", ".jsonl.gz", ".json.gz", ".gz")
BLOCK_BYTES = 4 << 20
DEFAULT_CHUNK_BYTES = 64 << 20  # lines are validated and staged in chunks of about this size
MAX_KEPT_LINE_BYTES = 16 << 20  # longer lines are rejected as too_large and kept truncated
TRUNCATED_KEEP_BYTES = 64 << 10
UTF8_BOM = b"\xef\xbb\xbf"
GZIP_MAGIC = b"\x1f\x8b"


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
        return sorted(
            p
            for p in path.rglob("*")
            if p.is_file() and p.name.endswith(INPUT_SUFFIXES) and not _hidden(p, path)
        )
    return [path]


def _hidden(p: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in p.relative_to(root).parts)


@dataclass
class Chunk:
    """Consecutive lines of one file. ``first_line`` is the 1-based number of ``lines[0]``."""

    first_line: int
    lines: list[bytes]
    oversized: dict[int, int] = field(default_factory=dict)  # index in lines -> true length
    read_error: str | None = None  # the file could not be read past these lines


class Reading:
    """One pass over a source, from ``start_offset`` (line ``first_line``) to its end.

    ``hasher`` holds the sha256 of the bytes before ``start_offset`` (empty for a pass from
    the start) and is updated with every byte the pass consumes, so at the end it is the
    hash of the input's first ``end_offset`` bytes. For a ``.gz`` input offsets and the hash
    are of the compressed bytes; lines are counted in the decompressed text.
    """

    def __init__(self, source: Source, start_offset: int = 0, first_line: int = 1, hasher=None):
        self.source = source
        self.start_offset = start_offset
        self.first_line = first_line
        self.hasher = hasher if hasher is not None else hashlib.sha256()
        self.consumed = 0  # bytes read by this pass
        self.tail_bytes = 0  # bytes after the last newline (an unterminated last line)
        self.resume_line: int | None = None  # number of the line after the last complete one
        self.read_error: str | None = None
        self.complete = False  # the pass reached the end of the input
        self.compressed = source.compressed

    # a Reading stands for its input where a path is expected (source_file, progress)
    def __str__(self) -> str:
        return self.source.path

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def end_offset(self) -> int:
        return self.start_offset + self.consumed

    def content_hash(self) -> str | None:
        """sha256 of the input's first ``end_offset`` bytes; None unless the pass read to the end."""
        return self.hasher.hexdigest() if self.complete else None

    def resume_offset(self) -> int | None:
        """Where a later pass over a grown file starts: after the last newline. None for streams,
        objects, compressed files and passes that did not end cleanly (never appended to)."""
        if not self.source.is_file or self.compressed or self.read_error or not self.complete:
            return None
        return self.end_offset - self.tail_bytes


class InputReadError(OSError):
    """Reading the input itself failed (an I/O or network error), as opposed to its content
    being corrupt: the batch fails and is retried by the next run, nothing is committed."""


class _CountingReader(io.RawIOBase):
    """Wraps the raw input: counts the (compressed) bytes consumed and hashes them as they pass."""

    def __init__(self, f: BinaryIO, reading: Reading):
        self._f = f
        self._reading = reading
        self._update = reading.hasher.update
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            n = self._f.readinto(b)
        except OSError as exc:
            raise (
                InputReadError(exc.errno, exc.strerror)
                if exc.errno and exc.strerror
                else InputReadError(str(exc))
            ) from exc
        if n:
            # hashlib releases the GIL for buffers this size: the hash runs beside the SQL work
            self._update(memoryview(b)[:n])
            self.consumed += n
            self._reading.consumed = self.consumed
        return n

    def drain(self) -> None:
        """Consume (and hash) what the decompressor left unread: garbage after a .gz stream,
        the bytes after a corrupt block. The hash is then of the whole input."""
        buf = bytearray(BLOCK_BYTES)
        while self.readinto(buf):
            pass


def iter_chunks(
    source: Reading | Source | Path | str, chunk_bytes: int = DEFAULT_CHUNK_BYTES, progress=None
) -> Iterator[Chunk]:
    """Yield the input's lines in chunks of about ``chunk_bytes``.

    ``source`` is a ``Reading`` (a pass that may start inside the input), or a source or a
    local path, read from its start. ``progress(n)`` is called with the number of input bytes
    consumed since the last call. A read or decompression error ends the stream with a chunk
    whose ``read_error`` is set; lines read before it are still yielded. OSError on open
    propagates to the caller.
    """
    reading = source if isinstance(source, Reading) else Reading(_as_source(source))
    raw = reading.source.open(reading.start_offset)
    counter = _CountingReader(raw, reading)
    buffered = io.BufferedReader(counter, BLOCK_BYTES)
    stream: BinaryIO = buffered
    try:
        # a file or object is gzip by its name; a stream (which may have none) by its first bytes
        reading.compressed = reading.source.compressed or (
            reading.source.is_stream
            and buffered.peek(len(GZIP_MAGIC))[: len(GZIP_MAGIC)] == GZIP_MAGIC
        )
        if reading.compressed:
            stream = gzip.GzipFile(fileobj=buffered, mode="rb")
        yield from _chunks(stream, counter, reading, chunk_bytes, progress)
        counter.drain()
        reading.complete = True
    finally:
        stream.close()
        raw.close()


def open_file(path: Path, offset: int = 0) -> BinaryIO:
    """A local file, unbuffered (the reader buffers), positioned at ``offset``."""
    f = open(path, "rb", buffering=0)
    if offset:
        f.seek(offset)
    return f


def _as_source(source) -> Source:
    from grouplake.sources import Source, local_file

    return source if isinstance(source, Source) else local_file(Path(source))


def _chunks(
    stream: BinaryIO, counter: _CountingReader, reading: Reading, chunk_bytes: int, progress
) -> Iterator[Chunk]:
    line_no = reading.first_line
    lines: list[bytes] = []
    oversized: dict[int, int] = {}
    pending = 0
    carry = b""
    carry_len = 0  # true length of the current partial line (may exceed what is kept)
    overflowing = False  # the current line is longer than MAX_KEPT_LINE_BYTES
    first_block = reading.start_offset == 0  # a BOM can only be at the very start
    reported = 0
    block_bytes = max(1, min(BLOCK_BYTES, chunk_bytes))  # a small chunk size gives small chunks
    while True:
        try:
            # read1: a truncated .gz raises on the call that hits the end, so keep calls small
            # enough that everything decompressed before the damage has already been returned.
            block = stream.read1(block_bytes)
            if first_block and 0 < len(block) < len(UTF8_BOM) and UTF8_BOM.startswith(block):
                block += stream.read(
                    len(UTF8_BOM) - len(block)
                )  # a short first read must not split a BOM
        except InputReadError:
            raise
        except (EOFError, OSError, zlib.error) as exc:
            error = _describe_read_error(exc)
            reading.read_error = error
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
                block = block[len(UTF8_BOM) :]
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
    reading.tail_bytes = carry_len
    reading.resume_line = line_no + len(lines) - (1 if carry_len else 0)
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


def hash_range(f: BinaryIO, nbytes: int, hasher) -> int:
    """Feed the next ``nbytes`` of ``f`` to ``hasher``; returns how many there were."""
    done = 0
    buf = bytearray(BLOCK_BYTES)
    view = memoryview(buf)
    while done < nbytes:
        n = f.readinto(view[: min(BLOCK_BYTES, nbytes - done)])
        if not n:
            break
        hasher.update(view[:n])
        done += n
    return done
