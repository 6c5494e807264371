-- Check outputs (issue 18): the files a check run wrote, recorded once every one of them is complete.
-- A run with no rows here wrote no files or was interrupted while writing them.

CREATE TABLE check_outputs (
    run_id   BIGINT NOT NULL,
    folder   VARCHAR NOT NULL,            -- output folder as given (absolute when resolvable)
    name     VARCHAR NOT NULL,            -- file name in the folder (findings.csv, decisions.csv, report.html ...)
    bytes    BIGINT NOT NULL,
    sha256   VARCHAR NOT NULL
);
