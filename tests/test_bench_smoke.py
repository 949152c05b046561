"""Smoke test of the benchmark: the generator's determinism and mix, and `bench.run --smoke`.

The real benchmark (`make bench`, docs/benchmarks.md) is far too long for CI; this runs the
same code on ~5k events in well under a minute.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `bench` is a folder of the repo, not an installed package
    sys.path.insert(0, str(ROOT))

from bench.generate import BAD_KINDS, generate, read_manifest  # noqa: E402


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _recount(path: Path) -> dict:
    """Count the mix by reading the file back, independently of the generator's bookkeeping."""
    bad = dups = valid = skipped = 0
    seen: set[str] = set()
    kinds: Counter[str] = Counter()
    for raw in path.read_bytes().split(b"\n")[:-1]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            kinds["invalid_utf8"] += 1
            continue
        if not text.strip():
            bad += 1
            kinds["empty_line"] += 1
            continue
        try:
            obj = json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError:
            bad += 1
            kinds["invalid_json"] += 1
            continue
        if not isinstance(obj, dict):
            bad += 1
            kinds["not_an_object"] += 1
            continue
        if (
            isinstance(obj.get("type"), str)
            and obj["type"].strip().lower() != "group"
            and obj["type"].strip()
        ):
            skipped += 1  # another call type: skipped and counted by the loader
            continue
        if str(obj.get("type", "")).lower() != "group":
            bad += 1
            kinds["wrong_type"] += 1
            continue
        if len(raw) > 1 << 20:
            bad += 1
            kinds["too_large"] += 1
            continue
        mid = obj.get("messageId")
        gid = obj.get("groupId")
        ok_id = lambda v: v is None or isinstance(v, (str, int, float)) and not isinstance(v, bool)  # noqa: E731
        if (
            gid is None
            or not ok_id(gid)
            or (isinstance(gid, str) and not gid.strip())
            or not ok_id(obj.get("userId"))
            or not ok_id(obj.get("anonymousId"))
            or not ok_id(mid)
            or not (obj.get("traits") is None or isinstance(obj.get("traits"), dict))
            or obj.get("timestamp") in ("", "yesterday-ish", "not a date", "2026-13-45T25:61:00Z")
        ):
            bad += 1
            continue
        if isinstance(mid, str):
            if mid in seen:
                dups += 1
                continue
            seen.add(mid)
        valid += 1
    return {"bad": bad, "dups": dups, "valid": valid, "skipped": skipped, "kinds": kinds}


def test_generator_is_deterministic_and_has_the_advertised_mix(tmp_path):
    a = generate(tmp_path / "a.ndjson", 5000, seed=7, jobs=1)
    b = generate(tmp_path / "b.ndjson", 5000, seed=7, jobs=2)  # same bytes whatever the workers
    generate(tmp_path / "c.ndjson", 5000, seed=8, jobs=1)
    assert _sha(tmp_path / "a.ndjson") == _sha(tmp_path / "b.ndjson")
    assert _sha(tmp_path / "a.ndjson") != _sha(tmp_path / "c.ndjson")
    assert a.expected() == b.expected()

    assert a.lines == 5000 == a.valid + a.duplicates + a.rejected + a.skipped
    assert a.skipped > 0 and set(a.skipped_by_type) <= {"identify", "track", "page"}
    assert 0.006 <= a.duplicates / a.lines <= 0.015  # ~1% duplicate messageIds
    assert 0.002 <= a.rejected / a.lines <= 0.010  # ~0.5% bad lines
    assert a.late_events > 0 and a.derived_message_ids > 0

    again = _recount(tmp_path / "a.ndjson")
    assert again["dups"] == a.duplicates
    assert again["bad"] == a.rejected
    assert again["valid"] == a.valid
    assert again["skipped"] == a.skipped
    manifest = read_manifest(tmp_path / "a.ndjson")
    assert manifest["expected"]["read"] == 5000 and manifest["seed"] == 7

    # every reject kind shows up in a somewhat larger file, including a >1 MiB line
    big = generate(tmp_path / "big.ndjson.gz", 30_000, seed=7)
    assert set(big.rejects_by_reason) == set(BAD_KINDS) | {"too_large"}
    assert (tmp_path / "big.ndjson.gz").read_bytes()[:2] == b"\x1f\x8b"


def test_generated_features(tmp_path):
    generate(tmp_path / "f.ndjson", 20_000, seed=3)
    text = (tmp_path / "f.ndjson").read_bytes().decode("utf-8", errors="replace")
    for needle in (
        '"total billed"',
        '"createdAt"',
        '"created_at"',
        '"address":{',
        '"address":null',
        ":null",
        '"type":"Group"',
        '"originalTimestamp"',
        '"type":"identify"',
        '"type":"track"',
        '"groupId":1',
    ):
        assert needle in text, needle


def test_bench_run_smoke(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--events",
            "5000",
            "--smoke",
            "--out-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "| grouplake load " in out and "| duckdb read_json -> parquet " in out
    assert "| duckdb floor (fields -> lake) " in out and "load vs duckdb floor" in out
    assert "counts match the generator manifest" in out
    assert "events/s" in out and "peak RSS MiB" in out
    results = json.loads((tmp_path / "results-5000-smoke.json").read_text())
    load = next(s for s in results["steps"] if s["name"] == "grouplake load")
    assert load["ok"] and load["peak_rss"] > 0 and load["seconds"] > 0
    floor = next(s for s in results["steps"] if s["name"] == "duckdb floor (fields -> lake)")
    assert floor["ok"], floor
    assert results["ratios"]["load_vs_floor"] == load["events_per_s"] / floor["events_per_s"]
    # the floor wrote the same day partitions as the load
    lake_days = {p.name for p in (tmp_path / "run-5000" / "lake" / "group_events").iterdir()}
    floor_days = {p.name for p in (tmp_path / "run-5000" / "floor-lake").iterdir()}
    assert lake_days and floor_days == lake_days
