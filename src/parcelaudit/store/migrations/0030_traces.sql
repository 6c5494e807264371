-- Tracing: one row per traced product and SKU (the latest trace wins), so checks can carry a line's
-- supply-chain verdict (parcelaudit.tracing.link). reasons is the verdict.json reasons list as JSON.
CREATE TABLE trace_verdicts (
    product    VARCHAR NOT NULL,          -- product id traced (GTIN, EPC class or CSV product key)
    sku        VARCHAR NOT NULL,          -- seller SKU the product is sold as ('' when none was given)
    verdict    VARCHAR NOT NULL,          -- clear | review | exposed
    coverage   DOUBLE NOT NULL,           -- share of input traced to raw material, 0..1
    reasons    VARCHAR NOT NULL,          -- JSON list of {code, facility_id, detail, tier}
    out_dir    VARCHAR,                   -- where verdict.json and the dossier were written
    traced_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (product, sku)
);
