"""Object storage: s3:// inputs (listed like a directory, streamed, skipped by ETag on re-runs) and
an s3:// lake (published after commit), against a real S3-compatible server (moto's server mode)
that these tests start on 127.0.0.1."""

from __future__ import annotations

import gzip
import hashlib
import json
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from helpers import group_call

boto3 = pytest.importorskip("boto3")
pytest.importorskip("moto")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory):
    """A moto S3 server on a free port of 127.0.0.1, for the tests of this module."""
    port = _free_port()
    log = open(tmp_path_factory.mktemp("moto") / "server.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).read()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"moto server did not start (exit {proc.poll()})") from None
            time.sleep(0.2)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


S3_ENV_CLEARED = ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION")


@pytest.fixture
def s3(s3_server, monkeypatch):
    """A fresh bucket; the standard AWS settings in the environment point at the test server."""
    env = {
        "AWS_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    for k in S3_ENV_CLEARED:
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = f"gl-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)

    class S3:
        pass

    s = S3()
    s.client, s.bucket, s.endpoint, s.env = client, bucket, s3_server, env

    def put(key: str, data: bytes) -> str:
        client.put_object(Bucket=bucket, Key=key, Body=data)
        return client.head_object(Bucket=bucket, Key=key)["ETag"]

    s.put = put
    s.keys = lambda prefix="": sorted(
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    )
    return s


def _ndjson(prefix: str, n: int, bad: int = 0) -> bytes:
    lines = [
        json.dumps(
            group_call(group_id=f"g{i % 5}", message_id=f"{prefix}-{i}", traits={"i": i})
        ).encode()
        for i in range(n)
    ]
    lines += [b'{"type": "group", "groupId": '] * bad
    return b"\n".join(lines) + b"\n"


def _cli(wh, s3, *args, env=None):
    return wh.cli(*args, env={**s3.env, **(env or {})})


def test_prefix_is_listed_recursively_streamed_and_recorded_with_etag(wh, s3):
    seg = gzip.compress(_ndjson("seg", 3000, bad=2), mtime=0)  # ~300 KB: several ranged reads
    rud = gzip.compress(_ndjson("rud", 40), mtime=0)
    plain = _ndjson("plain", 25, bad=1)
    objects = {
        "exports/segment-logs/src1/1764547200000/1764547260000.abc.gz": seg,
        "exports/rudder-logs/src2/2026-11-30/1764547200.src2.0f6e.json.gz": rud,
        "exports/manual/part-1.ndjson": plain,
        "exports/manual/_tmp/partial.ndjson": _ndjson("hidden", 5),  # skipped like a hidden folder
        "exports/manual/.inflight.ndjson": _ndjson("hidden2", 5),
        "exports/manual/notes.txt": b"not an input\n",
        "other/x.ndjson": _ndjson("other", 5),  # outside the prefix
    }
    etags = {k: s3.put(k, v) for k, v in objects.items()}
    report = wh.load(f"s3://{s3.bucket}/exports", chunk_bytes=64 << 10)

    def uri(key: str) -> str:
        return f"s3://{s3.bucket}/{key}"

    loaded_keys = [
        "exports/manual/part-1.ndjson",
        "exports/rudder-logs/src2/2026-11-30/1764547200.src2.0f6e.json.gz",
        "exports/segment-logs/src1/1764547200000/1764547260000.abc.gz",
    ]
    assert [(f.path, f.status, f.mode, f.read, f.loaded, f.rejected) for f in report.files] == [
        (uri(loaded_keys[0]), "loaded", "new", 26, 25, 1),
        (uri(loaded_keys[1]), "loaded", "new", 40, 40, 0),
        (uri(loaded_keys[2]), "loaded", "new", 3002, 3000, 2),
    ]
    ledger = wh.query("""SELECT file_path, source_kind, file_size, etag, content_hash FROM raw.load_ledger
                         ORDER BY batch_id""")
    assert ledger == [
        (uri(k), "object", len(objects[k]), etags[k], hashlib.sha256(objects[k]).hexdigest())
        for k in loaded_keys
    ]
    assert wh.query("SELECT source_file, count(*) FROM raw.group_events GROUP BY 1 ORDER BY 1") == [
        (uri(loaded_keys[0]), 25),
        (uri(loaded_keys[1]), 40),
        (uri(loaded_keys[2]), 3000),
    ]
    assert (
        wh.scalar(
            "SELECT count(*) FROM raw.group_events WHERE message_id LIKE 'hidden%' "
            "OR message_id LIKE 'other%'"
        )
        == 0
    )
    assert wh.query(
        "SELECT source_file, source_line FROM raw.group_event_rejects ORDER BY 1, 2"
    ) == [(uri(loaded_keys[0]), 26), (uri(loaded_keys[2]), 3001), (uri(loaded_keys[2]), 3002)]

    # a re-run skips every object by its ETag and size, without reading it
    again = wh.load(f"s3://{s3.bucket}/exports/")
    assert [(f.status, f.note) for f in again.files] == [
        ("skipped", f"already loaded (same ETag and size, batch {b})") for b in (1, 2, 3)
    ]

    # an object overwritten with more lines is read again: its new events load, nothing is stored twice
    s3.put(loaded_keys[0], plain + _ndjson("plain-more", 4))
    third = wh.load(f"s3://{s3.bucket}/exports")
    assert [
        (f.status, f.mode, f.read, f.loaded, f.rejected, f.duplicates) for f in third.files
    ] == [
        ("loaded", "changed", 30, 4, 0, 26),
        ("skipped", "skipped", 0, 0, 0, 0),
        ("skipped", "skipped", 0, 0, 0, 0),
    ]
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 3069
    assert wh.scalar("SELECT count(*) FROM raw.group_event_rejects") == 3

    # the same content under another key is read, found already loaded, and stores nothing
    s3.put("exports/copy/part-1-again.ndjson", plain)
    fourth = wh.load(f"s3://{s3.bucket}/exports")
    copy = [f for f in fourth.files if "copy" in f.path][0]
    assert (copy.status, copy.note) == ("skipped", "already loaded (same content as batch 1)")
    assert wh.scalar("SELECT count(*) FROM raw.load_ledger") == 4


def test_cli_single_object_missing_prefix_and_unreachable_endpoint(wh, s3):
    s3.put("one/a.ndjson", _ndjson("a", 10))
    run = _cli(wh, s3, "load", f"s3://{s3.bucket}/one/a.ndjson")
    assert run.returncode == 0, run.stderr
    assert f"loaded s3://{s3.bucket}/one/a.ndjson (new): read 10, loaded 10" in run.stderr
    run = _cli(wh, s3, "load", f"s3://{s3.bucket}/one/a.ndjson")
    assert run.returncode == 0 and "already loaded (same ETag and size" in run.stderr
    run = _cli(wh, s3, "load", f"s3://{s3.bucket}/nothing-here/")
    assert (
        run.returncode == 2
        and f"no such object or prefix: s3://{s3.bucket}/nothing-here/" in run.stderr
    )
    dead = f"http://127.0.0.1:{_free_port()}"
    run = _cli(
        wh, s3, "load", f"s3://{s3.bucket}/one/", env={"AWS_ENDPOINT_URL": dead, "COLUMNS": "1000"}
    )
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert (
        run.stderr.startswith(f"error: cannot list s3://{s3.bucket}/one/:")
        and run.stderr.count("\n") == 1
    )
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 10


def _lake_rows(s3, prefix: str) -> list[tuple]:
    import pyarrow.dataset as ds
    from pyarrow import fs as pafs

    fs = pafs.S3FileSystem(
        endpoint_override=s3.endpoint,
        region="us-east-1",
        access_key="testing",
        secret_key="testing",
    )
    table = ds.dataset(
        f"{s3.bucket}/{prefix}/group_events", filesystem=fs, format="parquet", partitioning="hive"
    ).to_table(columns=["message_id", "group_id", "batch_id", "received_date"])
    return sorted(
        zip(
            *(table.column(c).to_pylist() for c in ("message_id", "group_id", "batch_id")),
            strict=True,
        )
    )


def test_s3_lake_is_published_after_commit_and_reads_back_equal_to_the_table(wh, s3):
    a = wh.write(
        "a.ndjson",
        [
            group_call(
                group_id="acme", message_id=f"a{i}", receivedAt=f"2026-11-0{1 + i % 3}T10:00:00Z"
            )
            for i in range(30)
        ],
    )
    b = wh.write(
        "b.ndjson.gz", [group_call(group_id="init", message_id=f"b{i}") for i in range(12)], gz=True
    )
    lake = f"s3://{s3.bucket}/warehouse/lake"
    run = _cli(wh, s3, "load", str(a), str(b), "--lake", lake)
    assert run.returncode == 0, run.stderr
    keys = s3.keys("warehouse/lake/")
    listed = sorted(
        f"warehouse/lake/group_events/{f}"
        for (files,) in wh.query("SELECT lake_files FROM raw.load_ledger")
        for f in files
    )
    assert keys == listed and len(keys) == 4  # three received_date partitions of a, one of b
    assert {k.split("/")[3] for k in keys} >= {f"received_date=2026-11-0{d}" for d in (1, 2, 3)}
    table = sorted(wh.query("SELECT message_id, group_id, batch_id FROM raw.group_events"))
    assert _lake_rows(s3, "warehouse/lake") == table and len(table) == 42
    assert wh.query("SELECT DISTINCT lake_published FROM raw.load_ledger") == [(True,)]
    staging = wh.path.with_name(wh.path.name + ".lake-staging")
    assert not staging.exists() or not any(p.is_file() for p in staging.rglob("*"))


@pytest.mark.parametrize("fault", ["after_commit", "during_publish:1"])
def test_s3_lake_crash_between_commit_and_upload_is_finished_by_recover(wh, s3, fault):
    """Killed after the commit (none or one of the batch's objects uploaded): the rows are in the
    warehouse, the rest of the batch's files wait in the local staging, and the next load
    uploads them. A reader of the lake sees whole objects only, never a half-written one."""
    f = wh.write(
        "a.ndjson",
        [
            group_call(message_id=f"m{i}", receivedAt=f"2026-11-0{1 + i % 3}T10:00:00Z")
            for i in range(30)
        ],
    )
    lake = f"s3://{s3.bucket}/lake"
    killed = _cli(wh, s3, "load", str(f), "--lake", lake, env={"GROUPLAKE_FAULT": fault})
    assert killed.returncode != 0
    assert wh.scalar("SELECT count(*) FROM raw.group_events") == 30
    assert wh.query("SELECT lake_published FROM raw.load_ledger") == [(False,)]
    uploaded = s3.keys("lake/")
    assert len(uploaded) == (0 if fault == "after_commit" else 1)
    staging = wh.path.with_name(wh.path.name + ".lake-staging")
    assert len(list(staging.glob("batch_*/group_events/*/*.parquet"))) == 3 - len(uploaded)
    # the next load (here: nothing new) runs recover first
    rerun = _cli(wh, s3, "load", str(f), "--lake", lake)
    assert rerun.returncode == 0 and "already loaded" in rerun.stderr
    assert len(s3.keys("lake/")) == 3
    assert [r[0] for r in _lake_rows(s3, "lake")] == sorted(f"m{i}" for i in range(30))
    assert wh.query("SELECT lake_published FROM raw.load_ledger") == [(True,)]
    assert not any(p.is_file() for p in staging.rglob("*"))


def test_s3_inputs_into_an_s3_lake(wh, s3):
    s3.put("in/2026-11-30/a.json.gz", gzip.compress(_ndjson("x", 100, bad=3), mtime=0))
    run = _cli(wh, s3, "load", f"s3://{s3.bucket}/in/", "--lake", f"s3://{s3.bucket}/lake/")
    assert run.returncode == 0, run.stderr
    assert "read 103, loaded 100, rejected 3" in run.stderr
    assert len(_lake_rows(s3, "lake")) == 100
    status = _cli(wh, s3, "status", "--lake", f"s3://{s3.bucket}/lake/")
    assert status.returncode == 0 and "Traceback" not in status.stderr


def test_s3_lake_in_a_missing_bucket_fails_before_loading_anything(wh, s3):
    f = wh.write("a.ndjson", [group_call(message_id="m1")])
    run = _cli(
        wh, s3, "load", str(f), "--lake", "s3://no-such-bucket-here/lake", env={"COLUMNS": "1000"}
    )
    assert run.returncode == 6 and "Traceback" not in run.stderr  # an output that cannot be written
    assert (
        "cannot use the lake s3://no-such-bucket-here/lake: no bucket 'no-such-bucket-here'"
        in run.stderr
    )
    assert not wh.path.exists() or wh.scalar("SELECT count(*) FROM raw.load_ledger") == 0
