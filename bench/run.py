"""Load and build throughput of grouplake beside DuckDB's own reader and dlt, with peak memory.

    python -m bench.run --events 1000000                        # the comparison table
    python -m bench.run --events 1000000 --sizes 250000,1000000,4000000   # plus the scaling table and plot
    python -m bench.run --events 5000 --smoke                   # CI: small, no dbt, dlt only if installed

One generated file (``bench.generate``, cached under ``--out-dir``) is measured with each tool
as its own process: wall time, events/s, MB/s (file bytes / wall time) and the peak resident
memory of the process tree (psutil polling of the process and its children, and the kernel's
``ru_maxrss`` of the child from ``wait4``; the larger is reported). The steps:

* ``grouplake load``: full semantics into a fresh warehouse + lake, then its counts are
  checked against the generator's manifest;
* ``duckdb read_json``: ``read_json(format='newline_delimited', ignore_errors=true)`` COPY'd
  to one Parquet file, no validation: the near-physical limit (not comparable work: one
  re-serialised JSON column, no field extraction);
* ``duckdb floor``: DuckDB extracting the fields the loader extracts and writing the same
  day-partitioned lake, with no validation, no dedup, no rejects: the comparable floor;
* ``dlt``: a resource yielding the orjson-parsed lines, append, duckdb destination;
* ``grouplake build --full-refresh`` on the loaded data, then ``grouplake load`` of 1% more
  events and an incremental ``grouplake build``; then the fixed cost: a ``grouplake build``
  with no new data (skipped: nothing changed since the complete build before it), the same
  with ``--force`` (dbt runs every model and test on zero new rows), beside ``dbt parse`` of
  the shipped project (dbt's own start-up, with the build's warm partial-parse state).

After each ``grouplake`` step the disk used by the warehouse file (+ WAL) and the lake is
recorded (``disk MiB``).

Results are printed as tables and saved as JSON next to the data (``results-<N>.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.generate import GENERATOR_VERSION, generate, read_manifest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "bench" / "out"
DEFAULT_PLOT = ROOT / "docs" / "benchmark_scaling.png"
PY = sys.executable


@dataclass
class Measurement:
    name: str
    cmd: list[str]
    seconds: float = 0.0
    peak_rss: int = 0  # bytes, max(psutil tree sum, ru_maxrss)
    tree_rss: int = 0  # bytes, psutil: sampled sum over the process tree
    maxrss: int = 0  # bytes, wait4 ru_maxrss (largest single process)
    exit_code: int | None = None
    events: int = 0  # lines of input this step processed
    bytes: int = 0  # bytes of input this step processed
    note: str = ""
    load_avg: float = 0.0  # 1-minute load average of the machine when the step started
    disk: int = 0  # bytes on disk after the step: warehouse file (+ WAL) and lake folder
    skipped: str = ""  # reason, when the step did not run
    log: str = ""

    @property
    def ok(self) -> bool:
        return not self.skipped and self.exit_code == 0

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.ok and self.seconds else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.ok and self.seconds else 0.0


def _tree_rss(proc) -> int:
    import psutil

    total = 0
    try:
        procs = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def measure(
    name: str,
    cmd: list[str],
    log_dir: Path,
    *,
    events: int = 0,
    nbytes: int = 0,
    env: dict | None = None,
    poll: float = 0.05,
) -> Measurement:
    """Run ``cmd`` as a child process; wall time and peak RSS of its process tree."""
    m = Measurement(name, cmd, events=events, bytes=nbytes, load_avg=round(os.getloadavg()[0], 2))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / (name.replace(" ", "_").replace("/", "_").replace("+", "plus") + ".log")
    m.log = str(log_path)
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is in the test and bench extras
        psutil = None
    with open(log_path, "wb") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **(env or {})}
        )
        ps = psutil.Process(proc.pid) if psutil else None
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if ps is not None:
                m.tree_rss = max(m.tree_rss, _tree_rss(ps))
            time.sleep(poll)
        m.seconds = time.perf_counter() - t0
        proc.returncode = m.exit_code = os.waitstatus_to_exitcode(status)
    m.maxrss = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    m.peak_rss = max(m.tree_rss, m.maxrss)
    return m


def disk_used(*paths: Path) -> int:
    """Bytes of the files under ``paths`` (files or folders; missing ones count 0)."""
    total = 0
    for p in paths:
        if p.is_file():
            total += p.stat().st_size
        elif p.is_dir():
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
    return total


def _tail(path: str, n: int = 25) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def ensure_file(
    out_dir: Path,
    events: int,
    seed: int,
    *,
    start: str | None = None,
    days: float | None = None,
    tag: str = "",
) -> tuple[Path, dict]:
    """The generated file for (events, seed), generated unless an identical one is cached."""
    path = out_dir / f"group-{events}-s{seed}{tag}.ndjson"
    manifest = read_manifest(path)
    want = {"generator_version": GENERATOR_VERSION, "seed": seed, "events": events}
    if start:
        want["start"] = start
    if not (path.exists() and manifest and all(manifest.get(k) == v for k, v in want.items())):
        t0 = time.perf_counter()
        kwargs = {}
        if start:
            kwargs["start"] = start
        if days:
            kwargs["days"] = days
        generate(path, events, seed, **kwargs)
        manifest = read_manifest(path)
        print(
            f"generated {path.name}: {events:,} lines, {manifest['bytes'] / 1e6:,.1f} MB "
            f"in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
    return path, manifest


def warehouse_counts(warehouse: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        read, loaded, rejected, dups, skipped = con.execute(
            "SELECT sum(read_count), sum(loaded_count), sum(rejected_count), sum(duplicate_count), "
            "sum(skipped_count) FROM raw.load_ledger WHERE status = 'loaded'"
        ).fetchone()
        reasons = dict(
            con.execute(
                "SELECT reason, count(*) FROM raw.group_event_rejects GROUP BY reason ORDER BY reason"
            ).fetchall()
        )
        events = con.execute("SELECT count(*) FROM raw.group_events").fetchone()[0]
    finally:
        con.close()
    return {
        "read": read,
        "loaded": loaded,
        "duplicates": dups,
        "rejected": rejected,
        "skipped": skipped,
        "rejects_by_reason": reasons,
        "rows": events,
    }


def check_counts(expected: dict, got: dict) -> list[str]:
    problems = []
    for k in ("read", "loaded", "duplicates", "rejected", "skipped"):
        if expected[k] != got[k]:
            problems.append(f"{k}: expected {expected[k]:,}, got {got[k]:,}")
    for reason in sorted(set(expected["rejects_by_reason"]) | set(got["rejects_by_reason"])):
        e, g = expected["rejects_by_reason"].get(reason, 0), got["rejects_by_reason"].get(reason, 0)
        if e != g:
            problems.append(f"rejects {reason}: expected {e}, got {g}")
    return problems


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def grouplake(*args: str) -> list[str]:
    return [PY, "-m", "grouplake.cli", *args]


# the dbt steps after the load, in order (skipped together)
BUILD_STEPS = (
    "grouplake build --full-refresh",
    "grouplake load +1%",
    "grouplake build (incremental +1%)",
    "grouplake build (no new data)",
    "grouplake build --force (no new data)",
    "dbt parse (start-up)",
)


def run_comparison(events: int, seed: int, out_dir: Path, *, smoke: bool, skip: set[str]) -> dict:
    path, manifest = ensure_file(out_dir, events, seed)
    nbytes = manifest["bytes"]
    work = out_dir / f"run-{events}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    logs = work / "logs"
    wh, lake = work / "warehouse.duckdb", work / "lake"
    results: list[Measurement] = []

    def step(m: Measurement) -> Measurement:
        results.append(m)
        if m.name.startswith("grouplake") and not m.skipped:
            m.disk = disk_used(wh, wh.with_name(wh.name + ".wal"), lake)
        status = (
            f"skipped ({m.skipped})"
            if m.skipped
            else f"{m.seconds:.1f}s, peak {m.peak_rss / 2**20:,.0f} MiB"
            + ("" if m.ok else f", FAILED (exit {m.exit_code}), log {m.log}")
        )
        print(f"  {m.name:<34} {status}", flush=True)
        if not m.skipped and not m.ok:
            print(_tail(m.log), file=sys.stderr)
        return m

    print(f"measuring on {path.name} ({events:,} lines, {nbytes / 1e6:,.1f} MB)", flush=True)
    load = step(
        measure(
            "grouplake load",
            grouplake("load", str(path), "--warehouse", str(wh), "--lake", str(lake)),
            logs,
            events=events,
            nbytes=nbytes,
        )
    )
    if load.ok:
        problems = check_counts(manifest["expected"], warehouse_counts(wh))
        load.note = (
            "counts match the generator manifest"
            if not problems
            else "MISMATCH: " + "; ".join(problems)
        )
        print(f"  {'':<34} {load.note}", flush=True)

    # the two DuckDB baselines: (skip key, step name, bench.baselines tool, output under work/)
    for key, name, tool, out in (
        ("duckdb", "duckdb read_json -> parquet", "duckdb", "duckdb.parquet"),
        ("floor", "duckdb floor (fields -> lake)", "floor", "floor-lake"),
    ):
        if key in skip:
            step(Measurement(name, [], skipped="--skip"))
            continue
        cmd = [PY, "-m", "bench.baselines", tool, str(path), str(work / out)]
        step(measure(name, cmd, logs, events=events, nbytes=nbytes))

    if "dlt" in skip:
        step(Measurement("dlt (duckdb destination)", [], skipped="--skip"))
    elif not (_have("dlt") and _have("orjson")):
        step(
            Measurement(
                "dlt (duckdb destination)",
                [],
                skipped="dlt not installed (pip install -e '.[bench]')",
            )
        )
    else:
        step(
            measure(
                "dlt (duckdb destination)",
                [PY, "-m", "bench.baselines", "dlt", str(path), str(work / "dlt")],
                logs,
                events=events,
                nbytes=nbytes,
                env={"RUNTIME__DLTHUB_TELEMETRY": "false"},
            )
        )

    if smoke or "build" in skip or not load.ok:
        why = "--smoke" if smoke else "--skip" if "build" in skip else "the load failed"
        for name in BUILD_STEPS:
            step(Measurement(name, [], skipped=why))
    else:
        step(
            measure(
                "grouplake build --full-refresh",
                grouplake("build", "--warehouse", str(wh), "--full-refresh"),
                logs,
                events=manifest["expected"]["loaded"],
            )
        )
        more = max(1, events // 100)
        inc_path, inc_manifest = ensure_file(
            out_dir, more, seed + 1, start=_day_after(manifest), days=1.0, tag="-inc"
        )
        step(
            measure(
                "grouplake load +1%",
                grouplake("load", str(inc_path), "--warehouse", str(wh), "--lake", str(lake)),
                logs,
                events=more,
                nbytes=inc_manifest["bytes"],
            )
        )
        step(
            measure(
                "grouplake build (incremental +1%)",
                grouplake("build", "--warehouse", str(wh)),
                logs,
                events=inc_manifest["expected"]["loaded"],
            )
        )
        # the fixed cost: a build with nothing new, beside dbt's own start-up (`dbt parse` of the
        # shipped project with the build's target folder, so its partial-parse state is warm)
        step(
            measure(
                "grouplake build (no new data)",
                grouplake("build", "--warehouse", str(wh)),
                logs,
            )
        )
        step(
            measure(
                "grouplake build --force (no new data)",
                grouplake("build", "--warehouse", str(wh), "--force"),
                logs,
            )
        )
        from grouplake.dbt_runner import dbt_command, dbt_env

        step(measure("dbt parse (start-up)", dbt_command("parse"), logs, env=dbt_env(wh)))

    for m in results:
        nodes = slowest_dbt_nodes(m.log) if m.name.startswith("grouplake build") and m.ok else []
        if nodes:  # none when the build was skipped (nothing to do)
            m.note = "slowest: " + ", ".join(f"{name} {sec:.1f}s" for name, sec in nodes)
            print(f"  {m.name}: {m.note}", flush=True)
    return {
        "events": events,
        "bytes": nbytes,
        "file": path.name,
        "manifest": manifest,
        "steps": [
            asdict(m) | {"ok": m.ok, "events_per_s": m.events_per_s, "mb_per_s": m.mb_per_s}
            for m in results
        ],
    }


_DBT_NODE = re.compile(
    r"\d+ of \d+ (?:OK created|PASS|WARN|FAIL|ERROR)\s+(?:sql \w+ model )?(\S+).*? in ([0-9.]+)s\]"
)


def slowest_dbt_nodes(log: str, n: int = 6) -> list[tuple[str, float]]:
    """The n slowest models/tests of a dbt build log (from dbt's '... [OK in 12.34s]' lines)."""
    try:
        text = re.sub(r"\x1b\[[0-9;]*m", "", Path(log).read_text(errors="replace"))
    except OSError:
        return []
    nodes = [(m.group(1), float(m.group(2))) for m in _DBT_NODE.finditer(text)]
    return sorted(nodes, key=lambda x: -x[1])[:n]


def _day_after(manifest: dict) -> str:
    import datetime as dt

    start = dt.date.fromisoformat(manifest["start"])
    return (start + dt.timedelta(days=int(manifest["days"]) + 1)).isoformat()


def run_scaling(sizes: list[int], seed: int, out_dir: Path) -> list[dict]:
    rows = []
    for n in sizes:
        path, manifest = ensure_file(out_dir, n, seed)
        work = out_dir / f"scale-{n}"
        shutil.rmtree(work, ignore_errors=True)
        logs = work / "logs"
        load = measure(
            "grouplake load",
            grouplake(
                "load",
                str(path),
                "--warehouse",
                str(work / "warehouse.duckdb"),
                "--lake",
                str(work / "lake"),
            ),
            logs,
            events=n,
            nbytes=manifest["bytes"],
        )
        raw = measure(
            "duckdb read_json -> parquet",
            [PY, "-m", "bench.baselines", "duckdb", str(path), str(work / "duckdb.parquet")],
            logs,
            events=n,
            nbytes=manifest["bytes"],
        )
        row = {
            "events": n,
            "bytes": manifest["bytes"],
            "load_seconds": load.seconds,
            "load_peak_rss": load.peak_rss,
            "load_ok": load.ok,
            "load_disk": disk_used(work / "warehouse.duckdb", work / "lake"),
            "duckdb_seconds": raw.seconds,
            "duckdb_peak_rss": raw.peak_rss,
            "duckdb_ok": raw.ok,
        }
        rows.append(row)
        print(
            f"  {n:>10,} lines: grouplake load {load.seconds:6.1f}s peak {load.peak_rss / 2**20:6,.0f} MiB"
            f"{'' if load.ok else ' FAILED'} | duckdb {raw.seconds:6.1f}s peak {raw.peak_rss / 2**20:6,.0f} MiB",
            flush=True,
        )
        shutil.rmtree(work, ignore_errors=True)
    return rows


def machine() -> dict:
    import duckdb

    info = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "platform": platform.platform(),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }
    try:
        import psutil

        info["ram_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover
        pass
    try:
        from importlib.metadata import version

        info["dlt"] = version("dlt")
        info["dbt_core"] = version("dbt-core")
    except Exception:  # noqa: BLE001 - informational only
        pass
    return info


def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}" if x else "-"


