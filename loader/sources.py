"""Input sources: local files, streams (standard input, FIFOs, process substitution) and objects
in object storage (``s3://``, ``gs://``).

An input argument becomes one or more ``Source``\\ s:

- ``-`` and ``/dev/stdin``: standard input, a stream named ``<stdin>`` (or ``--name``).
- a path that is neither a regular file nor a directory (a FIFO, a character device, the
  ``/dev/fd/N`` of a process substitution ``<(...)``): a stream named by its path (or ``--name``).
- a directory or a glob: its input files, recursively, as before (``reader.discover_files``).
- ``s3://bucket/prefix`` (``gs://`` too): one object, or every object under the prefix with an
  input suffix, recursively, like a directory.

A stream can be read once only: it is never hashed or skipped before it is read. Objects are
streamed (ranged reads as the loader consumes them), never downloaded whole first.

Object storage goes through ``pyarrow.fs`` (``S3FileSystem``, ``GcsFileSystem``): it ships in
the pyarrow wheel the loader already depends on (no boto/aiohttp stack in the default install),
reads with its own C++ threads, uploads large files in parts, and takes the standard AWS
settings. It does not read ``AWS_ENDPOINT_URL`` itself, so ``object_filesystem`` passes it on.
"""

from __future__ import annotations

import glob
import os
import stat
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from grouplake.errors import GrouplakeError, InputNotFound, UsageError
from grouplake.reader import INPUT_SUFFIXES, discover_files, open_file

STDIN_NAME = "<stdin>"
STDIN_ARGS = ("-", "/dev/stdin")
OBJECT_SCHEMES = ("s3://", "gs://")


class SourceKind(StrEnum):
    """What an input is: ``Source.kind``, and the ledger's ``source_kind`` column."""

    FILE = "file"  # a regular local file: it can be re-read, and may grow
    STREAM = "stream"  # standard input, a FIFO, a process substitution: read once, size unknown
    OBJECT = "object"  # in object storage; ``etag`` identifies the version read


