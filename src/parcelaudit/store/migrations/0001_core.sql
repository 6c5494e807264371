-- Foundation: canonical tables, imports and rejects. Canonical columns as in parcelaudit.schema;
-- every stored row carries row_hash (MD5 of its canonical content), import_id and source_row (its row
-- in the source file: the header is row 1), so each row can be traced back to where it came from.
-- Keys are kept unique by the importer (no index: DuckDB index maintenance would halve ingest speed).

CREATE SEQUENCE IF NOT EXISTS import_id_seq START 1;

CREATE TABLE imports (
    import_id      BIGINT PRIMARY KEY,
    source_path    VARCHAR NOT NULL,
    source_sha256  VARCHAR NOT NULL,
    source_format  VARCHAR NOT NULL,
    tables         VARCHAR NOT NULL,      -- comma-separated canonical tables the file fed
    started_at     TIMESTAMP NOT NULL,
    finished_at    TIMESTAMP NOT NULL,
    rows_read      BIGINT NOT NULL,
    rows_stored    BIGINT NOT NULL,       -- new rows written, over all tables
    rows_duplicate BIGINT NOT NULL,       -- rows whose content was already stored
    rows_rejected  BIGINT NOT NULL,
    column_mapping VARCHAR NOT NULL       -- JSON: source column -> canonical field
);

CREATE TABLE rejects (
    import_id  BIGINT NOT NULL,
    source_path VARCHAR NOT NULL,
    row_number BIGINT NOT NULL,           -- 1-based record number; the header is row 1
    field      VARCHAR,
    value      VARCHAR,
    reason     VARCHAR NOT NULL,
    raw        VARCHAR                    -- the whole source record as JSON, so nothing is lost
);

CREATE TABLE shipments (
    shipment_id VARCHAR NOT NULL,
    master_bill VARCHAR, entry_type VARCHAR NOT NULL, filer_type VARCHAR, mode VARCHAR, port_of_entry VARCHAR,
    arrival_date DATE NOT NULL, country_of_shipment VARCHAR NOT NULL,
    seller_name VARCHAR, seller_address VARCHAR, seller_country VARCHAR,
    shipper_name VARCHAR, shipper_address VARCHAR, shipper_country VARCHAR,
    consignee_name VARCHAR, consignee_address VARCHAR, consignee_country VARCHAR,
    marketplace_name VARCHAR, marketplace_url VARCHAR, order_id VARCHAR,
    currency VARCHAR, declared_value DOUBLE NOT NULL, gift BOOLEAN,
    row_hash VARCHAR NOT NULL, import_id BIGINT NOT NULL, source_row BIGINT
);

CREATE TABLE lines (
    shipment_id VARCHAR NOT NULL, line_no BIGINT NOT NULL,
    description VARCHAR, hts_code VARCHAR, quantity DOUBLE, unit VARCHAR, value DOUBLE,
    country_of_origin VARCHAR, manufacturer_name VARCHAR, manufacturer_address VARCHAR,
    manufacturer_country VARCHAR, sku VARCHAR, listing_url VARCHAR, image_url VARCHAR,
    row_hash VARCHAR NOT NULL, import_id BIGINT NOT NULL, source_row BIGINT
);

CREATE TABLE orders (
    order_id VARCHAR NOT NULL, order_date DATE NOT NULL, marketplace_name VARCHAR, seller_name VARCHAR,
    buyer_name VARCHAR, buyer_address VARCHAR, sku VARCHAR NOT NULL, description VARCHAR,
    quantity DOUBLE, unit_price DOUBLE, currency VARCHAR, shipping_price DOUBLE,
    row_hash VARCHAR NOT NULL, import_id BIGINT NOT NULL, source_row BIGINT
);

CREATE TABLE payments (
    payment_id VARCHAR NOT NULL, order_id VARCHAR, paid_at TIMESTAMP, amount DOUBLE NOT NULL,
    currency VARCHAR, payer_name VARCHAR, payee_name VARCHAR, method VARCHAR,
    row_hash VARCHAR NOT NULL, import_id BIGINT NOT NULL, source_row BIGINT
);