RATIO_BASES = (
    ("floor", "duckdb floor (fields -> lake)"),
    ("duckdb", "duckdb read_json -> parquet"),
    ("dlt", "dlt (duckdb destination)"),
)


def ratios(result: dict) -> dict:
    """Every ratio of the run: the load's events/s over each baseline's, and the builds' times."""
    steps = {s["name"]: s for s in result["steps"]}
    load = steps.get("grouplake load", {})
    out = {}
    for key, name in RATIO_BASES:
        base = steps.get(name, {})
        if load.get("ok") and base.get("ok") and base.get("events_per_s"):
            out[f"load_vs_{key}"] = load["events_per_s"] / base["events_per_s"]
    full, inc = (
        steps.get("grouplake build --full-refresh", {}),
        steps.get("grouplake build (incremental +1%)", {}),
    )
    if full.get("ok") and load.get("ok"):
        out["full_build_vs_load"] = full["seconds"] / load["seconds"]
    if full.get("ok") and inc.get("ok"):
        out["incremental_vs_full"] = inc["seconds"] / full["seconds"]
    idle, parse = (
        steps.get("grouplake build (no new data)", {}),
        steps.get("dbt parse (start-up)", {}),
    )
    if idle.get("ok") and parse.get("ok"):
        out["no_new_data_vs_dbt_parse"] = idle["seconds"] / parse["seconds"]
    forced = steps.get("grouplake build --force (no new data)", {})
    if forced.get("ok") and parse.get("ok"):
        out["forced_no_new_data_vs_dbt_parse"] = forced["seconds"] / parse["seconds"]
    return out


