-- Dispositions a check run applied (issue 13 item 6): the analysts' decisions file given to `check
-- --dispositions`, its SHA-256 and how many decisions it held, so a SCREEN-* finding left out as a decided
-- false positive can be traced to the exact file. No row: the run applied no dispositions.

CREATE TABLE check_dispositions (
    run_id    BIGINT NOT NULL,
    source    VARCHAR NOT NULL,           -- the dispositions CSV as given (absolute when resolvable)
    sha256    VARCHAR NOT NULL,           -- SHA-256 of that file as read
    decisions BIGINT NOT NULL             -- decisions in the file
);
