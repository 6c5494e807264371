"""Isoscape grids: read and write GeoTIFFs (mean and sd bands), locate points, extract and crop cells."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from affine import Affine

from parcelaudit.errors import InputError

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: affine transform, (rows, cols) shape and CRS (WKT or EPSG string)."""

    transform: Affine
    shape: tuple[int, int]
    crs: str = WGS84

    def fractional_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Continuous (row, col) positions of map coordinates; cell (r, c) spans [r, r+1) x [c, c+1)."""
        inverse = ~self.transform
        cols, rows = inverse @ (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        return np.asarray(rows, dtype=float), np.asarray(cols, dtype=float)

    def cell_index(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point, and whether the point is on the grid."""
        rows, cols = self.fractional_index(x, y)
        r = np.floor(rows).astype(int)
        c = np.floor(cols).astype(int)
        inside = (r >= 0) & (r < self.shape[0]) & (c >= 0) & (c < self.shape[1])
        return r, c, inside

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in map units."""
        t = self.transform
        return t.c, t.f + t.e * self.shape[0], t.c + t.a * self.shape[1], t.f

    def centres(self) -> tuple[np.ndarray, np.ndarray]:
        """x and y of every cell centre, each shaped like the grid."""
        rows, cols = np.mgrid[0 : self.shape[0], 0 : self.shape[1]]
        xs, ys = self.transform @ (cols + 0.5, rows + 0.5)
        return np.asarray(xs), np.asarray(ys)


@dataclass(frozen=True)
class Isoscape:
    """A gridded prediction of one marker: mean and 1-sd layers (float64, NaN where undefined)."""

    mean: np.ndarray
    sd: np.ndarray
    grid: Grid
    marker: str = "value"

    def valid(self) -> np.ndarray:
        """Cells where both the mean and the sd are defined."""
        return ~np.isnan(self.mean) & ~np.isnan(self.sd)


def read_isoscape(path: Path, marker: str | None = None, mean_band: int = 1, sd_band: int = 2) -> Isoscape:
    """Read a two-band GeoTIFF (mean, sd) as an Isoscape; nodata becomes NaN."""
    import rasterio

    path = Path(path)
    if not path.exists():
        raise InputError(
            "isoscape file not found", file=str(path), hint="give a GeoTIFF with mean and sd bands"
        )
    with rasterio.open(path) as src:
        if src.count < max(mean_band, sd_band):
            raise InputError(
                f"isoscape has {src.count} band(s), needs a mean band {mean_band} and an sd band {sd_band}",
                file=str(path),
                hint="use a two-band GeoTIFF (band 1 mean, band 2 one standard deviation)",
            )
        layers = []
        for band in (mean_band, sd_band):
            values = src.read(band).astype(np.float64)
            if src.nodata is not None and not np.isnan(src.nodata):
                values[values == src.nodata] = np.nan
            layers.append(values)
        crs = src.crs.to_wkt() if src.crs else WGS84
        if src.crs and src.crs.to_epsg() == 4326:
            crs = WGS84
        grid = Grid(src.transform, (src.height, src.width), crs)
        name = marker or (src.descriptions[mean_band - 1] or path.stem)
    return Isoscape(layers[0], layers[1], grid, name)


def write_layers(path: Path, layers: list[np.ndarray], grid: Grid, names: list[str]) -> Path:
    """Write float32 layers to a GeoTIFF with band descriptions (NaN is nodata)."""
    import rasterio

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "height": grid.shape[0],
        "width": grid.shape[1],
        "count": len(layers),
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.transform,
        "nodata": np.nan,
    }
    with rasterio.open(path, "w", **profile) as dst:
        for band, (layer, name) in enumerate(zip(layers, names, strict=True), start=1):
            dst.write(layer.astype(np.float32), band)
            dst.set_band_description(band, name)
    return path


def to_grid_crs(grid: Grid, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 longitudes/latitudes into the grid's CRS (identity for a WGS84 grid)."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    if grid.crs == WGS84:
        return lon, lat
    from rasterio.warp import transform

    xs, ys = transform(WGS84, grid.crs, lon.tolist(), lat.tolist())
    return np.asarray(xs), np.asarray(ys)


def extract_cells(layer: np.ndarray, grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Value of the cell holding each point (NaN off the grid): terra's `extract(method = "simple")`."""
    r, c, inside = grid.cell_index(x, y)
    out = np.full(r.shape, np.nan)
    out[inside] = layer[r[inside], c[inside]]
    return out


def extract_bilinear(layer: np.ndarray, grid: Grid, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Bilinear interpolation between the four nearest cell centres, as terra's `method = "bilinear"`.

    Interpolates along each of the two rows first, then between the rows. A missing neighbour
    (grid edge or NaN) leaves its row the other cell's value; a row with no value leaves the other
    row's; all four missing gives NaN. This is the rule that reproduces assignR's regression inputs
    for known sites beside missing cells (Lanius ludovicianus reference, tested).
    """
    rows, cols = grid.fractional_index(x, y)
    fr, fc = rows - 0.5, cols - 0.5
    r0, c0 = np.floor(fr).astype(int), np.floor(fc).astype(int)
    dr, dc = fr - r0, fc - c0
    row_values = []
    for ar in (0, 1):
        pair = [_neighbour(layer, grid, r0 + ar, c0 + ac) for ac in (0, 1)]
        row_values.append(_blend(pair[0], pair[1], dc))
    return _blend(row_values[0], row_values[1], dr)


def _neighbour(layer: np.ndarray, grid: Grid, rr: np.ndarray, cc: np.ndarray) -> np.ndarray:
    ok = (rr >= 0) & (rr < grid.shape[0]) & (cc >= 0) & (cc < grid.shape[1])
    values = np.full(rr.shape, np.nan)
    values[ok] = layer[rr[ok], cc[ok]]
    return values


def _blend(first: np.ndarray, second: np.ndarray, t: np.ndarray) -> np.ndarray:
    """(1 - t) * first + t * second, falling back to whichever side is defined."""
    out = (1 - t) * first + t * second
    out = np.where(np.isnan(first), second, out)
    return np.where(np.isnan(second), first, out)


def crop(isoscape: Isoscape, bounds: tuple[float, float, float, float]) -> Isoscape:
    """Crop to (left, bottom, right, top), snapping each edge to the nearest cell edge like terra's crop."""
    t = isoscape.grid.transform
    left, bottom, right, top = bounds
    c0 = max(0, round((left - t.c) / t.a))
    c1 = min(isoscape.grid.shape[1], round((right - t.c) / t.a))
    r0 = max(0, round((top - t.f) / t.e))
    r1 = min(isoscape.grid.shape[0], round((bottom - t.f) / t.e))
    if c1 <= c0 or r1 <= r0:
        raise InputError(
            "the mask does not overlap the isoscape", hint="use a mask inside the isoscape's extent"
        )
    grid = Grid(t @ Affine.translation(c0, r0), (r1 - r0, c1 - c0), isoscape.grid.crs)
    return replace(
        isoscape, mean=isoscape.mean[r0:r1, c0:c1].copy(), sd=isoscape.sd[r0:r1, c0:c1].copy(), grid=grid
    )
