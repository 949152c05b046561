"""grouplake: land Segment-spec Group calls into a Parquet lake and DuckDB raw tables, and build
the dbt marts over them.

The library API (the CLI is a thin layer over it)::

    import grouplake
    report = grouplake.load_paths(["exports/"], warehouse="data/warehouse.duckdb", lake="data/lake")
    exit_code = grouplake.build("data/warehouse.duckdb", ["--select", "groups+"])
    exit_code = grouplake.build(engine="spark", lake="data/lake")   # the marts on Apache Spark
    result = grouplake.run(["exports/"])          # load, then build when every file loaded
    grouplake.forget([grouplake.Identity("user", "u-42")])           # docs/guarantees.md §8
    grouplake.suppress([grouplake.Identity("user", "u-42")])         # later loads drop u-42's lines
"""

__version__ = "0.1.0"

from grouplake.dbt_runner import build
from grouplake.errors import (
    ConfigError,
    GrouplakeError,
    InputNotFound,
    LakeNotFound,
    OutputNotWritable,
    UsageError,
    WarehouseBusy,
    WarehouseNotFound,
    WarehouseUnusable,
)
from grouplake.ledger import FileStatus, LoadMode
from grouplake.load import FileResult, LoadReport, load_paths
from grouplake.pipeline import RunResult, run
from grouplake.privacy import ForgetReport, Identity, forget, suppress
from grouplake.validate import RejectReason

__all__ = [
    "__version__",
    "load_paths",
    "build",
    "run",
    "forget",
    "suppress",
    "LoadReport",
    "FileResult",
    "FileStatus",
    "LoadMode",
    "RejectReason",
    "RunResult",
    "Identity",
    "ForgetReport",
    "GrouplakeError",
    "InputNotFound",
    "WarehouseBusy",
    "WarehouseNotFound",
    "WarehouseUnusable",
    "OutputNotWritable",
    "LakeNotFound",
    "UsageError",
    "ConfigError",
]
