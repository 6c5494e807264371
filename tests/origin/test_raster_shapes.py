"""Grids, extraction, cropping, GeoTIFF round trips, polygons and shapefiles."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from affine import Affine

from parcelaudit.errors import ParcelAuditError
from parcelaudit.origin.raster import (
    Grid,
    Isoscape,
    crop,
    extract_bilinear,
    extract_cells,
    read_isoscape,
    write_layers,
)
from parcelaudit.origin.shapes import box, cells_in_polygons, points_in_polygons, read_polygons

GRID = Grid(Affine(1.0, 0, 0.0, 0, -1.0, 3.0), (3, 4))  # x 0..4, y 0..3
LAYER = np.arange(12, dtype=float).reshape(3, 4)


def test_cell_extraction_and_off_grid():
    values = extract_cells(LAYER, GRID, np.array([0.5, 3.9, 5.0]), np.array([2.5, 0.1, 1.0]))
    assert values[0] == 0 and values[1] == 11 and np.isnan(values[2])


def test_bilinear_between_centres_and_missing_neighbour():
    # Halfway between centres of cells (0,0)=0 and (0,1)=1 and rows 0/1 (+4): mean of 0,1,4,5.
    assert extract_bilinear(LAYER, GRID, np.array([1.0]), np.array([2.0]))[0] == pytest.approx(2.5)
    holed = LAYER.copy()
    holed[0, 0] = np.nan
    # Rows first: the top row falls back to its defined cell (1), the bottom row is 4.5.
    assert extract_bilinear(holed, GRID, np.array([1.0]), np.array([2.0]))[0] == pytest.approx(2.75)
    # Half a cell beyond the edge there is one row only.
    assert extract_bilinear(LAYER, GRID, np.array([0.5]), np.array([2.9]))[0] == pytest.approx(0.0)
    assert extract_bilinear(LAYER, GRID, np.array([0.5]), np.array([2.5]))[0] == pytest.approx(0.0)


def test_crop_snaps_to_nearest_edge():
    iso = Isoscape(LAYER, LAYER + 1, GRID, "d2H")
    cut = crop(iso, (0.2, 0.4, 2.6, 3.0))  # right edge 2.6 snaps to 3, bottom 0.4 to 0
    assert cut.grid.shape == (3, 3)
    assert cut.mean[0, 2] == 2
    with pytest.raises(ParcelAuditError):
        crop(iso, (10, 10, 11, 11))


def test_geotiff_round_trip(tmp_path):
    path = write_layers(tmp_path / "iso.tif", [LAYER, LAYER / 2], GRID, ["mean", "sd"])
    iso = read_isoscape(path, marker="d2H")
    assert iso.grid.shape == GRID.shape and iso.marker == "d2H"
    assert np.allclose(iso.mean, LAYER) and np.allclose(iso.sd, LAYER / 2)
    with pytest.raises(ParcelAuditError, match="not found"):
        read_isoscape(tmp_path / "missing.tif")


def test_polygon_with_hole_and_cells(tmp_path):
    outer = [(0, 0), (4, 0), (4, 3), (0, 3), (0, 0)]
    hole = [(1, 1), (2, 1), (2, 2), (1, 2), (1, 1)]
    path = tmp_path / "region.geojson"
    path.write_text(
        json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [outer, hole]}})
    )
    geoms = read_polygons(path)
    inside = points_in_polygons(np.array([0.5, 1.5, 5.0]), np.array([0.5, 1.5, 1.0]), geoms)
    assert inside.tolist() == [True, False, False]
    cells = cells_in_polygons(GRID, [box(0, 0, 2, 3)])
    assert cells.sum() == 6 and cells[:, :2].all()


def _write_polygon_shapefile(path, ring):
    pts = np.asarray(ring, dtype="<f8")
    body = (
        struct.pack("<i4d2i", 5, *pts.min(0), *pts.max(0), 1, len(pts)) + struct.pack("<i", 0) + pts.tobytes()
    )
    record = struct.pack(">2i", 1, len(body) // 2) + body
    header = struct.pack(">7i", 9994, 0, 0, 0, 0, 0, (100 + len(record)) // 2) + struct.pack("<2i", 1000, 5)
    header += struct.pack("<4d", *pts.min(0), *pts.max(0)) + b"\0" * 32
    path.write_bytes(header + record)


def test_shapefile_polygon_reader(tmp_path):
    ring = [(0, 0), (0, 2), (2, 2), (2, 0), (0, 0)]
    _write_polygon_shapefile(tmp_path / "sq.shp", ring)
    geoms = read_polygons(tmp_path / "sq.shp")
    assert len(geoms) == 1
    assert points_in_polygons(np.array([1.0, 3.0]), np.array([1.0, 1.0]), geoms).tolist() == [True, False]
