"""grouplake: land Segment-spec Group calls into a Parquet lake and DuckDB raw tables."""

__version__ = "0.1.0"
