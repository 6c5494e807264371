"""The Spark engine of `parcelaudit check --engine spark`: a partitioned Parquet folder (`export --parquet`)
judged one arrival day per unit by the same evaluate() as the local check, results written back as Parquet
partitioned by day (and, with a store, saved as one check run).

A unit is one arrival day D: every parcel arriving on D (judged) plus, as context only, the other parcels of
the orders touching D (from any day) and, for each of those on another day E, the parcels of E sharing its
consignee's house number (the block in which the consignee-day rule keys consignees), so that DM-SPLIT's
"the consignee-day is over the threshold too" sees the same groups as a check of the whole store. Spark
co-groups a unit's parcels with its lines and orders and hands them to the worker as Arrow
(`cogroup(...).applyInArrow`), where parcelaudit.engines.units judges them.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from parcelaudit.decide import load_severity_policy
from parcelaudit.engines.units import (
    IN_SCOPE,
    LINE_PREFIX,
    ORDER_PREFIX,
    OUTPUT_DDL,
    PART,
    RESULT_TABLES,
    UNIT_DAY,
    UnitSettings,
    from_ipc,
    judge_unit,
    result_schemas,
    to_ipc,
)
from parcelaudit.errors import InputError, ParcelAuditError
from parcelaudit.partitioned.layout import PARTITION_KEY
from parcelaudit.pipeline.result import CheckResult
from parcelaudit.pipeline.run import dispositions_record, store_result
from parcelaudit.schema import LINES, ORDERS, SHIPMENTS, Table
from parcelaudit.screening.dispositions import load_dispositions
from parcelaudit.store import Store, utc_now
from parcelaudit.store.traces import read_trace_verdicts
from parcelaudit.tracing.link import sku_verdict_table

SPARK_EXTRA = "install the Spark extra: pip install 'parcelaudit[spark]' (make .venv/.installed does)"


@dataclass
class SparkCheck:
    """What a Spark check produced: where its Parquet went, its days and parcels, and what the units report."""

    out: Path
    days: int
    tables: dict[str, pa.Table] = field(default_factory=dict)  # canonical result tables (read back)
    hts_source: str = ""
    hts_complete: bool = False
    list_snapshots: list[dict] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # summed over units
    master: str = ""


def java_missing() -> str | None:
    """Why Spark cannot start here (no Java runtime), or None when a `java` is found."""
    home = os.environ.get("JAVA_HOME")
    if (home and Path(home, "bin", "java").exists()) or shutil.which("java"):
        return None
    return "Spark needs a Java runtime (17 or later) and none was found (install openjdk-17-jre-headless)"


def spark_session(master: str | None = None, app_name: str = "parcelaudit check"):
    """A SparkSession: --master when given, else the master spark-submit chose, else SPARK_MASTER, else
    local[*]. Dates are read in UTC; Spark's own console progress is off (the CLI shows ours)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:
        raise ParcelAuditError("PySpark is not installed", hint=SPARK_EXTRA) from error
    reason = java_missing()
    if reason:
        raise ParcelAuditError(reason, hint="apt-get install openjdk-17-jre-headless, or set JAVA_HOME")
    # Local workers run this interpreter (its packages); on a cluster the executors' own Python is configured.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app_name)
    if master or "PYSPARK_GATEWAY_PORT" not in os.environ:  # spark-submit set the master already
        chosen = master or os.environ.get("SPARK_MASTER", "local[*]")
        builder = builder.master(chosen)
        if chosen.startswith("local"):
            # Spark's default of 200 shuffle partitions is for clusters; here each is a Python task to start.
            builder = builder.config("spark.sql.shuffle.partitions", str(2 * _local_cores(chosen)))
    spark = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _local_cores(master: str) -> int:
    """The cores of a local[N] / local[*] master."""
    inside = master.partition("[")[2].partition("]")[0].split(",")[0]
    return (os.cpu_count() or 1) if inside in ("", "*") else int(inside)


def check_folder(root: Path) -> None:
    """Refuse a folder that is not a partitioned export (before Spark starts): the shipments must have day
    folders with Parquet files (lines and orders may be absent: a manifest without marketplace orders)."""
    folder = Path(root) / "shipments"
    if not _has_parts(folder):
        raise InputError(
            f"no shipments Parquet files under {PARTITION_KEY}=YYYY-MM-DD folders",
            file=str(folder),
            hint="write the folder with: parcelaudit export --parquet DIR",
        )


def _has_parts(folder: Path) -> bool:
    return any(folder.glob(f"{PARTITION_KEY}=*/*.parquet"))


