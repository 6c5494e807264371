-- Incremental checks (issue 16): what each run judged, the decisions it changed, and a parcel's current decision.
-- A run is stored in one transaction with its results, so a run in check_runs is always complete.

ALTER TABLE check_runs ADD COLUMN last_import_id BIGINT;   -- newest import stored when the run read (NULL: before 0090)
ALTER TABLE check_runs ADD COLUMN since VARCHAR;           -- incremental runs: what --since named (NULL: a full run)

-- Every decision a run changed: the parcel's decision in the latest earlier run that judged it, and the new one.
CREATE TABLE check_changed_decisions (
    run_id           BIGINT NOT NULL,
    shipment_id      VARCHAR NOT NULL,
    before_run_id    BIGINT NOT NULL,
    before_decision  VARCHAR NOT NULL,
    after_decision   VARCHAR NOT NULL,
    rules_added      VARCHAR NOT NULL,    -- ';'-separated rule ids found now and not before
    rules_removed    VARCHAR NOT NULL,    -- ';'-separated rule ids found before and not now
    before_duty_owed DOUBLE NOT NULL,
    after_duty_owed  DOUBLE NOT NULL,
    before_duty_at_risk DOUBLE NOT NULL,
    after_duty_at_risk  DOUBLE NOT NULL
);

-- A parcel's current decision: the one of the latest run that judged it.
CREATE VIEW current_decisions AS
SELECT d.* FROM check_decisions d
JOIN (SELECT shipment_id, max(run_id) AS run_id FROM check_decisions GROUP BY shipment_id) m
  ON m.shipment_id = d.shipment_id AND m.run_id = d.run_id;
