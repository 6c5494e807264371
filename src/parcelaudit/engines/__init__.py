"""Execution engines beyond one process: they run the check's stage functions (parcelaudit.pipeline.evaluate)
over partitions of Arrow tables. `spark` needs the optional Spark extra (PySpark and a Java runtime)."""
