"""`parcelaudit origin ...`: verify claimed origins, map origin probability, assess assignment quality."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import console, progress_bar, rich_text

OutOption = Annotated[Path, typer.Option("--out", help="Folder for the report (HTML + PDF) and outputs.")]
IsoscapeOption = Annotated[
    Path | None,
    typer.Option("--isoscape", help="GeoTIFF isoscape: band 1 mean, band 2 one standard deviation."),
]
MarkerOption = Annotated[str, typer.Option("--marker", help="Marker the isoscape predicts (e.g. d2H, d18O).")]
MaskOption = Annotated[
    Path | None,
    typer.Option("--mask", help="Polygons (.shp or GeoJSON) limiting calibration sites and the map."),
]
RegionOption = Annotated[
    Path | None,
    typer.Option("--region", help="Polygons (.shp or GeoJSON) of the claimed region for odds ratios."),
]

origin_app = typer.Typer(
    help="Origin verification from isotope and trace-element lab results.", no_args_is_help=True
)


def _polygons(path: Path | None):
    from parcelaudit.origin.shapes import read_polygons

    return read_polygons(path) if path else None


def _print_report(html: Path, pdf: Path) -> None:
    console.print(f"report: {rich_text(html)}\n        {rich_text(pdf)}")


@origin_app.command("verify")
def verify_command(
    results: Annotated[Path, typer.Argument(help="Lab results CSV: sample_id, markers, optional claimed.")],
    reference: Annotated[Path, typer.Option("--reference", help="Known-origin reference samples CSV.")],
    out: OutOption,
    claimed: Annotated[
        str | None,
        typer.Option("--claimed", help="Claimed origin group; default: the results' claimed column."),
    ] = None,
    confidence: Annotated[
        float, typer.Option("--confidence", help="Confidence of the typicality test.")
    ] = 0.99,
    group_by: Annotated[
        str, typer.Option("--group-by", help="Reference column naming the groups.")
    ] = "country",
    isoscape: IsoscapeOption = None,
    marker: MarkerOption = "d2H",
    mask: MaskOption = None,
    region: RegionOption = None,
    validate: Annotated[
        bool,
        typer.Option("--validate/--no-validate", help="Add cross-validated error rates of the reference."),
    ] = False,
) -> None:
    """Is each sample consistent with its claimed origin? Verdicts, group comparison, optional map."""
    from parcelaudit.origin.raster import read_isoscape
    from parcelaudit.origin.samples import read_samples
    from parcelaudit.origin.workflow import run_origin
    from parcelaudit.reports.origin_report import write_verify_report

    with progress_bar() as progress:
        task = progress.add_task("verifying", total=3)
        iso = read_isoscape(isoscape, marker=marker) if isoscape else None
        run = run_origin(
            read_samples(results),
            read_samples(reference),
            claimed=claimed,
            confidence=confidence,
            group_by=group_by,
            isoscape=iso,
            marker=marker,
            mask=_polygons(mask),
            region=_polygons(region),
            validate=validate,
        )
        progress.advance(task, 2)
        html, pdf = write_verify_report(run, out)
        progress.advance(task)
    table = Table(title="Origin verdicts")
    for column in ("sample", "claimed", "verdict", "p", "P(claimed)", "best alternative"):
        table.add_column(column)
    for v in run.verdicts:
        style = "green" if v.consistent else "red"
        table.add_row(
            rich_text(v.sample_id),
            rich_text(v.claimed),
            f"[{style}]{v.label}[/]",
            f"{v.p_value:.3g}",
            f"{v.posterior.get(v.claimed, 0):.3f}",
            v.best_alternative or "",
        )
    console.print(table)
    _print_report(html, pdf)


@origin_app.command("assign")
def assign_command(
    results: Annotated[Path, typer.Argument(help="Lab results CSV with the marker column.")],
    isoscape: Annotated[Path, typer.Option("--isoscape", help="GeoTIFF isoscape (band 1 mean, band 2 sd).")],
    out: OutOption,
    known: Annotated[
        Path | None, typer.Option("--known", help="Known-origin CSV to calibrate the isoscape with.")
    ] = None,
    marker: MarkerOption = "d2H",
    mask: MaskOption = None,
    region: RegionOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the calibration's Monte-Carlo sd term.")] = 100,
) -> None:
    """Probability-of-origin maps (GeoTIFF + report); calibrates first when --known is given."""
    from parcelaudit.origin.assignment import assign, odds_ratio
    from parcelaudit.origin.calibration import calibrate
    from parcelaudit.origin.raster import read_isoscape, write_layers
    from parcelaudit.origin.samples import read_samples
    from parcelaudit.origin.shapes import cells_in_polygons
    from parcelaudit.origin.workflow import is_simulated
    from parcelaudit.reports.origin_report import write_assign_report

    table = read_samples(results)
    # Check the results before the calibration's work (and its calibrated_isoscape.tif) is done.
    if marker not in table.column_names:
        from parcelaudit.errors import InputError

        raise InputError(f"no {marker} column", file=str(results), field=marker, hint="use --marker")
    iso = read_isoscape(isoscape, marker=marker)
    known_table = read_samples(known) if known else None
    calibration = None
    if known_table is not None:
        calibration = calibrate(known_table, iso, mask=_polygons(mask), marker=marker, seed=seed)
        iso = calibration.isoscape
        write_layers(out / "calibrated_isoscape.tif", [iso.mean, iso.sd], iso.grid, ["mean", "sd"])
    post = assign(iso, table[marker].to_numpy(zero_copy_only=False), ids=table["sample_id"].to_pylist())
    tif = write_layers(out / "posterior.tif", list(post.maps), post.grid, post.ids)
    polygons = _polygons(region)
    regions = odds = None
    if polygons:
        cells = cells_in_polygons(post.grid, polygons)
        regions = [cells] * len(post.ids)
        odds = [odds_ratio(m, cells) for m in post.maps]
    simulated = is_simulated(*(t for t in (table, known_table) if t is not None))
    html, pdf = write_assign_report(post, out, calibration, regions, odds, known_table, simulated)
    if calibration is not None:
        console.print(json.dumps(calibration.summary(), indent=2))
    console.print(f"posterior maps: {rich_text(tif)}")
    _print_report(html, pdf)


@origin_app.command("qa")
def qa_command(
    known: Annotated[
        Path, typer.Option("--known", help="Known-origin CSV (lat, lon, marker, marker_sd, site_id).")
    ],
    isoscape: Annotated[Path, typer.Option("--isoscape", help="GeoTIFF isoscape (band 1 mean, band 2 sd).")],
    out: OutOption,
    marker: MarkerOption = "d2H",
    by: Annotated[int, typer.Option("--by", help="Threshold step in percent (1-25).")] = 5,
    recal: Annotated[
        bool, typer.Option("--recal/--no-recal", help="Recalibrate without the held-out sites (recommended).")
    ] = True,
    val_sites: Annotated[int, typer.Option("--val-sites", help="Sites held out per iteration.")] = 1,
    mask: MaskOption = None,
) -> None:
    """Held-out validation of isoscape assignment: curves, density at origin vs random."""
    from parcelaudit.origin.qa import qa
    from parcelaudit.origin.raster import read_isoscape
    from parcelaudit.origin.samples import read_samples
    from parcelaudit.reports.origin_report import write_qa_report

    with progress_bar() as progress:
        task = progress.add_task("validating", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        result = qa(
            read_samples(known),
            read_isoscape(isoscape, marker=marker),
            by=by,
            recal=recal,
            mask=_polygons(mask),
            marker=marker,
            val_sites=val_sites,
            progress=tick,
        )
    out.mkdir(parents=True, exist_ok=True)
    (out / "qa_curves.json").write_text(json.dumps(result.curves(), indent=2))
    html, pdf = write_qa_report(result, out, str(known))
    table = Table(title="QA summary")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in result.summary().items():
        table.add_row(key, f"{value:.4g}")
    console.print(table)
    _print_report(html, pdf)


@origin_app.command("simulate")
def simulate_command(
    out: OutOption,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 42,
) -> None:
    """Write the SIMULATED cotton reference set, three lab results and a synthetic d2H isoscape."""
    from parcelaudit.origin.simulated import write_simulated

    for name, path in write_simulated(out, seed=seed).items():
        console.print(f"{rich_text(name)}: {rich_text(path)}")


def register(app: typer.Typer) -> None:
    """Add the `origin` command group."""
    app.add_typer(origin_app, name="origin")
