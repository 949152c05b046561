"""DDL of the raw layer: the contract between the loader and the dbt project.

Every table lives in schema ``raw`` of the DuckDB warehouse. The same columns
(plus the ``received_date`` partition column) are written to the Parquet lake
under ``<lake>/group_events/received_date=YYYY-MM-DD/``.
"""

from grouplake.tables import (
    BUILD_LOG,
    DELETION_LOG,
    GROUP_EVENT_DUPLICATES,
    GROUP_EVENT_REJECTS,
    GROUP_EVENTS,
    LOAD_LEDGER,
    PRIVACY_SALT,
    RAW_SCHEMA,
    SUPPRESSED_IDENTITIES,
)

# Privacy (loader/privacy.py, loader/ingest_rules.py): forget requests, the suppression list, the
# salt's fingerprint, and the ledger's counts of suppressed lines and of rows forgotten later.
PRIVACY_DDL = f"""
CREATE TABLE IF NOT EXISTS {DELETION_LOG} (
    deletion_id          BIGINT NOT NULL,
    requested_at         TIMESTAMPTZ NOT NULL,
    identities           VARCHAR[] NOT NULL,   -- '<kind>:<sha256(salt || id)>' per id; never the id
    events_removed       BIGINT NOT NULL,
    rejects_removed      BIGINT NOT NULL,
    duplicates_removed   BIGINT NOT NULL,
    lake_files_rewritten VARCHAR[] NOT NULL,   -- replaced by a copy without the rows (same name)
    lake_files_removed   VARCHAR[] NOT NULL,   -- held only forgotten rows
    lake_swapped         BOOLEAN NOT NULL DEFAULT false,
    suppressed           BOOLEAN NOT NULL DEFAULT false,  -- the ids were also added to the suppression list
    marts_rebuilt_at     TIMESTAMPTZ           -- the full-refresh `grouplake build` that removed them from the marts
);

CREATE TABLE IF NOT EXISTS {SUPPRESSED_IDENTITIES} (
    kind                 VARCHAR NOT NULL,     -- user | anonymous | group
    id_sha256            VARCHAR NOT NULL,     -- sha256(salt || id); never the id
    added_at             TIMESTAMPTZ NOT NULL,
    deletion_id          BIGINT                -- the forget request that added it, if any
);

CREATE TABLE IF NOT EXISTS {PRIVACY_SALT} (
    fingerprint          VARCHAR NOT NULL      -- of the salt the hashes were made with (loader/salt.py)
);

ALTER TABLE {LOAD_LEDGER} ADD COLUMN IF NOT EXISTS suppressed_count BIGINT DEFAULT 0;
ALTER TABLE {LOAD_LEDGER} ADD COLUMN IF NOT EXISTS forgotten_count BIGINT DEFAULT 0;
ALTER TABLE {LOAD_LEDGER} ADD COLUMN IF NOT EXISTS forgotten_reject_count BIGINT DEFAULT 0;
ALTER TABLE {LOAD_LEDGER} ADD COLUMN IF NOT EXISTS forgotten_duplicate_count BIGINT DEFAULT 0;
"""

GROUP_EVENTS_COLUMNS = """
    message_id          VARCHAR NOT NULL,   -- messageId, or a hash of the line when missing
    message_id_derived  BOOLEAN NOT NULL,   -- true when message_id was derived from the line bytes
    event_type          VARCHAR NOT NULL,   -- the original `type` value (any case of "group", or "track")
    group_id            VARCHAR NOT NULL,   -- groupId (track: context.groupId / properties.groupId / properties.objectId), numbers as decimal strings
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
    extra               JSON USING COMPRESSION zstd,           -- every other top-level field, so the call can be rebuilt
    event_name          VARCHAR             -- NULL for group calls; the track `event` (Relationship Deleted / Object Deleted)
"""

