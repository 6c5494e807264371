"""Known-origin reference samples and lab results: read, normalise column names, validate.

One table shape serves both: sample_id, material, site_id, lat, lon, country, region, year,
reference_scale, claimed, then marker columns (isotopes d2H, d18O, d13C, d15N, d34S, sr87_86 and
element concentrations named by their symbol, e.g. Sr, Ba, Rb) and their 1-sd columns `<marker>_sd`.
assignR's knownOrig layout (Sample_ID, Site_ID, d2H.sd, ...) is accepted through aliases.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.errors import InputError
from parcelaudit.origin.shapes import read_dbf, read_shapefile_points

ISOTOPES = ("d2H", "d18O", "d13C", "d15N", "d34S", "sr87_86")
# Element symbols accepted as trace-element concentration columns (any unit, stated in the docs).
_ELEMENT_SYMBOLS = (
    "Li Be B Na Mg Al Si P S K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Rb Sr Y Zr Nb Mo Ag Cd "
    "Sn Sb Te I Cs Ba La Ce Pr Nd Sm Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Tl Pb Bi Th U"
)
ELEMENTS = frozenset(_ELEMENT_SYMBOLS.split())
TEXT_COLUMNS = ("sample_id", "material", "site_id", "country", "region", "reference_scale", "claimed")
NUMBER_COLUMNS = ("lat", "lon", "year")
ALIASES = {
    "sample": "sample_id",
    "id": "sample_id",
    "site": "site_id",
    "material_type": "material",
    "latitude": "lat",
    "longitude": "lon",
    "long": "lon",
    "scale": "reference_scale",
    "claimed_origin": "claimed",
    "87sr/86sr": "sr87_86",
    "87sr_86sr": "sr87_86",
    "sr87/sr86": "sr87_86",
    "d2h": "d2H",
    "d18o": "d18O",
    "d13c": "d13C",
    "d15n": "d15N",
    "d34s": "d34S",
}
NULLS = ["", "NA", "NaN", "nan", "N/A", "null", "-"]


def canonical_name(name: str) -> str:
    """Map an input column name to ours: `d2H.sd` -> `d2H_sd`, `Sample_ID` -> `sample_id`."""
    raw = name.strip()
    sd = re.search(r"[._ ](sd|se|stdev|std)$", raw, flags=re.IGNORECASE)
    base = raw[: sd.start()] if sd else raw
    key = base.lower()
    if base in ELEMENTS:
        out = base
    elif key in ALIASES:
        out = ALIASES[key]
    elif key in TEXT_COLUMNS or key in NUMBER_COLUMNS:
        out = key
    else:
        out = base
    return f"{out}_sd" if sd else out


def site_column(table: pa.Table) -> str:
    """The column that names a sample's site: site_id, or sample_id when sites are not given."""
    return "site_id" if "site_id" in table.column_names else "sample_id"


def is_marker(name: str) -> bool:
    """Whether a canonical column holds a measured marker (isotope or element)."""
    return name in ISOTOPES or name in ELEMENTS


def marker_columns(table: pa.Table) -> list[str]:
    """Marker columns present with at least one value, isotopes first then elements."""
    present = [c for c in table.column_names if is_marker(c) and table[c].null_count < len(table)]
    return sorted(present, key=lambda c: (c not in ISOTOPES, ISOTOPES.index(c) if c in ISOTOPES else 0, c))


def _to_number(column: pa.ChunkedArray, name: str, path: str) -> pa.ChunkedArray:
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return pc.cast(column, pa.float64())
    values = column.to_pylist()
    out: list[float | None] = []
    for row, value in enumerate(values, start=2):
        if value is None or str(value).strip() in NULLS:
            out.append(None)
            continue
        try:
            out.append(float(value))
        except ValueError:
            raise InputError(
                f"{value!r} is not a number",
                file=path,
                row=row,
                field=name,
                hint="write a decimal number or leave blank",
            ) from None
    return pa.chunked_array([pa.array(out, pa.float64())])


def normalise(table: pa.Table, source: str = "<table>") -> pa.Table:
    """Rename columns to canonical names, keep ours, type them (text as string, markers as float64)."""
    columns: dict[str, pa.ChunkedArray] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        key = canonical_name(name)
        if key in columns:
            continue
        base = key.removesuffix("_sd")
        if key in TEXT_COLUMNS:
            columns[key] = pc.cast(column, pa.string())
        elif key in NUMBER_COLUMNS or is_marker(base):
            columns[key] = _to_number(column, name, source)
    if "sample_id" not in columns:
        raise InputError("no sample_id column", file=source, field="sample_id", hint="add a sample_id column")
    ids = columns["sample_id"]
    missing = pc.is_null(ids).to_pylist()
    if any(missing):
        raise InputError("sample_id is empty", file=source, row=missing.index(True) + 2, field="sample_id")
    for coord, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        if coord in columns:
            values = columns[coord].to_numpy(zero_copy_only=False)
            bad = np.flatnonzero(~np.isnan(values) & ((values < low) | (values > high)))
            if bad.size:
                raise InputError(
                    f"{values[bad[0]]} is outside {low}..{high}",
                    file=source,
                    row=int(bad[0]) + 2,
                    field=coord,
                    hint="give decimal degrees (WGS84)",
                )
    return pa.table(columns)


