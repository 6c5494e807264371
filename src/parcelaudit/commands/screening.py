"""CLI for restricted-party screening: `lists update`, `lists show`, and `screen`."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from parcelaudit.commands.common import console, progress_bar, rich_text
from parcelaudit.csv_safety import neutralise
from parcelaudit.errors import InputError

lists_app = typer.Typer(
    help="Restricted-party lists: download the official lists, show what is loaded.", no_args_is_help=True
)


def _parse_urls(values: list[str]) -> dict[str, str]:
    urls = {}
    for value in values:
        code, sep, url = value.partition("=")
        if not sep or not url:
            raise InputError(
                f"--url {value!r} is not CODE=URL", field="--url", hint="e.g. --url SDN=https://..."
            )
        urls[code.strip().upper()] = url.strip()
    return urls


@lists_app.command("update")
def lists_update(
    codes: Annotated[
        list[str] | None, typer.Argument(help="Lists to fetch: SDN CSL UN UFLPA WRO (default all).")
    ] = None,
    url: Annotated[
        list[str] | None,
        typer.Option(
            "--url",
            help="Override a source: CODE=URL, or SDN_ALT=URL / SDN_ADD=URL for OFAC companions (repeatable; file:// works).",
        ),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each download.")] = 60.0,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store whose parties are re-screened against what the update changed."),
    ] = None,
) -> None:
    """Download the official lists into the local data folder (URLs configurable) and check that they load."""
    from parcelaudit.reference.list_sources import SOURCES, default_lists, lists_dir, update_list
    from parcelaudit.screening.delta import rescreen_delta

    wanted = [c.upper() for c in codes] if codes else [s.code for s in SOURCES]
    urls = _parse_urls(url or [])
    parties = _stored_parties(db) if db is not None else []
    previous = {lst.code: lst for lst in default_lists()} if db is not None else {}
    changes: list[dict] = []
    table = Table(
        "list",
        "entries",
        "aliases",
        "published",
        "date from",
        "source",
        title=f"Lists updated in {lists_dir()}",
    )
    with progress_bar() as progress:
        task = progress.add_task("downloading lists", total=len(wanted))
        for code in wanted:
            loaded = update_list(code, urls, timeout)
            if db is not None:
                changes += rescreen_delta(previous.get(loaded.code), loaded, parties)
            table.add_row(
                loaded.code,
                str(len(loaded)),
                str(loaded.alias_count),
                loaded.snapshot_date or "?",
                loaded.date_basis or "?",
                loaded.source,
            )
            progress.advance(task)
    console.print(table)
    if db is not None:
        delta = Table(
            "party",
            "country",
            "list",
            "entry",
            "change",
            "score",
            title=f"Parties in {db} whose hits changed",
        )
        for row in changes:
            delta.add_row(
                rich_text(str(row["name"])),
                row["country"] or "",
                str(row["list"]),
                str(row["entry_id"]),
                str(row["change"]),
                f"{row['score']:.2f}",
            )
        console.print(
            delta if changes else f"no stored party's hits changed ({len(parties)} parties re-screened)"
        )


def _stored_parties(db: str) -> list[tuple[str, str | None]]:
    """Distinct (name, country) of every party role in the store."""
    from parcelaudit.rules.parties import PARTY_COLUMNS
    from parcelaudit.store import Store, store_exists
    from parcelaudit.store.checks import stored_parties

    if not store_exists(db):
        raise InputError("store not found", file=str(db), hint="ingest data first, or leave out --db")
    roles = [(source, name, country) for _, source, name, _, country, _ in PARTY_COLUMNS]
    with Store.open(db, read_only=True) as store:
        table = stored_parties(store, roles)
    return list(zip(table.column("name").to_pylist(), table.column("country").to_pylist(), strict=True))


def _load_lists(files: list[Path] | None):
    from parcelaudit.reference.list_sources import default_lists
    from parcelaudit.screening import load_list

    return [load_list(f) for f in files] if files else default_lists()


ListOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--list", help="List file to use (repeatable; format detected). Default: downloaded + bundled."
    ),
]


@lists_app.command("show")
def lists_show(lists: ListOption = None) -> None:
    """Print the lists a screening run would use: entries, aliases, source, snapshot date and age."""
    from parcelaudit.screening.report import snapshot_label

    table = Table(
        "list",
        "entries",
        "aliases",
        "snapshot",
        "age (days)",
        "source",
        "note",
        title="Restricted lists",
    )
    for loaded in _load_lists(lists):
        age = loaded.age_days()
        table.add_row(
            loaded.code,
            str(len(loaded)),
            str(loaded.alias_count),
            snapshot_label(loaded),
            "?" if age is None else str(age),
            loaded.source,
            loaded.note or "",
        )
    console.print(table)


def _read_names(path: Path) -> list[tuple[str, str | None]]:
    if not path.exists():
        raise InputError("names file not found", file=str(path), hint="check the path")
    text = path.read_text(encoding="utf-8-sig")
    first = text.splitlines()[0].lower() if text.strip() else ""
    if "name" in [c.strip() for c in first.split(",")]:
        rows = list(csv.DictReader(text.splitlines()))
        key = next(k for k in rows[0] if k and k.strip().lower() == "name") if rows else "name"
        country_key = next(
            (k for k in (rows[0] if rows else {}) if k and k.strip().lower() == "country"), None
        )
        return [
            (r[key].strip(), (r.get(country_key) or "").strip() or None if country_key else None)
            for r in rows
            if (r.get(key) or "").strip()
        ]
    return [(line.strip(), None) for line in text.splitlines() if line.strip()]


def screen(
    out: Annotated[
        Path,
        typer.Option("--out", help="CSV of hits: query, list, entry_id, matched_name, score, explanation."),
    ],
    name: Annotated[str | None, typer.Option("--name", help="One name to screen.")] = None,
    names: Annotated[
        Path | None,
        typer.Option(
            "--names", help="File of names: CSV with a name (and country) column, or one name per line."
        ),
    ] = None,
    lists: ListOption = None,
    country: Annotated[str | None, typer.Option(help="Country (ISO alpha-2) of the --name party.")] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Score needed for a hit (default MATCH_THRESHOLD).")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write screening_report.html and .pdf into this folder."),
    ] = None,
    review_band: Annotated[
        float | None,
        typer.Option(
            "--review-band",
            help="Also write near misses this far below the threshold, marked band=review (default REVIEW_BAND).",
        ),
    ] = None,
    dispositions: Annotated[
        Path | None,
        typer.Option(
            "--dispositions",
            help="CSV of analysts' decisions: a false positive is left out while its list entry is unchanged.",
        ),
    ] = None,
) -> None:
    """Screen one name or a file of names against the restricted lists; write every hit with its explanation."""
    from parcelaudit.screening import MATCH_THRESHOLD, REVIEW_BAND, Screener
    from parcelaudit.screening.dispositions import apply_dispositions, load_dispositions

    if (name is None) == (names is None):
        raise InputError(
            "give exactly one of --name or --names", field="--name", hint="e.g. --name 'Acme Co Ltd'"
        )
    queries = [(name, country)] if name is not None else _read_names(names)
    loaded = _load_lists(lists)
    screener = Screener(loaded, threshold=MATCH_THRESHOLD if threshold is None else threshold)
    band = REVIEW_BAND if review_band is None else review_band
    if not 0.0 <= band < screener.threshold:
        raise InputError(
            f"--review-band {band} is outside 0..threshold",
            field="--review-band",
            hint="e.g. --review-band 0.15",
        )
    decided = load_dispositions(dispositions) if dispositions is not None else []
    out.parent.mkdir(parents=True, exist_ok=True)
    per_list: dict[str, int] = {}
    screened_with_hit = suppressed = near = 0
    all_hits = []
    with out.open("w", newline="", encoding="utf-8") as handle, progress_bar() as progress:
        writer = csv.writer(handle)
        writer.writerow(
            ["query", "list", "entry_id", "matched_name", "score", "band", "disposition", "explanation"]
        )
        # Names come from users and lists: a cell a spreadsheet would run is neutralised.
        task = progress.add_task("screening", total=len(queries))
        for query, query_country in queries:
            found = screener.screen(query, query_country, min_score=screener.threshold - band)
            kept, dropped = apply_dispositions(query, found, decided)
            suppressed += dropped
            hits = [h for h, _ in kept if h.score >= screener.threshold]
            screened_with_hit += bool(hits)
            all_hits.extend((query, hit) for hit in hits)
            for hit, decision in kept:
                in_band = "hit" if hit.score >= screener.threshold else "review"
                near += in_band == "review"
                row = [
                    query,
                    hit.list,
                    hit.entry_id,
                    hit.matched_name,
                    f"{hit.score:.4f}",
                    in_band,
                    decision,
                    hit.explanation,
                ]
                writer.writerow([neutralise(cell) for cell in row])
                if in_band == "hit":
                    per_list[hit.list] = per_list.get(hit.list, 0) + 1
            progress.advance(task)
    table = Table(
        "list", "hits", title=f"{len(queries)} names screened, {screened_with_hit} with a hit -> {out}"
    )
    for code in sorted(per_list):
        table.add_row(code, str(per_list[code]))
    console.print(table)
    console.print(
        f"{near} near misses in the review band ({screener.threshold - band:.2f} to {screener.threshold:.2f})"
        + (f"; {suppressed} hits left out as false positives already decided" if decided else "")
    )
    # Which list snapshots (source, date, SHA-256) these hits came from, beside the hits.
    used = out.with_name(f"{out.stem}_lists.json")
    used.write_text(json.dumps(screener.snapshots(), indent=2) + "\n", encoding="utf-8")
    if report is not None:
        from parcelaudit.screening.report import write_report

        html, pdf = write_report(report, all_hits, loaded, len(queries), screener.threshold)
        console.print(f"report: {rich_text(html)} and {rich_text(pdf)}")


def screen_dispose(
    name: Annotated[str, typer.Option("--name", help="The screened name, as in hits.csv's query column.")],
    list_code: Annotated[str, typer.Option("--list-code", help="The hit's list (SDN, UN, UFLPA...).")],
    entry_id: Annotated[str, typer.Option("--entry-id", help="The hit's entry_id.")],
    verdict: Annotated[str, typer.Option("--verdict", help="true_match, false_positive or unsure.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the decision).")],
    who: Annotated[str, typer.Option("--who", help="Who decided.")],
    dispositions: Annotated[Path, typer.Option("--dispositions", help="Dispositions CSV to append to.")],
    lists: ListOption = None,
) -> None:
    """Record an analyst's decision on a hit, with the list entry's content hash, for later runs to honour."""
    from parcelaudit.screening.dispositions import record_disposition

    entry = next(
        (
            e
            for lst in _load_lists(lists)
            for e in lst.entries
            if e.list_code == list_code.upper() and e.entry_id == entry_id
        ),
        None,
    )
    if entry is None:
        raise InputError(
            f"no entry {entry_id!r} on list {list_code!r}",
            field="--entry-id",
            hint="copy list and entry_id from hits.csv (and --list the same files)",
        )
    decision = record_disposition(dispositions, name, entry, verdict, reason, who)
    console.print(
        f"recorded {decision.verdict} for {name!r} / {entry.list_code} {entry.entry_id} -> {dispositions}"
    )


def register(app: typer.Typer) -> None:
    """Add `lists` (update, show), `screen` and `screen-dispose` to the main app."""
    app.add_typer(lists_app, name="lists")
    app.command("screen")(screen)
    app.command("screen-dispose")(screen_dispose)
