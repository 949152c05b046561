"""Standard input, /dev/stdin, process substitution and FIFOs are streams: read once, every line
accounted for, hashed on the same pass, named <stdin> (or --name) in the ledger."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess
import threading

from helpers import (
    GROUPLAKE,
    REPO_ROOT,
    Run,
    assert_consistent,
    group_call,
    numbered_lines,
    run_cli,
)


def _lines(n: int, prefix: str = "m", bad_every: int = 0) -> bytes:
    """n lines; the ``bad_every``-th, 2*``bad_every``-th, ... is truncated JSON (a reject)."""
    return numbered_lines(range(1, n + 1), prefix=prefix, groups=7, bad_every=bad_every)


def _pipe_into(wh, data: bytes, *args: str) -> Run:
    """Run `grouplake load ARGS` with ``data`` written to its standard input through a pipe
    (``communicate`` writes it in pieces while the loader reads)."""
    return run_cli("load", *args, env=wh.env(), input=data, timeout=300)


def _bash(wh, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", script],
        cwd=REPO_ROOT,
        env=wh.env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _ledger(wh):
    return wh.query("""SELECT file_path, status, source_kind, load_mode, file_size, content_hash, read_count,
                              loaded_count, rejected_count, duplicate_count
                       FROM raw.load_ledger ORDER BY batch_id""")


def test_load_dash_reads_standard_input_in_one_pass_and_names_it_stdin(wh):
    data = _lines(3000, bad_every=100)  # ~300 KB: more than a pipe buffer, several chunks
    run = _pipe_into(wh, data, "-", "--chunk-bytes", "50000")
    assert run.returncode == 0, run.stderr
    assert "loaded <stdin> (new): read 3,000, loaded 2,970, rejected 30" in run.stderr
    assert _ledger(wh) == [
        (
            "<stdin>",
            "loaded",
            "stream",
            "new",
            len(data),
            hashlib.sha256(data).hexdigest(),
            3000,
            2970,
            30,
            0,
        )
    ]
    assert (
        wh.scalar(
            "SELECT count(DISTINCT message_id) FROM raw.group_events WHERE source_file = '<stdin>'"
        )
        == 2970
    )
    assert wh.query("SELECT min(source_line), max(source_line) FROM raw.group_events") == [
        (1, 2999)
    ]
    assert wh.query("SELECT DISTINCT source_file, reason FROM raw.group_event_rejects") == [
        ("<stdin>", "invalid_json")
    ]
    assert sorted(
        r[0] for r in wh.query("SELECT source_line FROM raw.group_event_rejects")
    ) == list(range(100, 3001, 100))
    assert_consistent(wh.path, wh.lake)


def test_dev_stdin_from_a_pipe_is_read_not_lost(wh):
    """The reported bug: `cat f | grouplake load /dev/stdin` said loaded, read 0 (a hashing thread
    had consumed the pipe)."""
    f = wh.inputs / "f.ndjson"
    f.write_bytes(_lines(500))
    run = _bash(wh, f"cat {f} | {' '.join(GROUPLAKE)} load /dev/stdin")
    assert run.returncode == 0, run.stderr
    assert "read 500, loaded 500" in run.stderr
    assert wh.query(
        "SELECT file_path, read_count, loaded_count, content_hash FROM raw.load_ledger"
    ) == [("<stdin>", 500, 500, hashlib.sha256(f.read_bytes()).hexdigest())]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 500


def test_process_substitution_is_a_stream_and_name_sets_its_ledger_name(wh):
    f = wh.inputs / "f.ndjson"
    f.write_bytes(_lines(200))
    run = _bash(wh, f"{' '.join(GROUPLAKE)} load <(cat {f})")
    assert run.returncode == 0, run.stderr
    assert "read 200, loaded 200" in run.stderr
    ((path, kind),) = wh.query("SELECT file_path, source_kind FROM raw.load_ledger")
    assert path.startswith("/dev/fd/") and kind == "stream"
    g = wh.inputs / "g.ndjson"
    g.write_bytes(_lines(50, prefix="other"))
    run = _bash(wh, f"{' '.join(GROUPLAKE)} load --name exports/g.ndjson <(cat {g})")
    assert run.returncode == 0, run.stderr
    assert wh.query(
        "SELECT DISTINCT source_file FROM raw.group_events WHERE message_id LIKE 'other%'"
    ) == [("exports/g.ndjson",)]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 250


def test_fifo_is_streamed_by_the_library_api(wh):
    from grouplake.load import load_paths

    fifo = wh.root / "feed"
    os.mkfifo(fifo)
    data = _lines(4000, bad_every=400)

    def writer():
        with open(fifo, "wb") as w:
            for i in range(0, len(data), 10000):
                w.write(data[i : i + 10000])

    t = threading.Thread(target=writer)
    t.start()
    report = load_paths([fifo], warehouse=wh.path, lake=wh.lake, chunk_bytes=64 << 10)
    t.join(timeout=60)
    f = report.files[0]
    assert (f.status, f.mode, f.read, f.loaded, f.rejected, f.duplicates) == (
        "loaded",
        "new",
        4000,
        3990,
        10,
        0,
    )
    assert _ledger(wh)[0][:6] == (
        str(fifo),
        "loaded",
        "stream",
        "new",
        len(data),
        hashlib.sha256(data).hexdigest(),
    )
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 3990
    assert len(wh.lake_rows("message_id")) == 3990


def test_gzip_on_standard_input_is_recognised_by_its_bytes(wh):
    data = _lines(300)
    packed = gzip.compress(data, mtime=0)
    run = _pipe_into(wh, packed, "-")
    assert run.returncode == 0, run.stderr
    assert "read 300, loaded 300" in run.stderr
    # the hash and size are of the bytes received (compressed), like a .gz file's
    assert wh.query("SELECT file_size, content_hash FROM raw.load_ledger") == [
        (len(packed), hashlib.sha256(packed).hexdigest())
    ]


def test_resent_identical_stream_is_skipped_after_reading_and_stores_nothing_twice(wh):
    data = _lines(400, bad_every=50)
    first = _pipe_into(wh, data, "-")
    assert first.returncode == 0 and "rejected 8" in first.stderr
    again = _pipe_into(wh, data, "-")
    assert again.returncode == 0, again.stderr
    assert "skipped <stdin>: already loaded (same content as batch 1)" in again.stderr
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 392
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 8  # not stored twice
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 1
    # the same content as an already loaded *file* is skipped as well
    f = wh.inputs / "same.ndjson"
    f.write_bytes(data)
    from_file = wh.invoke("load", str(f))
    assert "already loaded" in from_file.stderr
    # a stream that overlaps an earlier one is loaded: the repeated events are duplicates
    more = data + _lines(10, prefix="new")
    third = _pipe_into(wh, more, "-")
    assert "read 410, loaded 10, rejected 8, duplicates 392" in third.stderr
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 402
    assert_consistent(wh.path, wh.lake)


def test_empty_standard_input_loads_nothing_and_exits_zero(wh):
    run = _pipe_into(wh, b"", "-")
    assert run.returncode == 0, run.stderr
    assert wh.query("SELECT file_path, read_count, file_size FROM raw.load_ledger") == [
        ("<stdin>", 0, 0)
    ]


def test_name_needs_exactly_one_stream_input(wh):
    f = wh.write("a.ndjson", [group_call()])
    run = wh.invoke("load", "--name", "x", str(f))
    assert run.returncode == 2
    assert "--name names a single stream input" in run.stderr and "Traceback" not in run.stderr
    run = wh.invoke("load", "https://example.invalid/x.ndjson")
    assert run.returncode == 2 and "unsupported URL" in run.stderr


def test_stdin_stream_and_a_file_in_one_command(wh):
    f = wh.write("a.ndjson", [group_call(message_id="file-1")])
    run = _pipe_into(wh, _lines(20, prefix="s"), "-", str(f))
    assert run.returncode == 0, run.stderr
    assert wh.query(
        "SELECT file_path, source_kind, loaded_count FROM raw.load_ledger ORDER BY batch_id"
    ) == [("<stdin>", "stream", 20), (str(f), "file", 1)]


def test_load_dash_with_a_terminal_as_standard_input_says_so_instead_of_waiting(wh):
    import pty

    master, slave = pty.openpty()
    try:
        run = subprocess.run(
            [*GROUPLAKE, "load", "-"],
            cwd=REPO_ROOT,
            env=wh.env(),
            stdin=slave,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(master)
        os.close(slave)
    assert run.returncode == 2
    assert "standard input is a terminal" in run.stderr and "Traceback" not in run.stderr


def test_a_character_device_is_a_stream(wh):
    from grouplake.load import load_paths

    report = load_paths(["/dev/null"], warehouse=wh.path, lake=wh.lake)
    assert [(f.path, f.status, f.read) for f in report.files] == [("/dev/null", "loaded", 0)]
    assert wh.query("SELECT source_kind, file_size FROM raw.load_ledger") == [("stream", 0)]