@dataclass
class Source:
    """One input: what the ledger calls it (``path``), what it is (``kind``) and how to open it."""

    path: str
    kind: SourceKind
    size: int | None = None
    compressed: bool = False
    etag: str | None = None
    local: Path | None = None  # file or stream path
    fd: int | None = None  # standard input
    fs: object | None = None  # pyarrow FileSystem of an object
    fs_path: str | None = None  # bucket/key
    _opened: BinaryIO | None = field(default=None, repr=False)

    @property
    def is_file(self) -> bool:
        return self.kind == SourceKind.FILE

    @property
    def is_stream(self) -> bool:
        return self.kind == SourceKind.STREAM

    @property
    def name(self) -> str:
        """The last component of the name (for progress bars)."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    def __str__(self) -> str:
        return self.path

    def open(self, offset: int = 0) -> BinaryIO:
        """A raw binary reader positioned at ``offset`` (only a regular file can start past 0)."""
        if self.is_file:
            return open_file(self.local, offset)
        if offset:
            raise ValueError(f"{self.path}: a {self.kind} can only be read from its start")
        if self.is_stream:
            if self.fd is not None:
                # our own descriptor: closing it leaves the process's standard input alone
                return open(os.dup(self.fd), "rb", buffering=0)
            return open(self.local, "rb", buffering=0)
        self.head()
        opened, self._opened = self._opened, None
        return opened

    def head(self) -> str | None:
        """Open an object (one metadata request, no bytes yet) and return its ETag.

        The opened stream is kept for the next ``open``: deciding whether to skip an object
        and then reading it costs one metadata request, not two.
        """
        if self._opened is None:
            # compression=None: pyarrow would otherwise gunzip .gz keys itself (the reader does,
            # and hashes the bytes as stored)
            stream = self.fs.open_input_stream(self.fs_path, compression=None)
            meta = stream.metadata() or {}
            etag = meta.get("ETag") or meta.get(b"ETag")
            self.etag = etag.decode("utf-8", "replace") if isinstance(etag, bytes) else etag
            self._opened = _NativeReader(stream)
        return self.etag

    def close(self) -> None:
        """Close an object stream opened by ``head`` and not read (a skipped object)."""
        if self._opened is not None:
            self._opened.close()
            self._opened = None


class _NativeReader:
    """A pyarrow input stream as the raw reader the line reader expects (readinto, close)."""

    def __init__(self, stream):
        self._s = stream

    def readinto(self, b) -> int:
        return self._s.readinto(b)

    def close(self) -> None:
        self._s.close()


def discover_sources(inputs: list[str], *, name: str | None = None) -> list[Source]:
    """Expand the inputs into sources, in the order given (directories and prefixes sorted).

    ``name`` names the single stream input in the ledger (``--name``). A path, glob or prefix
    that matches nothing is an error: a scheduled job pointed at the wrong place must fail
    loudly rather than load nothing.
    """
    streams = [raw for raw in inputs if raw in STDIN_ARGS or _is_stream_path(raw)]
    if name is not None and (len(inputs) != 1 or len(streams) != 1):
        raise UsageError(
            "--name names a single stream input (-, /dev/stdin, a FIFO or <(...)); "
            f"got {len(inputs)} input(s), {len(streams)} of them stream(s)"
        )
    sources: list[Source] = []
    for raw in inputs:
        if raw in STDIN_ARGS:
            sources.append(stdin_source(name))
        elif raw.startswith(OBJECT_SCHEMES):
            sources.extend(list_objects(raw))
        elif "://" in raw:
            raise InputNotFound(
                f"unsupported URL {raw}: inputs are local paths, globs, '-' (standard "
                "input), s3://bucket/prefix or gs://bucket/prefix"
            )
        elif _is_stream_path(raw):
            sources.append(
                Source(
                    path=name or str(Path(raw).absolute()),
                    kind=SourceKind.STREAM,
                    compressed=(name or raw).endswith(".gz"),
                    local=Path(raw),
                )
            )
        else:
            sources.extend(local_file(p) for p in discover_files([raw]))
    unique: dict[str, Source] = {}
    for s in sources:
        unique.setdefault(s.path, s)
    return list(unique.values())


def stdin_source(name: str | None = None) -> Source:
    if sys.stdin is None or sys.stdin.closed:
        raise InputNotFound("standard input is closed: nothing to read for '-'")
    fd = sys.stdin.fileno()
    if os.isatty(fd):
        raise InputNotFound("standard input is a terminal: pipe NDJSON into `grouplake load -`")
    return Source(
        path=name or STDIN_NAME,
        kind=SourceKind.STREAM,
        fd=fd,
        compressed=bool(name and name.endswith(".gz")),
    )


def local_file(path: Path) -> Source:
    path = Path(path)
    return Source(
        path=str(path.absolute()),
        kind=SourceKind.FILE,
        size=_size(path),
        compressed=path.name.endswith(".gz"),
        local=path,
    )


def _size(path: Path) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None  # reported when the file is opened


def _is_stream_path(raw: str) -> bool:
    """A path that exists and is neither a regular file nor a directory (FIFO, device, pipe)."""
    if raw.startswith(OBJECT_SCHEMES) or glob.has_magic(raw):
        return False
    try:
        mode = os.stat(raw).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


# -- object storage -----------------------------------------------------------------------------


def object_filesystem(uri: str):
    """The pyarrow filesystem for ``s3://`` or ``gs://`` URIs, configured from the environment.

    S3 takes the AWS SDK's standard settings (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/
    ``AWS_SESSION_TOKEN``, ``AWS_PROFILE`` and ``~/.aws``, instance roles) plus two the SDK in
    pyarrow does not read by itself: ``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL`` (an
    S3-compatible store: MinIO, Ceph, R2, ...) and ``AWS_REGION``/``AWS_DEFAULT_REGION``.
    """
    from pyarrow import fs as pafs

    if uri.startswith("s3://"):
        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        kwargs: dict = {}
        if endpoint:
            kwargs["endpoint_override"] = endpoint
        if region:
            kwargs["region"] = region
        return pafs.S3FileSystem(**kwargs)
    if uri.startswith("gs://"):
        return pafs.GcsFileSystem()
    raise GrouplakeError(f"not an object storage URI: {uri}")


def split_uri(uri: str) -> str:
    """``s3://bucket/key`` -> ``bucket/key`` (the path pyarrow's filesystems take)."""
    return uri.split("://", 1)[1].strip("/")


def list_objects(uri: str) -> list[Source]:
    """One object, or every object with an input suffix under the prefix (recursively, sorted).

    Like a directory: keys with a path component starting with ``.`` or ``_`` are skipped.
    """
    from pyarrow import fs as pafs

    scheme = uri.split("://", 1)[0]
    base = split_uri(uri)
    if not base:
        raise InputNotFound(f"no bucket in {uri!r}")
    fs = object_filesystem(uri)
    try:
        info = fs.get_file_info(base)
        if info.type == pafs.FileType.File:
            infos = [info]
        elif info.type == pafs.FileType.Directory:
            infos = [
                i
                for i in fs.get_file_info(pafs.FileSelector(base, recursive=True))
                if i.type == pafs.FileType.File
                and i.path.endswith(INPUT_SUFFIXES)
                and not any(part.startswith((".", "_")) for part in i.path[len(base) :].split("/"))
            ]
        else:
            raise InputNotFound(f"no such object or prefix: {uri}")
    except OSError as exc:
        raise GrouplakeError(f"cannot list {uri}: {one_line(exc)}") from None
    return [
        Source(
            path=f"{scheme}://{i.path}",
            kind=SourceKind.OBJECT,
            size=i.size,
            compressed=i.path.endswith(".gz"),
            fs=fs,
            fs_path=i.path,
        )
        for i in sorted(infos, key=lambda i: i.path)
    ]


def one_line(exc: BaseException) -> str:
    """pyarrow's AWS errors span several lines; the CLI prints one."""
    return " ".join(str(exc).split())
