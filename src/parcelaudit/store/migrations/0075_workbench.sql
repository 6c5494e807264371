-- Review workbench (issue 15): users and API keys, queue items materialised from check runs, analysts'
-- dispositions on screening hits, and the hash-chained log of every decision with its signed checkpoints.
-- wb_items change as they are decided; wb_log and wb_checkpoints are only ever appended to.

CREATE TABLE wb_users (
    user_id       BIGINT PRIMARY KEY,
    name          VARCHAR NOT NULL UNIQUE,
    role          VARCHAR NOT NULL,         -- viewer | analyst | supervisor | admin
    password_hash VARCHAR,                  -- argon2id; NULL: API key only, no browser login
    created_at    TIMESTAMP NOT NULL,
    disabled      BOOLEAN NOT NULL
);

CREATE TABLE wb_api_keys (
    key_id     VARCHAR PRIMARY KEY,         -- the public part of the key (pa_<key_id>_<secret>)
    user_id    BIGINT NOT NULL,
    key_sha256 VARCHAR NOT NULL,            -- SHA-256 of the secret part; the key itself is never stored
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE wb_settings (
    name  VARCHAR PRIMARY KEY,              -- session_secret ...
    value VARCHAR NOT NULL
);

CREATE TABLE wb_loaded_runs (
    run_id    BIGINT PRIMARY KEY,           -- a check run whose holds, reviews, hits and traces became items
    loaded_at TIMESTAMP NOT NULL,
    items     BIGINT NOT NULL
);

CREATE TABLE wb_items (
    item_id        BIGINT PRIMARY KEY,
    item_key       VARCHAR NOT NULL UNIQUE, -- kind and subject (and the list entry's hash for hits)
    run_id         BIGINT NOT NULL,
    kind           VARCHAR NOT NULL,        -- hold | review | hit | trace
    shipment_id    VARCHAR NOT NULL,        -- for a hit: the first parcel carrying the name
    reasons        VARCHAR NOT NULL,        -- ';'-separated rule ids, most severe first
    status         VARCHAR NOT NULL,        -- open | escalated | pending_approval | decided
    created_at     TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL,      -- created_at + the SLA of the workbench policy
    assignee       VARCHAR,
    outcome        VARCHAR,                 -- the action that decided it (release, hold, false_positive ...)
    decided_by     VARCHAR,
    decided_at     TIMESTAMP,
    pending_action VARCHAR,                 -- a four-eyes action waiting for a second person
    pending_by     VARCHAR,
    pending_reason VARCHAR,
    approved_by    VARCHAR,
    party_name     VARCHAR,                 -- hits: the screened name, its country and the listed entry
    party_country  VARCHAR,
    list_code      VARCHAR,
    entry_id       VARCHAR,
    matched_name   VARCHAR,
    score          DOUBLE,
    explanation    VARCHAR,
    entry_sha256   VARCHAR,
    shipments      BIGINT                   -- hits: parcels carrying the name in the run
);

CREATE TABLE wb_dispositions (
    name       VARCHAR NOT NULL,            -- the screened name
    list       VARCHAR NOT NULL,
    entry_id   VARCHAR NOT NULL,
    entry_hash VARCHAR NOT NULL,            -- the entry's content hash when decided: a change re-alerts
    verdict    VARCHAR NOT NULL,            -- true_match | false_positive | unsure
    reason     VARCHAR NOT NULL,
    who        VARCHAR NOT NULL,
    decided_at TIMESTAMP NOT NULL,
    item_id    BIGINT
);

CREATE TABLE wb_log (
    seq         BIGINT PRIMARY KEY,         -- 1, 2, 3 ... without gaps
    recorded_at TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    role        VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    subject     VARCHAR NOT NULL,           -- item:N, audit:ID#step, user:NAME ...
    payload     VARCHAR NOT NULL,           -- canonical JSON (sorted keys, no spaces) of the whole entry
    prev_hash   VARCHAR NOT NULL,           -- entry_hash of seq - 1 (64 zeros for the first)
    entry_hash  VARCHAR NOT NULL            -- SHA-256 of prev_hash || newline || payload
);

CREATE TABLE wb_checkpoints (
    seq        BIGINT PRIMARY KEY,          -- the log entry the checkpoint seals (and every one before it)
    entry_hash VARCHAR NOT NULL,
    signed_at  TIMESTAMP NOT NULL,
    key_id     VARCHAR NOT NULL,            -- first 16 hex digits of SHA-256 of the signing key
    signature  VARCHAR NOT NULL             -- HMAC-SHA256(key, "seq:entry_hash:signed_at")
);
