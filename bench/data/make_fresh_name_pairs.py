"""Build bench/data/fresh_name_pairs.csv: labelled name pairs from the UN Security Council consolidated list.

A fresh labelled set beside ../shared/data/screening/name_pairs_dev.csv (issue 13), made from what the list
publisher itself says, not from our matcher:

- match: an entry's name against one of its own aliases. The UN list grades individuals' aliases "Good" or
  "Low" quality and marks entities' aliases "a.k.a." or "f.k.a.". Labels (how far a name alone can tell, judged
  by rapidfuzz's token_sort_ratio, not by our matcher): a Good alias or a.k.a. that is a written variant of the
  name (ratio >= 85: reordering, transliteration, a dropped name) is STRONG; one that shares part of the name
  (ratio >= 50) is MEDIUM; the rest (noms de guerre, nicknames, translations: Omar Hammami / Abu Mansur
  Al-Amriki), a Low alias and an f.k.a. are WEAK: the list says they are one party, the names cannot.
- non-match: the primary names of two different entries of the same kind that look alike (token_sort_ratio >=
  80) and share no alias. MEDIUM, never STRONG: a name alone cannot rule out that two entries name one party.

Usage: python bench/data/make_fresh_name_pairs.py UN_XML [OUT]. Sampled with a fixed seed (SEED), so the same
list file gives the same set.
"""

from __future__ import annotations

import csv
import random
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from rapidfuzz import fuzz, process

SEED = 13
MATCHES = 400
NON_MATCHES = 300
VARIANT_RATIO = 85
SHARED_RATIO = 50
NEAR_RATIO = 80


def _text(node, tag: str) -> str:
    found = node.find(tag)
    return (found.text or "").strip() if found is not None else ""


def _entries(path: Path) -> list[dict]:
    root = ET.parse(path).getroot()
    entries = []
    for kind, alias_tag in (("INDIVIDUAL", "INDIVIDUAL_ALIAS"), ("ENTITY", "ENTITY_ALIAS")):
        for node in root.iter(kind):
            parts = [_text(node, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            name = " ".join(p for p in parts if p)
            aliases = []
            for alias in node.iter(alias_tag):
                alias_name, quality = _text(alias, "ALIAS_NAME"), _text(alias, "QUALITY")
                if alias_name and quality and alias_name.lower() != name.lower():
                    aliases.append((alias_name, quality))
            if name:
                entries.append(
                    {
                        "id": _text(node, "REFERENCE_NUMBER") or _text(node, "DATAID"),
                        "schema": "Person" if kind == "INDIVIDUAL" else "Organization",
                        "name": name,
                        "aliases": aliases,
                    }
                )
    return entries


def _quality(name: str, alias: str, grade: str) -> str:
    if grade in ("Low", "f.k.a."):
        return "WEAK"
    ratio = fuzz.token_sort_ratio(name.lower(), alias.lower())
    return "STRONG" if ratio >= VARIANT_RATIO else "MEDIUM" if ratio >= SHARED_RATIO else "WEAK"


def build(un_xml: Path) -> list[dict]:
    rng = random.Random(SEED)
    entries = _entries(un_xml)
    matches = [
        {
            "case_group": "un_alias",
            "schema": e["schema"],
            "name1": e["name"],
            "name2": alias,
            "is_match": "true",
            "quality": _quality(e["name"], alias, grade),
            "category": grade,
            "notes": f"UN {e['id']}: alias ({grade}) of the entry",
        }
        for e in entries
        for alias, grade in e["aliases"]
    ]
    rng.shuffle(matches)
    near = []
    for schema in ("Person", "Organization"):
        group = [e for e in entries if e["schema"] == schema]
        names = [e["name"].lower() for e in group]
        scores = process.cdist(names, names, scorer=fuzz.token_sort_ratio, score_cutoff=NEAR_RATIO)
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                if scores[i][j] >= NEAR_RATIO and names[i] != names[j]:
                    a, b = group[i], group[j]
                    shared = {x.lower() for x, _ in a["aliases"]} & {x.lower() for x, _ in b["aliases"]}
                    if not shared:
                        near.append(
                            {
                                "case_group": "un_near",
                                "schema": schema,
                                "name1": a["name"],
                                "name2": b["name"],
                                "is_match": "false",
                                "quality": "MEDIUM",
                                "category": f"ratio {scores[i][j]:.0f}",
                                "notes": f"UN {a['id']} / {b['id']}: two entries",
                            }
                        )
    rng.shuffle(near)
    return matches[:MATCHES] + near[:NON_MATCHES]


def main() -> None:
    un_xml = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("fresh_name_pairs.csv")
    rows = build(un_xml)
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            f"# Fresh labelled name pairs (issue 13) built by bench/data/make_fresh_name_pairs.py from {un_xml.name}\n"
            "# (UN Security Council consolidated list, scsanctions.un.org): an entry's name against its own aliases\n"
            "# (match; quality from the list's alias grade) and two look-alike entries (non-match). See the script.\n"
        )
        writer = csv.DictWriter(
            handle,
            fieldnames=["case_group", "schema", "name1", "name2", "is_match", "quality", "category", "notes"],
            lineterminator="\n",
        )
        writer.writeheader()
        writer.writerows(rows)
    print(f"{out}: {len(rows)} pairs")


if __name__ == "__main__":
    main()
