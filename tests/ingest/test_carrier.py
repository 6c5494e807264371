"""A carrier's manifest, as a new user brings it: refused with the columns named, a proposed map,
then stored with every column kept; dates, exit status and counts as issue 11 asks."""

from __future__ import annotations

import json

import pytest

from parcelaudit.errors import InputError
from parcelaudit.ingest import ingest_file
from parcelaudit.ingest.mapping import load_map
from parcelaudit.store import Store, store_exists
from tests.ingest.carrier import CARRIER_ROWS, write_carrier_csv, write_carrier_xlsx
from tests.test_cli import run


@pytest.fixture
def store(store_target):
    with Store.open(store_target) as opened:
        yield opened


def test_refusal_names_every_column_not_understood(store, tmp_path):
    path = write_carrier_csv(tmp_path / "carrier.csv")
    with pytest.raises(InputError) as error:
        ingest_file(store, path)
    text = str(error.value)
    assert "country_of_shipment" in text
    assert "columns not understood" in text
    for column in ("'Origin'", "'Weight KG'", "'Consignee Zip'"):
        assert column in text
    assert "--suggest-map" in text


def test_carrier_manifest_end_to_end_with_a_suggested_map(store_target, tmp_path):
    write_carrier_csv(tmp_path / "carrier.csv")
    suggested = run("ingest", "carrier.csv", "--suggest-map", cwd=tmp_path)
    assert suggested.returncode == 0, suggested.stderr
    assert "Weight KG" in suggested.stdout and "Consignee Zip" in suggested.stdout
    text = (tmp_path / "carrier.map.toml").read_text()
    column_map = load_map(tmp_path / "carrier.map.toml")
    assert column_map.columns["Origin"] == "country_of_shipment", text
    assert column_map.columns["HAWB"] == "shipment_id"
    assert column_map.columns["Ship Date"] == "export_date"
    assert column_map.date_format == "%m/%d/%Y"
    assert column_map.columns["Weight KG"] == ""
    result = run("ingest", "carrier.csv", "--map", "carrier.map.toml", "--db", store_target, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Store.open(store_target, read_only=True) as store:
        rows = store.fetch(
            "SELECT shipment_id, export_date, arrival_date, declared_value, entry_type, order_id "
            "FROM shipments ORDER BY 1"
        )
        assert [r[0] for r in rows] == ["1Z84E5X0412", "1Z84E5X0413", "1Z84E5X0414"]
        assert str(rows[0][1]) == "2025-03-08" and str(rows[0][2]) == "2025-03-10"
        assert rows[0][3] == pytest.approx(24.90 + 11.97)  # the parcel's value: the sum of its lines
        assert rows[0][4] == "86" and rows[0][5] == "A-99120"
        assert store.scalar("SELECT count(*) FROM lines") == 4
        extras = [json.loads(r[0]) for r in store.fetch("SELECT fields FROM source_extras")]
        assert len(extras) == 4 and {"Weight KG", "Consignee Zip"} <= set(extras[0])
    # ingest and status count records read, shipments, lines, duplicates and rejects the same way
    status = run("status", "--db", store_target, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert _counts(result.stdout) == _counts(status.stdout.split("Latest imports")[1]) == [4, 3, 4, 0, 0]


def _counts(table: str) -> list[int]:
    """The last five numeric cells of the row for carrier.csv in a printed table."""
    row = next(line for line in table.splitlines() if "carrier.csv" in line)
    cells = [c.strip().replace(",", "") for c in row.strip("│ ").split("│")]
    return [int(c) for c in cells if c.isdigit()][-5:]


def test_xlsx_manifest_reads_like_the_csv(store, tmp_path):
    path = write_carrier_xlsx(tmp_path / "carrier.xlsx")
    column_map = tmp_path / "map.toml"
    column_map.write_text('[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.rows_rejected == 0, store.read_table("rejects").to_pylist()
    assert (result.shipments_stored, result.lines_stored) == (3, 4)
    assert store.scalar("SELECT min(export_date) FROM shipments").isoformat() == "2025-03-08"
    assert result.format == "xlsx"


def test_us_dates_with_a_day_over_12_are_read_with_a_note(store, tmp_path):
    path = write_carrier_csv(tmp_path / "carrier.csv")
    column_map = tmp_path / "map.toml"
    column_map.write_text('[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.rows_rejected == 0
    assert any("MM/DD/YYYY" in note for note in result.notes)


def test_ambiguous_dates_are_refused_in_one_line_and_read_with_a_format(store, tmp_path):
    rows = [[*r[:2], "03/04/2025", "04/03/2025", *r[4:]] for r in CARRIER_ROWS]
    path = write_carrier_csv(tmp_path / "carrier.csv", rows)
    column_map = tmp_path / "map.toml"
    column_map.write_text('[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    with pytest.raises(InputError, match="ambiguous") as error:
        ingest_file(store, path, column_map=load_map(column_map))
    assert "\n" not in str(error.value) and "--date-format" in str(error.value)
    result = ingest_file(
        store, path, column_map=load_map(column_map), date_format="%d/%m/%Y", rejects_dir=None
    )
    assert result.rows_rejected == 0
    assert store.scalar("SELECT min(arrival_date) FROM shipments").isoformat() == "2025-03-04"


def test_file_currency_and_parcel_level_value_scope(store, tmp_path):
    path = write_carrier_csv(tmp_path / "carrier.csv")
    column_map = tmp_path / "map.toml"
    column_map.write_text(
        'currency = "EUR"\nvalue_scope = "shipment"\n[columns]\n"Origin" = "country_of_shipment"\n'
        '"Value USD" = "declared_value"\n',
        encoding="utf-8",
    )
    rows = [[*r[:14], "36.87" if r[0].endswith("12") else r[14], *r[15:]] for r in CARRIER_ROWS]
    write_carrier_csv(path, rows)
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.rows_rejected == 0
    got = store.fetch("SELECT declared_value, currency FROM shipments ORDER BY shipment_id")
    assert got[0] == (36.87, "EUR")
    assert store.scalar("SELECT count(*) FROM lines WHERE value IS NOT NULL") == 0


def test_exit_status_is_non_zero_when_rows_are_rejected(store_target, other_store_target, tmp_path):
    rows = [list(r) for r in CARRIER_ROWS]
    rows[3][8 + 6] = "n/a"  # Value USD
    write_carrier_csv(tmp_path / "carrier.csv", rows)
    (tmp_path / "map.toml").write_text('[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    failed = run("ingest", "carrier.csv", "--map", "map.toml", "--db", store_target, cwd=tmp_path)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "1 of 4 records rejected" in failed.stderr
    allowed = run(
        "ingest",
        "carrier.csv",
        "--map",
        "map.toml",
        "--db",
        other_store_target,
        "--max-reject-rate",
        "0.3",
        cwd=tmp_path,
    )
    assert allowed.returncode == 0, allowed.stderr


def test_a_mistyped_db_is_refused_and_not_created(store_target, tmp_path):
    result = run("status", "--db", store_target, cwd=tmp_path)
    assert result.returncode == 2
    assert "no store" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not store_exists(store_target)


def test_an_older_store_gains_export_date_and_extras_on_open(store_target):
    path = store_target
    with Store.open(path) as store:  # made old: as a store before migration 0011 was
        store.execute("ALTER TABLE shipments DROP COLUMN export_date")
        store.execute("DROP TABLE source_extras")
        store.execute("DELETE FROM schema_migrations WHERE version = 11")
    with Store.open(path) as store:
        columns = store.query("SELECT * FROM shipments WHERE false").column_names
        assert "export_date" in columns
        assert store.scalar("SELECT count(*) FROM source_extras") == 0


def test_iso_dates_among_us_dates_are_kept(store, tmp_path):
    rows = [list(r) for r in CARRIER_ROWS]
    rows[3][3] = "2025-03-24"
    path = write_carrier_csv(tmp_path / "carrier.csv", rows)
    column_map = tmp_path / "map.toml"
    column_map.write_text('[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.rows_rejected == 0 and result.shipments_stored == 3


def test_sheet_is_chosen_by_name_and_an_unknown_sheet_lists_the_sheets(store, tmp_path):
    import openpyxl

    path = write_carrier_xlsx(tmp_path / "carrier.xlsx")
    book = openpyxl.load_workbook(path)
    book.create_sheet("Notes", 0).append(["printed by the carrier portal"])
    book.save(path)
    column_map = tmp_path / "map.toml"
    column_map.write_text(
        'sheet = "Manifest"\n[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8"
    )
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.lines_stored == 4
    with pytest.raises(InputError, match=r"no sheet named 'Invoices'.*'Notes', 'Manifest'"):
        ingest_file(store, path, sheet="Invoices")


def test_decimal_comma_values_from_a_map(store, tmp_path):
    rows = [[*r[:14], r[14].replace(".", ","), *r[15:]] for r in CARRIER_ROWS]
    path = write_carrier_csv(tmp_path / "carrier.csv", rows)
    column_map = tmp_path / "map.toml"
    column_map.write_text('decimal = ","\n[columns]\n"Origin" = "country_of_shipment"\n', encoding="utf-8")
    result = ingest_file(store, path, column_map=load_map(column_map), rejects_dir=None)
    assert result.rows_rejected == 0
    assert store.scalar("SELECT sum(value) FROM lines") == pytest.approx(84.37)


def test_a_map_with_an_unknown_field_is_refused_in_one_line(tmp_path):
    column_map = tmp_path / "map.toml"
    column_map.write_text('[columns]\n"HAWB" = "tracking"\n', encoding="utf-8")
    with pytest.raises(InputError, match="'tracking' is not a field name") as error:
        load_map(column_map)
    assert "field 'HAWB'" in str(error.value)
