"""The machine-readable load report (`grouplake load --json`, `grouplake run --json`).

One JSON object, stable keys (docs/scheduling.md documents them):

    {"exit_code": 0, "ok": true, "error": null, "seconds": 1.2,
     "totals": {"files": 3, "files_loaded": 2, "files_skipped": 1, "files_failed": 0, "bytes": ...,
                "read": ..., "loaded": ..., "rejected": ..., "duplicates": ...,
                "duplicates_differing": ..., "skipped": ..., "suppressed": ...},
     "skipped_by_type": {"track": 40000, ...}, "rejects_by_reason": {"invalid_json": 3, ...},
     "files": [{"path": ..., "status": "loaded", "batch_id": 7, "read": ..., ...}, ...]}

Counts always satisfy read = loaded + rejected + duplicates + skipped + suppressed (suppressed:
lines of suppressed identities, loader/ingest_rules.py; 0 unless identities are suppressed).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from grouplake.load import LoadReport

TOTALS = (
    "read",
    "loaded",
    "rejected",
    "duplicates",
    "duplicates_differing",
    "skipped",
    "suppressed",
)


def load_report_dict(
    report: LoadReport | None, *, exit_code: int, error: str | None = None
) -> dict[str, Any]:
    """The report as plain JSON-ready data; ``report`` is None when the load did not start
    (an input path that does not exist, a busy warehouse): then ``error`` says why."""
    report = report or LoadReport()
    totals: dict[str, Any] = {
        "files": len(report.files),
        "files_loaded": report.loaded_files,
        "files_skipped": report.skipped_files,
        "files_failed": report.failed_files,
        "bytes": report.bytes,
    }
    totals.update({name: getattr(report, name) for name in TOTALS})
    return {
        "exit_code": exit_code,
        "ok": exit_code == 0,
        "error": error,
        "seconds": round(report.seconds, 3),
        "totals": totals,
        "skipped_by_type": dict(sorted(report.skipped_by_type.items())),
        "rejects_by_reason": dict(sorted(report.rejects_by_reason.items())),
        "files": [{**asdict(f), "seconds": round(f.seconds, 3)} for f in report.files],
    }
