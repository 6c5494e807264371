-- Review workbench (issue 15): the PostgreSQL file of this version makes the log append-only in the server
-- (triggers). DuckDB has no triggers: there the hash chain and the signed checkpoints make a change evident
-- instead (docs/workbench.md). This file keeps the schema versions of both engines equal, so that
-- `parcelaudit store copy` can move a store between them.
SELECT 1;
