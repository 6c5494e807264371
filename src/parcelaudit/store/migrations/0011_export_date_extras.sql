-- Ingest of foreign manifests: the export date (a carrier's ship date; CBP converts currency at the
-- rate of the date of exportation: 31 U.S.C. 5151; 19 CFR 159.32 and 152.1(c)), and the source columns no
-- canonical field took, kept per record so that nothing in a file is silently lost.
ALTER TABLE shipments ADD COLUMN IF NOT EXISTS export_date DATE;

CREATE TABLE IF NOT EXISTS source_extras (
    import_id  BIGINT NOT NULL,           -- the import that read the record
    source_row BIGINT NOT NULL,           -- its row in the source file (the header is row 1)
    fields     VARCHAR NOT NULL           -- JSON object: source column -> value, for unplaced columns
);