def format_ratios(r: dict) -> str:
    labels = {
        "load_vs_floor": ("load vs duckdb floor (events/s)", "target >= 75%", "%"),
        "load_vs_duckdb": ("load vs bare duckdb read_json (events/s)", "", "%"),
        "load_vs_dlt": ("load vs dlt (events/s)", "target >= 10x", "x"),
        "full_build_vs_load": ("build --full-refresh time / load time", "target <= 2x", "x"),
        "incremental_vs_full": ("incremental build (+1%) / full refresh", "target <= 15%", "%"),
        "no_new_data_vs_dbt_parse": (
            "build with no new data / dbt parse",
            "target: close to 1x",
            "x",
        ),
        "forced_no_new_data_vs_dbt_parse": (
            "build --force with no new data / dbt parse",
            "(dbt runs every node)",
            "x",
        ),
    }
    lines = []
    for key, (label, target, unit) in labels.items():
        if key in r:
            value = f"{r[key]:.0%}" if unit == "%" else f"{r[key]:.2f}x"
            lines.append(f"  {label:<44} {value:>7}  {target}")
    return "\n".join(lines)


def format_table(result: dict) -> str:
    steps = {s["name"]: s for s in result["steps"]}
    raw = steps.get("duckdb read_json -> parquet", {})
    floor = steps.get("duckdb floor (fields -> lake)", {})
    dlt = steps.get("dlt (duckdb destination)", {})
    full = steps.get("grouplake build --full-refresh", {})
    head = [
        "step",
        "wall s",
        "events/s",
        "MB/s",
        "peak RSS MiB",
        "disk MiB",
        "vs floor",
        "vs duckdb",
        "vs dlt",
        "load avg",
    ]
    rows = []
    for s in result["steps"]:
        if s["skipped"]:
            rows.append([s["name"], "skipped", s["skipped"], "", "", "", "", "", "", ""])
            continue
        if not s["ok"]:
            rows.append(
                [
                    s["name"],
                    f"{s['seconds']:.1f}",
                    f"FAILED (exit {s['exit_code']})",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            continue
        vs_floor = vs_duck = vs_dlt = ""
        if s["name"] in (
            "grouplake load",
            "dlt (duckdb destination)",
            "duckdb floor (fields -> lake)",
        ):
            if floor.get("ok") and s["events_per_s"] and s is not floor:
                vs_floor = f"{s['events_per_s'] / floor['events_per_s']:.0%}"
            if raw.get("ok") and s["events_per_s"]:
                vs_duck = f"{s['events_per_s'] / raw['events_per_s']:.0%}"
            if dlt.get("ok") and s["events_per_s"] and s["name"] == "grouplake load":
                vs_dlt = f"{s['events_per_s'] / dlt['events_per_s']:.1f}x"
        if s["name"] == "grouplake build (incremental +1%)" and full.get("ok"):
            vs_duck = f"{s['seconds'] / full['seconds']:.0%} of full"
        rows.append(
            [
                s["name"],
                f"{s['seconds']:.1f}",
                _fmt_rate(s["events_per_s"]),
                f"{s['mb_per_s']:.1f}" if s["mb_per_s"] and s["bytes"] else "-",
                f"{s['peak_rss'] / 2**20:,.0f}",
                f"{s['disk'] / 2**20:,.0f}" if s.get("disk") else "",
                vs_floor,
                vs_duck,
                vs_dlt,
                f"{s['load_avg']:.1f}",
            ]
        )
    return _markdown(head, rows)


def format_scaling(rows: list[dict]) -> str:
    head = [
        "events",
        "MB",
        "grouplake load s",
        "events/s",
        "peak RSS MiB",
        "disk MiB",
        "duckdb s",
        "duckdb peak RSS MiB",
    ]
    body = [
        [
            f"{r['events']:,}",
            f"{r['bytes'] / 1e6:,.0f}",
            f"{r['load_seconds']:.1f}" + ("" if r["load_ok"] else " FAILED"),
            _fmt_rate(r["events"] / r["load_seconds"] if r["load_ok"] else 0),
            f"{r['load_peak_rss'] / 2**20:,.0f}",
            f"{r.get('load_disk', 0) / 2**20:,.0f}",
            f"{r['duckdb_seconds']:.1f}",
            f"{r['duckdb_peak_rss'] / 2**20:,.0f}",
        ]
        for r in rows
    ]
    return _markdown(head, body)


def _markdown(head: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]

    def line(cells):
        return (
            "| "
            + " | ".join(
                str(c).ljust(w) if i == 0 else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
            + " |"
        )

    sep = (
        "|"
        + "|".join(
            ("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(head), sep] + [line(r) for r in rows])


def plot_scaling(rows: list[dict], out: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    xs = [r["events"] / 1e6 for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    a.plot(xs, [r["load_seconds"] for r in rows], "o-", label="grouplake load")
    a.plot(xs, [r["duckdb_seconds"] for r in rows], "s--", label="duckdb read_json -> parquet")
    a.set_xlabel("events (millions)")
    a.set_ylabel("wall time (s)")
    a.set_title("time")
    a.legend()
    a.grid(alpha=0.3)
    b.plot(xs, [r["load_peak_rss"] / 2**20 for r in rows], "o-", label="grouplake load")
    b.plot(
        xs, [r["duckdb_peak_rss"] / 2**20 for r in rows], "s--", label="duckdb read_json -> parquet"
    )
    b.axhline(1024, color="grey", lw=0.8, ls=":", label="1 GiB")
    b.set_xlabel("events (millions)")
    b.set_ylabel("peak RSS of the process tree (MiB)")
    b.set_title("peak memory")
    b.set_ylim(bottom=0)
    b.legend()
    b.grid(alpha=0.3)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000, help="lines in the compared file")
    ap.add_argument(
        "--smoke",
        action="store_true",
        help="CI mode: skip the dbt steps (and dlt when not installed)",
    )
    ap.add_argument(
        "--sizes",
        default="",
        help="comma-separated sizes for the scaling table, e.g. 250000,1000000,4000000",
    )
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument(
        "--out-dir", type=Path, default=DEFAULT_OUT, help="generated data, work folders, results"
    )
    ap.add_argument(
        "--skip", default="", help="comma-separated steps to skip: duckdb, floor, dlt, build"
    )
    ap.add_argument(
        "--plot",
        type=Path,
        default=None,
        help=f"PNG of the scaling run [default with --sizes: {DEFAULT_PLOT.relative_to(ROOT)}]",
    )
    a = ap.parse_args(argv)
    skip = {s.strip() for s in a.skip.split(",") if s.strip()}
    out_dir = a.out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)

    info = machine()
    print("machine: " + ", ".join(f"{k} {v}" for k, v in info.items()), flush=True)
    result = run_comparison(a.events, a.seed, out_dir, smoke=a.smoke, skip=skip)
    result["machine"] = info
    result["command"] = "python -m bench.run " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    print()
    print(f"{a.events:,} events, {result['bytes'] / 1e6:,.1f} MB ({result['file']})")
    print(format_table(result))
    result["ratios"] = ratios(result)
    print("\nratios (from this run):\n" + format_ratios(result["ratios"]))
    ok = all(s["ok"] or s["skipped"] for s in result["steps"])
    load = next(s for s in result["steps"] if s["name"] == "grouplake load")
    if load["note"].startswith("MISMATCH"):
        ok = False

    if a.sizes:
        sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
        print(
            f"\nscaling: grouplake load and duckdb at {', '.join(f'{n:,}' for n in sizes)} events",
            flush=True,
        )
        result["scaling"] = run_scaling(sizes, a.seed, out_dir)
        print(format_scaling(result["scaling"]))
        plot = a.plot or DEFAULT_PLOT
        if plot_scaling(result["scaling"], plot):
            print(f"plot: {plot}")
        ok = ok and all(r["load_ok"] for r in result["scaling"])
    result["machine"]["load_avg_after"] = [round(x, 2) for x in os.getloadavg()]
    results_path = out_dir / f"results-{a.events}{'-smoke' if a.smoke else ''}.json"
    results_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(f"results: {results_path}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
