-- Audit integrity (issue 17): versions of an audit (a new version is opened with a reason; the old one
-- and its results stay readable), discarding recorded instead of deleting, the SHA-256 of every step's
-- input files and outputs, and each result's test outcome (correct | error | not_tested, with a reason).
-- Existing audits become version 1 of themselves; existing results keep their in_error flag as outcome.

ALTER TABLE audits ADD COLUMN base_id VARCHAR;          -- the id of version 1 (the id users type)
ALTER TABLE audits ADD COLUMN version INTEGER;
ALTER TABLE audits ADD COLUMN version_reason VARCHAR;   -- why this version was opened
ALTER TABLE audits ADD COLUMN discarded_by VARCHAR;
ALTER TABLE audits ADD COLUMN discarded_at TIMESTAMP;
ALTER TABLE audits ADD COLUMN discard_reason VARCHAR;
UPDATE audits SET base_id = audit_id, version = 1;

ALTER TABLE audit_steps ADD COLUMN inputs VARCHAR;      -- JSON: {file or table: sha256}
ALTER TABLE audit_steps ADD COLUMN outputs VARCHAR;     -- JSON: {file or table: sha256}

ALTER TABLE audit_results ADD COLUMN test VARCHAR;      -- correct | error | not_tested
ALTER TABLE audit_results ADD COLUMN reason VARCHAR;    -- why an item was not tested
UPDATE audit_results SET test = CASE WHEN in_error THEN 'error' ELSE 'correct' END;

-- A result replaced by a later `audit record` (allowed until the audit is evaluated) is kept here.
CREATE TABLE audit_result_history AS
    SELECT *, CAST(NULL AS VARCHAR) AS replaced_by, CAST(NULL AS TIMESTAMP) AS replaced_at
    FROM audit_results WHERE false;
