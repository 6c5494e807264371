"""Ingest: read CSV / JSON Lines / Parquet in Arrow batches, map columns, validate, store; never drop a row silently."""

from parcelaudit.ingest.importer import ImportResult, ingest_file, write_rejects

__all__ = ["ImportResult", "ingest_file", "write_rejects"]
