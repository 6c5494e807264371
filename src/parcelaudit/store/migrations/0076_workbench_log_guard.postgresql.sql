-- Review workbench (issue 15): on PostgreSQL the server itself refuses to change or remove a log entry or a
-- checkpoint (UPDATE, DELETE and TRUNCATE raise), whoever asks. DuckDB has no triggers: there the hash chain
-- and the signed checkpoints make a change evident instead (docs/workbench.md).

CREATE OR REPLACE FUNCTION wb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER wb_log_append_only BEFORE UPDATE OR DELETE ON wb_log
    FOR EACH ROW EXECUTE FUNCTION wb_append_only();
CREATE TRIGGER wb_log_no_truncate BEFORE TRUNCATE ON wb_log
    FOR EACH STATEMENT EXECUTE FUNCTION wb_append_only();
CREATE TRIGGER wb_checkpoints_append_only BEFORE UPDATE OR DELETE ON wb_checkpoints
    FOR EACH ROW EXECUTE FUNCTION wb_append_only();
CREATE TRIGGER wb_checkpoints_no_truncate BEFORE TRUNCATE ON wb_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION wb_append_only();
