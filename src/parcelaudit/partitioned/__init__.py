"""Partitioned data: the canonical tables as a folder of Parquet files, one folder per arrival day (hive
layout), written by `parcelaudit export --parquet DIR` and read back by `parcelaudit ingest DIR`."""