def read_samples(path: Path) -> pa.Table:
    """Read a reference-sample or lab-result CSV into the canonical origin table."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=str(path), hint="check the path")
    table = read_samples_table(path)
    out = normalise(table, str(path))
    if not marker_columns(out):
        raise InputError(
            "no marker columns found",
            file=str(path),
            hint=f"name isotope columns {', '.join(ISOTOPES)} or element symbols such as Sr, Ba",
        )
    return out


def read_knownorig(path: Path, taxon: str | None = None, marker: str = "d2H") -> pa.Table:
    """Read assignR's knownOrig (the .xlsx, or a folder with knownOrig_samples.csv + sites .shp/.dbf)."""
    path = Path(path)
    if path.is_dir():
        samples = read_samples_table(path / "knownOrig_samples.csv")
        xy = read_shapefile_points(path / "knownOrig_sites.shp")
        attrs = read_dbf(path / "knownOrig_sites.dbf")
        sites = {
            _id_text(a["Site_ID"]): (float(p[0]), float(p[1]), a.get("Country"))
            for a, p in zip(attrs, xy, strict=True)
        }
    else:
        samples, sites = _read_knownorig_xlsx(path)
    if taxon is not None:
        samples = samples.filter(pc.equal(samples["Taxon"], taxon))
    site_ids = [_id_text(s) for s in samples["Site_ID"].to_pylist()]
    unknown = sorted({s for s in site_ids if s not in sites})
    if unknown:
        raise InputError(f"samples refer to unknown sites {unknown[:5]}", file=str(path), field="Site_ID")
    extra = {
        "lon": pa.array([sites[s][0] for s in site_ids], pa.float64()),
        "lat": pa.array([sites[s][1] for s in site_ids], pa.float64()),
        "country": pa.array([sites[s][2] for s in site_ids], pa.string()),
        "material": samples["Material_type"] if "Material_type" in samples.column_names else None,
    }
    table = samples
    for name, column in extra.items():
        if column is not None and name not in table.column_names:
            table = table.append_column(name, column)
    out = normalise(table, str(path))
    if marker in out.column_names:
        out = out.filter(pc.is_valid(out[marker]))
    return out


def _id_text(value: object) -> str:
    """An id as text; dBase stores integer ids as floats (1990.0 -> "1990")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_samples_table(path: Path) -> pa.Table:
    """Read a UTF-8 CSV with assignR's NA convention, without renaming (used for knownOrig); a file that is
    not UTF-8 or has a row of the wrong width raises InputError naming the byte offset or the row."""
    import pyarrow.csv as pacsv

    from parcelaudit.ingest.readers import require_decodable

    fix = "save the file as CSV UTF-8 with one header row and the same number of columns on every row"
    require_decodable(path, fix)
    bad: list = []

    def first_bad_row(row) -> str:
        bad.append(row)
        return "error"

    try:
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=first_bad_row),
            convert_options=pacsv.ConvertOptions(null_values=NULLS, strings_can_be_null=True),
        )
    except pa.ArrowInvalid as error:
        if bad:
            raise InputError(
                f"the row has {bad[0].actual_columns} columns, the header {bad[0].expected_columns}",
                file=str(path),
                row=bad[0].number,
                hint=fix,
            ) from error
        reason = " ".join(str(error).split())[:200]
        raise InputError(f"not a readable CSV file ({reason})", file=str(path), hint=fix) from error


def _read_knownorig_xlsx(path: Path) -> tuple[pa.Table, dict[str, tuple[float, float, str | None]]]:
    import openpyxl

    if not path.exists():
        raise InputError("knownOrig file not found", file=str(path))
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        sheets = {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()
    if "knownOrig_samples" not in sheets or "knownOrig_sites" not in sheets:
        raise InputError("workbook lacks knownOrig_samples / knownOrig_sites sheets", file=str(path))
    head, *rows = sheets["knownOrig_samples"]
    keep = [i for i, h in enumerate(head) if h]
    data = {
        str(head[i]).strip(): [None if r[i] in (None, "NA") else r[i] for r in rows if any(r)] for i in keep
    }
    text = {"Sample_ID", "Sample_ID_orig", "Site_ID", "Taxon", "Group", "Material_type", "Matrix"}
    samples = pa.table(
        {
            k: pa.array([None if v is None else str(v) for v in vals]) if k in text else pa.array(vals)
            for k, vals in data.items()
        }
    )
    site_head, *site_rows = sheets["knownOrig_sites"]
    idx = {str(h).strip(): i for i, h in enumerate(site_head) if h}
    sites = {
        str(r[idx["Site_ID"]]): (float(r[idx["Longitude"]]), float(r[idx["Latitude"]]), r[idx["Country"]])
        for r in site_rows
        if r and r[idx["Site_ID"]] is not None
    }
    return samples, sites