# Columns added after the first release (also in the CREATE statements above). A warehouse
# created before has the tables without them: each is added with ADD COLUMN IF NOT EXISTS (a
# no-op on a newer warehouse), so old and new warehouses end up with the same columns. Readers of the lake must read files written before a
# column existed with read_parquet(..., union_by_name = true) (the missing column reads as NULL).
ADDED_COLUMNS = [
    ("group_events", "event_name", "VARCHAR"),
    ("group_event_rejects", "exported_to", "VARCHAR"),
    ("group_event_rejects", "exported_line", "BIGINT"),
    ("load_ledger", "skipped_count", "BIGINT DEFAULT 0"),
    ("load_ledger", "skipped_by_type", "JSON"),
    ("load_ledger", "source_kind", "VARCHAR"),
    ("load_ledger", "load_mode", "VARCHAR"),
    ("load_ledger", "start_offset", "BIGINT"),
    ("load_ledger", "first_line", "BIGINT"),
    ("load_ledger", "resume_offset", "BIGINT"),
    ("load_ledger", "resume_line", "BIGINT"),
    ("load_ledger", "etag", "VARCHAR"),
    ("load_ledger", "duplicate_reject_count", "BIGINT DEFAULT 0"),
]

# `grouplake build` (loader/build_state.py): one row per build, so that a build with nothing to do
# is skipped. The fingerprint is that of the warehouse a complete, successful build left.
BUILD_LOG_DDL = f"""
CREATE TABLE IF NOT EXISTS {BUILD_LOG} (
    build_id             BIGINT NOT NULL,
    started_at           TIMESTAMPTZ NOT NULL,
    finished_at          TIMESTAMPTZ,          -- NULL: running, or interrupted
    dbt_args             VARCHAR[] NOT NULL,   -- the arguments dbt was given
    exit_code            INTEGER,              -- dbt's
    complete             BOOLEAN NOT NULL,     -- the whole project built and tested, successfully
    fingerprint          VARCHAR               -- of the warehouse it left, when complete
);
"""

DDL = (
    f"""
CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA};

CREATE TABLE IF NOT EXISTS {GROUP_EVENTS} (
{GROUP_EVENTS_COLUMNS}
);

CREATE TABLE IF NOT EXISTS {GROUP_EVENT_REJECTS} (
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
    resolved_by_batch_id BIGINT,
    exported_to         VARCHAR,            -- the file `grouplake rejects --export` last wrote this line to
    exported_line       BIGINT              -- and its line number there (how a fix without messageId is matched)
);

-- One row per duplicate line (an accepted line whose messageId was already loaded): where it was,
-- where the kept event is, and whether the content differs (loader/duplicates.py says how).
CREATE TABLE IF NOT EXISTS {GROUP_EVENT_DUPLICATES} (
    message_id          VARCHAR NOT NULL,
    batch_id            BIGINT NOT NULL,    -- the batch that read the duplicate line
    source_file         VARCHAR NOT NULL,
    source_line         BIGINT NOT NULL,
    kept_batch_id       BIGINT NOT NULL,    -- where the event that was kept (raw.group_events) came from
    kept_source_file    VARCHAR NOT NULL,
    kept_source_line    BIGINT NOT NULL,
    content_differs     BOOLEAN NOT NULL,   -- true: the duplicate carried other content than the kept event
    raw_line            VARCHAR,            -- the duplicate line as sent, only when its content differs
    detected_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS {LOAD_LEDGER} (
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
    skipped_count       BIGINT DEFAULT 0,   -- lines of other call types (identify, page, ...), counted, not stored
    skipped_by_type     JSON,               -- those lines by call type (lower case): {{"track": 40000, "identify": 900}}
    source_kind         VARCHAR,            -- file | stream (stdin, FIFO, <(...)) | object (s3://, gs://)
    load_mode           VARCHAR,            -- new | appended (only the bytes after resume) | changed (all again)
    start_offset        BIGINT,             -- byte where this batch started reading the input
    first_line          BIGINT,             -- the line number of that byte
    resume_offset       BIGINT,             -- after the last newline: where a load of the grown file continues
    resume_line         BIGINT,             -- the line number there
    etag                VARCHAR,            -- object storage: ETag of the object version read
    duplicate_reject_count BIGINT DEFAULT 0 -- of duplicate_count: lines of a grown/changed input whose reject an
                                            -- earlier batch of it stored (same line, same bytes; not stored again)
);
"""
    + "".join(
        f"\nALTER TABLE {RAW_SCHEMA}.{table} ADD COLUMN IF NOT EXISTS {column} {sql_type};"
        for table, column, sql_type in ADDED_COLUMNS
    )
    + "\n"
    + PRIVACY_DDL
    + BUILD_LOG_DDL
)
