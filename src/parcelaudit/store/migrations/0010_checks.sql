-- Checks (issue 3): one row per check run, and its findings, decisions and per-line duty.
-- Later runs never overwrite earlier ones: an audit can show what was decided, under which policy, when.

CREATE SEQUENCE IF NOT EXISTS check_run_seq START 1;

CREATE TABLE check_runs (
    run_id         BIGINT PRIMARY KEY,
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP NOT NULL,
    date_from      DATE,                  -- NULL: from the first arrival
    date_to        DATE,                  -- NULL: to the last arrival
    policy_source  VARCHAR NOT NULL,      -- severity policy TOML used
    policy_sha256  VARCHAR NOT NULL,
    hts_source     VARCHAR NOT NULL,      -- tariff schedule used
    hts_complete   BOOLEAN NOT NULL,      -- false: bundled subset, unknown codes are unverified
    screening      BOOLEAN NOT NULL,      -- restricted-party screening ran
    shipments      BIGINT NOT NULL,
    findings       BIGINT NOT NULL,
    held           BIGINT NOT NULL,
    reviewed       BIGINT NOT NULL,
    released       BIGINT NOT NULL,
    rules_seconds  DOUBLE NOT NULL
);

CREATE TABLE check_findings (
    run_id      BIGINT NOT NULL,
    shipment_id VARCHAR NOT NULL,
    line_no     BIGINT,                   -- NULL: the finding is about the whole shipment
    rule_id     VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,
    variant     VARCHAR,
    message     VARCHAR NOT NULL,
    citation    VARCHAR NOT NULL,
    evidence    VARCHAR NOT NULL          -- JSON object
);

CREATE TABLE check_decisions (
    run_id       BIGINT NOT NULL,
    shipment_id  VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL,        -- release | review | hold
    reasons      VARCHAR NOT NULL,        -- ';'-separated rule ids, most severe first
    duty_owed    DOUBLE NOT NULL,         -- USD
    duty_at_risk DOUBLE NOT NULL          -- USD
);

CREATE TABLE check_duty_lines (
    run_id      BIGINT NOT NULL,
    shipment_id VARCHAR NOT NULL,
    line_no     BIGINT NOT NULL,
    hts         VARCHAR,
    origin      VARCHAR,
    rate        DOUBLE NOT NULL,          -- total ad valorem fraction
    duty        DOUBLE NOT NULL,          -- USD on the declared line value
    verified    BOOLEAN NOT NULL,
    components  VARCHAR NOT NULL          -- ';'-separated additional measure ids (rates, citations: additional_duties.csv)
);
