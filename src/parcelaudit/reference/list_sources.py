"""Official download locations of the restricted lists, `lists update`, and the lists a run uses by default.

URLs are settings: override one with PARCELAUDIT_LIST_URL_<CODE> (e.g. PARCELAUDIT_LIST_URL_SDN) or with
`parcelaudit lists update --url CODE=URL`. Downloads go to <user data dir>/lists/<CODE>/ with a
manifest recording the URL, time and SHA-256; the bundled partial UFLPA/WRO snapshot is the fallback.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from parcelaudit.errors import ReferenceDataError
from parcelaudit.paths import user_data_dir
from parcelaudit.reference.lists import detect_format, load_bundled_lists, load_list
from parcelaudit.screening.model import RestrictedList


@dataclass(frozen=True)
class ListSource:
    """Where one list is published: its code, the files to fetch (name, URL) and the format to read."""

    code: str
    files: tuple[tuple[str, str], ...]
    format: str
    doc: str
    # Other formats accepted for this list when the URL points at one (our UFLPA CSV with its aliases column).
    also: tuple[str, ...] = ()


SOURCES: tuple[ListSource, ...] = (
    ListSource(
        "SDN",
        (
            ("sdn.csv", "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN.CSV"),
            ("alt.csv", "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ALT.CSV"),
            ("add.csv", "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADD.CSV"),
        ),
        "sdn",
        "OFAC SDN legacy CSV with aliases (ALT) and addresses (ADD)",
    ),
    ListSource(
        "CSL",
        (("csl.csv", "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv"),),
        "csl",
        "trade.gov Consolidated Screening List CSV",
    ),
    ListSource(
        "UN",
        (("un.xml", "https://scsanctions.un.org/resources/xml/en/consolidated.xml"),),
        "un",
        "UN Security Council consolidated list XML",
    ),
    ListSource(
        "UFLPA",
        (("uflpa.html", "https://www.dhs.gov/uflpa-entity-list"),),
        "uflpa_dhs",
        "DHS UFLPA Entity List page (tables per section)",
        ("uflpa",),
    ),
    ListSource(
        "WRO",
        (("wro.csv", "https://www.cbp.gov/document/stats/withhold-release-orders-and-findings-list"),),
        "wro",
        "CBP Withhold Release Orders and Findings list (CSV; set the URL of the current file)",
    ),
)


def _url_key(source: ListSource, filename: str) -> str:
    """How a file's URL is named in overrides: CODE for the list's own file, CODE_<STEM> for a companion file
    (OFAC's ALT and ADD: SDN_ALT, SDN_ADD)."""
    return source.code if filename == source.files[0][0] else f"{source.code}_{Path(filename).stem.upper()}"


def source_url(code: str, filename: str, default: str) -> str:
    """The URL to fetch one file from: the environment override for the file when set, else the default."""
    source = next(s for s in SOURCES if s.code == code)
    return os.environ.get(f"PARCELAUDIT_LIST_URL_{_url_key(source, filename)}") or default


def lists_dir() -> Path:
    """Folder holding downloaded lists, one subfolder per list code."""
    return user_data_dir() / "lists"


def _fetch(url: str, target: Path, timeout: float) -> tuple[str, str | None]:
    """Download url to target; return its SHA-256 and the server's Last-Modified date (http(s) only)."""
    request = urllib.request.Request(url, headers={"User-Agent": "parcelaudit (restricted-party screening)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read()
            header = response.headers.get("Last-Modified") if url.lower().startswith("http") else None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ReferenceDataError(
            f"cannot download {url}: {reason}",
            file=str(target),
            hint="check the network, or pass --url CODE=URL / a local file with --list",
        ) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    partial.write_bytes(data)
    partial.replace(target)
    modified = None
    if header:
        try:
            modified = email.utils.parsedate_to_datetime(header).date().isoformat()
        except (TypeError, ValueError):
            modified = None
    return hashlib.sha256(data).hexdigest(), modified


def _format(source: ListSource, path: Path) -> str:
    """The format of a downloaded file: the source's own, or another this list is published in."""
    try:
        found = detect_format(path)
    except ReferenceDataError:
        return source.format
    return found if found in source.also else source.format


def update_list(code: str, urls: dict[str, str] | None = None, timeout: float = 60.0) -> RestrictedList:
    """Download one list from its official source, check it loads, and record a manifest beside it."""
    source = next((s for s in SOURCES if s.code == code.upper()), None)
    if source is None:
        raise ReferenceDataError(
            f"unknown list {code!r}", hint=f"use one of {', '.join(s.code for s in SOURCES)}"
        )
    folder = lists_dir() / source.code
    manifest = {
        "code": source.code,
        "downloaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": [],
    }
    urls = urls or {}
    modified = None
    for filename, default in source.files:
        url = urls.get(_url_key(source, filename)) or source_url(source.code, filename, default)
        digest, last_modified = _fetch(url, folder / filename, timeout)
        modified = modified or last_modified
        manifest["files"].append({"name": filename, "url": url, "sha256": digest})
    main = folder / source.files[0][0]
    manifest["format"] = _format(source, main)
    loaded = load_list(main, manifest["format"])
    # The source's own publication date: in the file where it says (UN dateGenerated, the DHS page's Last
    # Updated), else the server's Last-Modified, else only the download date, said so.
    if loaded.date_basis not in (None, "date in the file name"):
        manifest["published"], manifest["date_basis"] = loaded.snapshot_date, loaded.date_basis
    elif modified:
        manifest["published"], manifest["date_basis"] = modified, "the server's Last-Modified header"
    else:
        manifest["published"] = None
        manifest["date_basis"] = "download date (the source gives no publication date)"
    manifest["entries"] = len(loaded)
    manifest["aliases"] = loaded.alias_count
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return _stamp(loaded, manifest)


def _stamp(loaded: RestrictedList, manifest: dict) -> RestrictedList:
    loaded.source = f"{loaded.source}, downloaded from {manifest['files'][0]['url']}"
    loaded.snapshot_date = manifest.get("published") or manifest["downloaded_at"][:10]
    loaded.date_basis = manifest.get("date_basis") or "download date"
    loaded.extra["downloaded_at"] = manifest["downloaded_at"]
    return loaded


def installed_lists() -> list[RestrictedList]:
    """Lists previously downloaded with `lists update`, each stamped with its source URL and date."""
    out = []
    for source in SOURCES:
        manifest_path = lists_dir() / source.code / "manifest.json"
        if manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            main = manifest_path.parent / source.files[0][0]
            out.append(_stamp(load_list(main, manifest.get("format") or source.format), manifest))
    return out


def default_lists() -> list[RestrictedList]:
    """Downloaded lists where present; the bundled UFLPA/WRO snapshot for the lists not downloaded."""
    lists = installed_lists()
    have = {lst.code for lst in lists}
    return lists + [lst for lst in load_bundled_lists() if lst.code not in have]
