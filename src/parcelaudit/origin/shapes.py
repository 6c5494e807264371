"""Vector inputs for origin work: polygons (masks, claimed regions) and points, from shapefiles or GeoJSON.

The shapefile reader follows the ESRI Shapefile Technical Description (1998): a 100-byte header,
then records of big-endian record headers and little-endian geometry. Only what we need is read:
points (type 1, 11, 21) and polygons (5, 15, 25); dBase attribute tables (.dbf, level 5).
"""

from __future__ import annotations

import json
import struct
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from parcelaudit.errors import InputError

Geometry = dict[str, Any]  # GeoJSON-like: {"type": "Polygon" | "MultiPolygon", "coordinates": [...]}

_POINT_TYPES = {1, 11, 21}
_POLYGON_TYPES = {5, 15, 25}


def _shp_records(path: Path) -> list[tuple[int, bytes]]:
    data = path.read_bytes()
    if len(data) < 100 or struct.unpack(">i", data[:4])[0] != 9994:
        raise InputError("not an ESRI shapefile", file=str(path), hint="give a .shp file or GeoJSON")
    records = []
    offset = 100
    while offset + 8 <= len(data):
        _, length_words = struct.unpack(">2i", data[offset : offset + 8])
        body = data[offset + 8 : offset + 8 + 2 * length_words]
        shape_type = struct.unpack("<i", body[:4])[0] if body else 0
        records.append((shape_type, body))
        offset += 8 + 2 * length_words
    return records


def _polygon_rings(body: bytes) -> list[list[tuple[float, float]]]:
    num_parts, num_points = struct.unpack("<2i", body[36:44])
    parts = [*struct.unpack(f"<{num_parts}i", body[44 : 44 + 4 * num_parts]), num_points]
    start = 44 + 4 * num_parts
    xy = np.frombuffer(body[start : start + 16 * num_points], dtype="<f8").reshape(-1, 2)
    return [[(float(x), float(y)) for x, y in xy[a:b]] for a, b in pairwise(parts)]


def read_shapefile_points(path: Path) -> np.ndarray:
    """(n, 2) array of x, y for a point shapefile (NaN rows for null shapes)."""
    out = []
    for shape_type, body in _shp_records(Path(path)):
        if shape_type in _POINT_TYPES:
            out.append(struct.unpack("<2d", body[4:20]))
        elif shape_type == 0:
            out.append((np.nan, np.nan))
        else:
            raise InputError(f"shape type {shape_type} is not a point", file=str(path))
    return np.asarray(out, dtype=float).reshape(-1, 2)


def read_dbf(path: Path) -> list[dict[str, Any]]:
    """Rows of a dBase (.dbf) attribute table; numeric fields become float or int, blanks None."""
    data = Path(path).read_bytes()
    count, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields = []
    pos = 32
    while data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\0", 1)[0].decode("latin-1")
        fields.append((name, chr(data[pos + 11]), data[pos + 16], data[pos + 17]))
        pos += 32
    rows = []
    for i in range(count):
        rec = data[header_len + i * record_len : header_len + (i + 1) * record_len]
        if rec[:1] == b"*":
            continue
        at = 1
        row: dict[str, Any] = {}
        for name, kind, size, decimals in fields:
            raw = rec[at : at + size].decode("utf-8", errors="replace").strip()
            at += size
            if kind in "NF":
                row[name] = None if raw in ("", "*" * size) else (float(raw) if decimals else int(float(raw)))
            else:
                row[name] = raw or None
        rows.append(row)
    return rows


def read_polygons(path: Path) -> list[Geometry]:
    """Polygons from a .shp or a GeoJSON file (FeatureCollection, Feature or bare geometry)."""
    path = Path(path)
    if not path.exists():
        raise InputError("polygon file not found", file=str(path))
    if path.suffix.lower() == ".shp":
        geoms = []
        for shape_type, body in _shp_records(path):
            if shape_type in _POLYGON_TYPES:
                geoms.append({"type": "Polygon", "coordinates": _polygon_rings(body)})
            elif shape_type != 0:
                raise InputError(f"shape type {shape_type} is not a polygon", file=str(path))
        return geoms
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read GeoJSON: {error}", file=str(path)) from error
    features = doc.get("features") or [doc]
    geoms = [f.get("geometry", f) for f in features]
    polygons = [g for g in geoms if g and g.get("type") in ("Polygon", "MultiPolygon")]
    if not polygons:
        raise InputError("no Polygon or MultiPolygon geometry found", file=str(path))
    return polygons


def box(left: float, bottom: float, right: float, top: float) -> Geometry:
    """A rectangular polygon in map units."""
    ring = [(left, bottom), (right, bottom), (right, top), (left, top), (left, bottom)]
    return {"type": "Polygon", "coordinates": [ring]}


def _rings(geom: Geometry) -> list[list[tuple[float, float]]]:
    if geom["type"] == "Polygon":
        return [list(map(tuple, r)) for r in geom["coordinates"]]
    return [list(map(tuple, r)) for poly in geom["coordinates"] for r in poly]


def polygons_bounds(geoms: list[Geometry]) -> tuple[float, float, float, float]:
    """(left, bottom, right, top) around all polygons."""
    xy = np.array([pt for g in geoms for ring in _rings(g) for pt in ring], dtype=float)
    return float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()), float(xy[:, 1].max())


def points_in_polygons(x: np.ndarray, y: np.ndarray, geoms: list[Geometry]) -> np.ndarray:
    """Whether each point lies inside any polygon; rings combine even-odd, so holes are excluded."""
    from matplotlib.path import Path as MplPath

    pts = np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])
    inside = np.zeros(len(pts), dtype=bool)
    for geom in geoms:
        hits = np.zeros(len(pts), dtype=int)
        for ring in _rings(geom):
            hits += MplPath(np.asarray(ring, dtype=float)).contains_points(pts)
        inside |= hits % 2 == 1
    return inside


def cells_in_polygons(grid: Any, geoms: list[Geometry]) -> np.ndarray:
    """Boolean grid of the cells whose centre lies inside the polygons (terra's `mask` rule)."""
    xs, ys = grid.centres()
    return points_in_polygons(xs.ravel(), ys.ravel(), geoms).reshape(grid.shape)