def _read(spark, root: Path, table: Table):
    """One table of a partitioned export as a DataFrame of its canonical columns (and, when the table has no
    such field, its day folder as a date column); an empty frame when the folder holds no files."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    folder = root / table.name
    if not _has_parts(folder):
        return spark.createDataFrame([], from_arrow_schema(table.arrow_schema))
    # The schema is given, not inferred: no job reading every footer, and the day folder read as text.
    files = pa.schema([f for f in table.arrow_schema if f.name != PARTITION_KEY])
    schema = from_arrow_schema(files.append(pa.field(PARTITION_KEY, pa.string())))
    frame = spark.read.schema(schema).option("basePath", str(folder)).parquet(str(folder))
    frame = frame.withColumn(PARTITION_KEY, F.to_date(F.col(PARTITION_KEY)))
    return frame.select(*table.names)


def build_units(spark, root: Path):
    """The units of a folder as two DataFrames keyed by unit_day: the parcels (canonical columns + in_scope)
    and their lines and orders (prefixed columns, `part` = line | order)."""
    from pyspark.sql import functions as F

    names = SHIPMENTS.names
    shipments = _read(spark, Path(root), SHIPMENTS)
    keyed = shipments.withColumn(
        "_house", F.coalesce(F.regexp_extract("consignee_address", "[0-9]+", 0), F.lit(""))
    )
    home = shipments.where(F.col("arrival_date").isNotNull()).withColumn(UNIT_DAY, F.col("arrival_date"))
    # The orders touching each day (as store.checks.read_check_inputs takes them: any non-null order id).
    touching = home.where(F.col("order_id").isNotNull()).select(UNIT_DAY, "order_id").distinct()
    mates = touching.join(keyed, "order_id").where(
        F.col("arrival_date").isNull() | (F.col("arrival_date") != F.col(UNIT_DAY))
    )
    blocks = (
        mates.where(F.col("arrival_date").isNotNull())
        .select(UNIT_DAY, F.col("arrival_date").alias("_block_day"), F.col("_house").alias("_block_house"))
        .distinct()
        .alias("b")
    )
    block = keyed.alias("k")
    block_rows = blocks.join(
        block,
        (F.col("k.arrival_date") == F.col("b._block_day")) & (F.col("k._house") == F.col("b._block_house")),
    ).select(F.col(f"b.{UNIT_DAY}").alias(UNIT_DAY), *[F.col(f"k.{n}").alias(n) for n in names])
    context = (
        mates.select(UNIT_DAY, *names)
        .unionByName(block_rows)
        .dropDuplicates([UNIT_DAY, "shipment_id"])
        .withColumn(IN_SCOPE, F.lit(False))
    )
    parcels = home.select(UNIT_DAY, *names).withColumn(IN_SCOPE, F.lit(True)).unionByName(context)
    ids = parcels.select(UNIT_DAY, "shipment_id")
    lines = _read(spark, Path(root), LINES)
    orders = _read(spark, Path(root), ORDERS)
    unit_lines = ids.join(lines, "shipment_id").select(
        UNIT_DAY, *[F.col(n).alias(LINE_PREFIX + n) for n in LINES.names]
    )
    unit_orders = (
        parcels.where(F.col("order_id").isNotNull())
        .select(UNIT_DAY, "order_id")
        .distinct()
        .join(orders, "order_id")
        .select(UNIT_DAY, *[F.col(n).alias(ORDER_PREFIX + n) for n in ORDERS.names])
    )
    others = unit_lines.withColumn(PART, F.lit("line")).unionByName(
        unit_orders.withColumn(PART, F.lit("order")), allowMissingColumns=True
    )
    return parcels, others


def judge(parcels, others, settings: UnitSettings):
    """The units judged on the executors: rows of (unit_day, result, seq, data) (see engines.units)."""

    def unit(key, shipments: pa.Table, rest: pa.Table) -> pa.Table:
        return judge_unit(key[0].as_py(), shipments, rest, settings)

    from pyspark.sql import functions as F

    # Both frames come from the same parcels; a fresh day column on one side keeps the co-group unambiguous.
    rest = others.withColumnRenamed(UNIT_DAY, "_day").withColumn(UNIT_DAY, F.col("_day")).drop("_day")
    return parcels.groupBy(UNIT_DAY).cogroup(rest.groupBy(UNIT_DAY)).applyInArrow(unit, OUTPUT_DDL)


def _decoder(name: str, schema: pa.Schema) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """A mapInArrow function turning one result table's IPC rows back into its rows, with their day."""
    with_day = (
        schema if PARTITION_KEY in schema.names else schema.append(pa.field(PARTITION_KEY, pa.date32()))
    )

    def decode(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            for day, data in zip(
                batch.column(UNIT_DAY).to_pylist(), batch.column("data").to_pylist(), strict=True
            ):
                table = from_ipc(data)
                if PARTITION_KEY not in table.schema.names:
                    table = table.append_column(PARTITION_KEY, pa.array([day] * table.num_rows, pa.date32()))
                yield from table.select(with_day.names).cast(with_day).to_batches()

    return decode, with_day


def write_results(results, out: Path) -> dict[str, pa.Schema]:
    """Each result table written as Parquet under out/<table>/arrival_date=YYYY-MM-DD (replacing what was
    there); the Arrow schema of each."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import from_arrow_schema

    schemas = result_schemas()
    for name in RESULT_TABLES:
        decode, with_day = _decoder(name, schemas[name])
        rows = results.where(F.col("result") == name).mapInArrow(decode, from_arrow_schema(with_day))
        rows.write.mode("overwrite").partitionBy(PARTITION_KEY).parquet(str(out / name))
    return schemas


def read_results(out: Path, schemas: dict[str, pa.Schema]) -> dict[str, pa.Table]:
    """The result tables written under out, each in its canonical schema and order."""
    from parcelaudit.pipeline.result import FINDINGS_ORDER, canonical_order

    keys = {"findings": FINDINGS_ORDER, "decisions": ["shipment_id"], "line_duty": ["shipment_id", "line_no"]}
    tables = {}
    for name, schema in schemas.items():
        dataset = ds.dataset(out / name, format="parquet", partitioning="hive")
        table = dataset.to_table()
        columns = [table[n].cast(f.type) for n, f in zip(schema.names, schema, strict=True)]
        tables[name] = canonical_order(pa.Table.from_arrays(columns, schema=schema), keys[name])
    return tables


def run_spark_check(
    root: Path,
    out: Path,
    settings: UnitSettings,
    *,
    master: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> SparkCheck:
    """Judge every arrival day of the partitioned folder root on Spark; results as Parquet under out."""
    from pyspark.sql import functions as F

    check_folder(root)
    step = progress or (lambda _: None)
    step("starting Spark")
    spark = spark_session(master)
    step("reading the partitions")
    parcels, others = build_units(spark, Path(root))
    step("judging the days")
    # The units' rows are staged once on disk, so each day is judged exactly once whatever reads them after
    # (a cached frame can be recomputed when Spark evicts it); `_` hides the folder from readers.
    staged = Path(out) / "_units"
    judge(parcels, others, settings).write.mode("overwrite").parquet(str(staged))
    try:
        results = spark.read.parquet(str(staged))
        step("writing the results by day")
        schemas = write_results(results, Path(out))
        metas = [
            pickle.loads(r["data"]) for r in results.where(F.col("result") == "meta").select("data").collect()
        ]
    finally:
        shutil.rmtree(staged, ignore_errors=True)
    if not metas:
        raise InputError("no parcel with an arrival day", file=str(Path(root) / "shipments"))
    check = SparkCheck(out=Path(out), days=len(metas), master=spark.sparkContext.master)
    _merge_meta(check, metas)
    step("reading the results back")
    check.tables = read_results(Path(out), schemas)
    return check


def _merge_meta(check: SparkCheck, metas: list[dict]) -> None:
    """The units' reference data must agree (one HTS edition, one set of list snapshots); timings add up."""
    sources = {(m["hts_source"], m["hts_complete"]) for m in metas}
    snapshots = {pickle.dumps(m["list_snapshots"]) for m in metas}
    if len(sources) > 1 or len(snapshots) > 1:
        raise ParcelAuditError(
            "executors judged with different reference data (HTS edition or restricted lists)",
            hint="give every executor the same files (PARCELAUDIT_HTS_FILE, the downloaded lists)",
        )
    check.hts_source, check.hts_complete = next(iter(sources))
    check.list_snapshots = metas[0]["list_snapshots"]
    for meta in metas:
        for key, seconds in meta["timings"].items():
            check.timings[key] = check.timings.get(key, 0.0) + seconds


def check_with_spark(
    root: Path,
    out: Path,
    *,
    store: Store | None = None,
    policy: Path | None = None,
    rates: Path | None = None,
    dispositions: Path | None = None,
    screening: bool = True,
    master: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[SparkCheck, CheckResult]:
    """`check --engine spark`: judge the folder on Spark and, with a store, save the results as a check run
    (its trace verdicts feed FL-TRACE as in a local check). The result carries the run id when saved."""
    started_at = utc_now()
    traces = sku_verdict_table(read_trace_verdicts(store)) if store is not None else None
    settings = UnitSettings(
        policy=str(policy) if policy else None,
        rates=str(Path(rates).resolve()) if rates else None,
        dispositions=str(Path(dispositions).resolve()) if dispositions else None,
        screening=screening,
        traces=to_ipc(traces) if traces is not None and traces.num_rows else None,
    )
    check = run_spark_check(root, out, settings, master=master, progress=progress)
    result = CheckResult(
        findings=check.tables["findings"],
        decisions=check.tables["decisions"],
        line_duty=check.tables["line_duty"],
        shipments=SHIPMENTS.arrow_schema.empty_table(),
        timings=check.timings,
        policy=load_severity_policy(policy),
        hts_source=check.hts_source,
        hts_complete=check.hts_complete,
        screening=screening,
        list_snapshots=check.list_snapshots,
    )
    if dispositions is not None:
        result.dispositions_used = dispositions_record(dispositions, load_dispositions(Path(dispositions)))
    if store is not None:
        if progress:
            progress("storing the check run")
        result.run_id = store_result(store, result, started_at, None, None)
    return check, result
