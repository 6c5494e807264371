-- Audit workflow (issue 7): one row per audit, every step with who/when/parameters, the population
-- frame, the strata, the sample, the auditor's test results and the evaluations. Money is DOUBLE dollars.

CREATE TABLE audits (
    audit_id      VARCHAR PRIMARY KEY,
    importer_by   VARCHAR NOT NULL,            -- seller_name | marketplace_name
    importer      VARCHAR NOT NULL,
    period_start  DATE NOT NULL,
    period_end    DATE NOT NULL,
    unit          VARCHAR NOT NULL,            -- parcel | line
    scope_filters VARCHAR NOT NULL,            -- JSON: extra equality filters on shipments columns
    status        VARCHAR NOT NULL,            -- new | planned | sampled | recorded | evaluated | reported
    created_by    VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE audit_steps (
    audit_id   VARCHAR NOT NULL,
    step_no    INTEGER NOT NULL,
    step       VARCHAR NOT NULL,               -- new | plan | sample | record | evaluate | report | reconcile
    actor      VARCHAR NOT NULL,
    acted_at   TIMESTAMP NOT NULL,
    parameters VARCHAR NOT NULL,               -- JSON: every input needed to redo the step
    summary    VARCHAR NOT NULL,               -- JSON: what the step produced
    PRIMARY KEY (audit_id, step_no)
);

CREATE TABLE audit_population (
    audit_id    VARCHAR NOT NULL,
    frame_no    BIGINT NOT NULL,               -- 1..N in a stable order (arrival date, shipment, line)
    item_id     VARCHAR NOT NULL,              -- shipment_id, or shipment_id#line_no for line audits
    shipment_id VARCHAR NOT NULL,
    line_no     BIGINT,
    arrival_date DATE NOT NULL,
    entry_type  VARCHAR,
    book_value  DOUBLE NOT NULL,               -- declared value
    book_duty   DOUBLE NOT NULL,               -- duty paid as declared (0 for a duty-free claim)
    stratum     INTEGER,
    PRIMARY KEY (audit_id, frame_no)
);

CREATE TABLE audit_strata (
    audit_id    VARCHAR NOT NULL,
    stratum     INTEGER NOT NULL,
    lower_value DOUBLE NOT NULL,
    upper_value DOUBLE NOT NULL,
    population  BIGINT NOT NULL,
    book_total  DOUBLE NOT NULL,
    duty_total  DOUBLE NOT NULL,
    sample_size BIGINT NOT NULL,
    certainty   BOOLEAN NOT NULL,              -- reviewed 100%
    PRIMARY KEY (audit_id, stratum)
);

CREATE TABLE audit_sample (
    audit_id        VARCHAR NOT NULL,
    stratum         INTEGER NOT NULL,
    selection_order INTEGER NOT NULL,
    frame_no        BIGINT NOT NULL,
    spare           BOOLEAN NOT NULL,
    PRIMARY KEY (audit_id, stratum, selection_order)
);

CREATE TABLE audit_results (
    audit_id          VARCHAR NOT NULL,
    item_id           VARCHAR NOT NULL,
    corrected_value   DOUBLE,
    corrected_hts     VARCHAR,
    corrected_origin  VARCHAR,
    duty_free         BOOLEAN,                 -- whether a duty-free (de minimis) claim stands
    audited_duty      DOUBLE NOT NULL,
    in_error          BOOLEAN NOT NULL,
    notes             VARCHAR,
    recorded_by       VARCHAR NOT NULL,
    recorded_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (audit_id, item_id)
);

CREATE TABLE audit_evaluations (
    audit_id     VARCHAR NOT NULL,
    evaluated_at TIMESTAMP NOT NULL,
    method       VARCHAR NOT NULL,
    confidence   DOUBLE NOT NULL,
    demand_basis VARCHAR NOT NULL,
    loss_point   DOUBLE NOT NULL,
    loss_lower   DOUBLE NOT NULL,
    loss_upper   DOUBLE NOT NULL,
    demand       DOUBLE NOT NULL,
    compliance_rate  DOUBLE NOT NULL,
    compliance_lower DOUBLE NOT NULL,
    compliance_upper DOUBLE NOT NULL,
    detail       VARCHAR NOT NULL              -- JSON: every computation, for the report and workpaper
);
