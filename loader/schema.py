"""DDL of the raw layer: the contract between the loader and the dbt project.

Every table lives in schema ``raw`` of the DuckDB warehouse. The same columns
(plus the ``received_date`` partition column) are written to the Parquet lake
under ``<lake>/group_events/received_date=YYYY-MM-DD/``.
"""

RAW_SCHEMA = "raw"

GROUP_EVENTS_COLUMNS = """
    message_id          VARCHAR NOT NULL,   -- messageId, or a hash of the line when missing
    message_id_derived  BOOLEAN NOT NULL,   -- true when message_id was derived from the line bytes
    event_type          VARCHAR NOT NULL,   -- the original `type` value (any case of "group")
    group_id            VARCHAR NOT NULL,   -- groupId, numbers converted to their decimal string
    user_id             VARCHAR,
    anonymous_id        VARCHAR,
    event_at            TIMESTAMPTZ NOT NULL,  -- SPEC §1 event time
    event_at_source     VARCHAR NOT NULL,   -- timestamp | skew_corrected | original_timestamp | received_at | sent_at | loaded_at
    "timestamp"         TIMESTAMPTZ,
    original_timestamp  TIMESTAMPTZ,
    sent_at             TIMESTAMPTZ,
    received_at         TIMESTAMPTZ,
    loaded_at           TIMESTAMPTZ NOT NULL,
    batch_id            BIGINT NOT NULL,    -- increases with every load: the load order
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL,    -- 1-based line number in the source file
    -- The JSON columns hold most of the bytes. DuckDB's automatic choice for strings (dictionary /
    -- FSST per segment) took longer to write than zstd and stored them 2x larger (1M events: 114
    -- vs 48 MiB for traits + context), so these four are zstd; the rest stays automatic.
    traits              JSON NOT NULL USING COMPRESSION zstd,  -- the traits object as sent ({} when missing or null)
    context             JSON USING COMPRESSION zstd,
    integrations        JSON USING COMPRESSION zstd,
    extra               JSON USING COMPRESSION zstd            -- every other top-level field, so the call can be rebuilt
"""

DDL = f"""
CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA};

CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.group_events (
{GROUP_EVENTS_COLUMNS}
);

CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.group_event_rejects (
    batch_id            BIGINT NOT NULL,
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL,
    reason              VARCHAR NOT NULL,   -- stable reason code, see loader/validate.py
    message             VARCHAR NOT NULL,   -- human explanation
    message_id          VARCHAR,            -- messageId when one could be read from the line
    raw_line            VARCHAR,            -- the line as text (invalid UTF-8 shown with \\x escapes)
    raw_line_base64     VARCHAR,            -- the exact bytes, set when the line is not valid UTF-8 or has NUL bytes
    rejected_at         TIMESTAMPTZ NOT NULL,
    resolved_at         TIMESTAMPTZ,        -- set when a fixed version of the line was loaded later
    resolved_by_batch_id BIGINT
);

CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.load_ledger (
    batch_id            BIGINT NOT NULL,
    file_path           VARCHAR NOT NULL,
    file_size           BIGINT,             -- bytes of the input read up to the end of this batch
    content_hash        VARCHAR,            -- sha256 of the input's first file_size bytes (compressed bytes for .gz)
    started_at          TIMESTAMPTZ NOT NULL,
    finished_at         TIMESTAMPTZ,
    read_count          BIGINT NOT NULL DEFAULT 0,
    loaded_count        BIGINT NOT NULL DEFAULT 0,
    rejected_count      BIGINT NOT NULL DEFAULT 0,
    duplicate_count     BIGINT NOT NULL DEFAULT 0,
    status              VARCHAR NOT NULL,   -- loaded | failed
    error               VARCHAR,
    lake_files          VARCHAR[],          -- Parquet files of this batch, relative to the lake root
    lake_published      BOOLEAN NOT NULL DEFAULT false,
    source_kind         VARCHAR,            -- file | stream (stdin, FIFO, <(...)) | object (s3://, gs://)
    load_mode           VARCHAR,            -- new | appended (only the bytes after resume) | changed (all again)
    start_offset        BIGINT,             -- byte where this batch started reading the input
    first_line          BIGINT,             -- the line number of that byte
    resume_offset       BIGINT,             -- after the last newline: where a load of the grown file continues
    resume_line         BIGINT,             -- the line number there
    etag                VARCHAR             -- object storage: ETag of the object version read
);

-- ledger columns added after the first release (a warehouse created before them gains them)
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS source_kind VARCHAR;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS load_mode VARCHAR;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS start_offset BIGINT;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS first_line BIGINT;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS resume_offset BIGINT;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS resume_line BIGINT;
ALTER TABLE {RAW_SCHEMA}.load_ledger ADD COLUMN IF NOT EXISTS etag VARCHAR;
"""
