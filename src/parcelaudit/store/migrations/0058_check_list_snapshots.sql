-- List snapshots (issue 13 item 4): which restricted-list snapshots each check run screened against, so a
-- SCREEN-* finding (or its absence) can be traced to the exact list files. No rows: screening did not run.

CREATE TABLE check_list_snapshots (
    run_id        BIGINT NOT NULL,
    list          VARCHAR NOT NULL,       -- list code (UFLPA, WRO, SDN, CSL, UN)
    source        VARCHAR NOT NULL,       -- where the list came from (URL or bundled file)
    snapshot_date VARCHAR,                -- the source's publication date (ISO), NULL when unknown
    date_basis    VARCHAR,                -- how snapshot_date was found (source date, Last-Modified, download date ...)
    sha256        VARCHAR,                -- SHA-256 of the main list file
    files         VARCHAR NOT NULL,       -- JSON array of {path, sha256} for every file read
    entries       BIGINT NOT NULL
);
