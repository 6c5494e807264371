"""Xinjiang detector accuracy: precision and recall on a labelled address set, and throughput.

Negatives: every China facility address in ../shared/data/facilities/osh_lists (Open Supply Hub), plus
DOMAIN.md's known collisions and other look-alikes written here. Positives: addresses written from the
gazetteer (every county, district and city) in Chinese script, pinyin (spaced, hyphenated, upper case,
diacritics) and older romanisations, with and without the word Xinjiang, plus XPCC division addresses.
Target: precision >= 0.98 and recall >= 0.98.
"""

from __future__ import annotations

import csv
import random
import time
from pathlib import Path

from bench.memory import measure
from parcelaudit.paths import shared_data_dir
from parcelaudit.reference.xinjiang import GAZETTEER_FILE, assess_address

STREETS_ZH = ("解放路", "人民路", "团结路", "友好路", "建设路")
STREETS_EN = ("Jiefang Road", "Renmin Road", "Tuanjie Road", "Youhao Road", "Jianshe Road", "Industrial Park")
COLLISIONS = [  # (address, country): DOMAIN.md section 4 and look-alikes; none is in Xinjiang
    ("XinXing Industrial Park, Ningbo", "CN"),
    ("XinXing Industrial Park, Ningbo", None),
    ("Xinxing Industrial Park, Beilun District, Ningbo, Zhejiang 315800", "CN"),
    ("12 Le Loi, Ben Nghe Ward, Ho Chi Minh City 700000", "VN"),
    ("45 Tran Phu, Phan Rang 840000", "VN"),
    ("Lot A2, Long Duc Industrial Park, Tra Vinh 840000", None),
    ("Aksu Mahallesi, Muratpasa, Antalya 07040", "TR"),
    ("Aksu, Antalya, Turkey", None),
    ("Aksu, Pavlodar Region, Kazakhstan", "KZ"),
    ("Aksu, Akmola Region", None),
    ("Kashi Vishwanath Temple Road, Varanasi, Uttar Pradesh 221001", "IN"),
    ("Kashi, Varanasi", None),
    ("Bole Road, Addis Ababa", "ET"),
    ("Bole Sub City, Woreda 03, Addis Ababa", None),
    ("Bole International Airport, Addis Ababa, Ethiopia", None),
    ("88 Urumqi Middle Road, Jing'an District, Shanghai 200040", "CN"),
    ("乌鲁木齐北路200号, 上海", "CN"),
    ("新疆路8号, 市北区, 青岛", "CN"),
    ("12 Xinjiang Road, Shibei District, Qingdao, Shandong", "CN"),
    ("Hami Road 1200, Changning District, Shanghai", "CN"),
    ("伊犁路25号, 长宁区, 上海", "CN"),
    ("Yili Industrial Park, Hohhot, Inner Mongolia", "CN"),
    ("Yiwu International Trade City, Futian Street, Yiwu, Zhejiang 322000", "CN"),
    ("Shanshan Road 9, Yinzhou District, Ningbo", "CN"),
    ("Qinghe County, Xingtai, Hebei 054800", "CN"),
    ("Xinhe County, Xingtai, Hebei", "CN"),
    ("Yutian County, Tangshan, Hebei 064100", "CN"),
    ("Baicheng, Jilin Province 137000", "CN"),
    ("Hetian Town, Changting County, Longyan, Fujian", "CN"),
    ("Shawan District, Leshan, Sichuan 614900", "CN"),
    ("Tianshan Industrial Zone, Panyu, Guangzhou", "CN"),
    ("Beitun District, Taichung City 406", "TW"),
    ("第一师范学院, 长沙, 湖南", "CN"),
    ("和田玉市场, 苏州, 江苏", "CN"),
    ("Manas International Airport, Bishkek", "KG"),
    ("Khorgos, Almaty Region, Kazakhstan", "KZ"),
    ("Altai Krai, Barnaul, Russia", "RU"),
    ("Chang'an Town, Dongguan, Guangdong 523850", "CN"),
    ("Bao'an District, Shenzhen, Guangdong 518101", "CN"),
    ("Wenquan Town, Conghua, Guangzhou", "CN"),
    ("Baiyang Road, Xiaoshan, Hangzhou", "CN"),
    ("Fukang Road 6, Suzhou Industrial Park", "CN"),
    ("Fuhai Industrial Zone, Shenzhen", "CN"),
]


def _gazetteer() -> list[dict[str, str]]:
    with open(GAZETTEER_FILE, encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def _spellings(row: dict[str, str]) -> list[str]:
    return [item.rsplit(":", 1)[0] for item in row["latin"].split("|") if item]


def _title(spelling: str) -> str:
    return "".join(spelling.split()).title() if len(spelling.split()) > 1 else spelling.title()


def positives(rng: random.Random) -> list[tuple[str, str | None, str]]:
    """Addresses in Xinjiang written in the forms documents use: (address, country, form)."""
    rows = _gazetteer()
    by_code = {r["code"]: r for r in rows}
    found = []
    for row in rows:
        if row["kind"] in ("region", "xpcc"):
            continue
        parent = by_code.get(row["code"][:4] + "00") if row["code"][4:] != "00" else None
        parent = parent if parent and parent["code"] != row["code"] else None
        postcode = f"8{rng.choice('34')}{rng.randint(0, 9999):04d}"
        street_zh, street_en = rng.choice(STREETS_ZH), rng.choice(STREETS_EN)
        number = rng.randint(1, 300)
        zh_parent = (parent["name_zh"] + parent["suffix_zh"]) if parent else ""
        found.append(
            (
                f"新疆维吾尔自治区{zh_parent}{row['name_zh']}{row['suffix_zh']}{street_zh}{number}号",
                "CN",
                "chinese",
            )
        )
        found.append(
            (f"{zh_parent}{row['name_zh']}{row['suffix_zh']}{street_zh}{number}号", None, "chinese-no-region")
        )
        pinyin = _title(_spellings(row)[0]) if _spellings(row) else row["name_zh"]
        parent_py = _title(_spellings(parent)[0]) if parent and _spellings(parent) else ""
        designation = (
            "County" if row["kind"] == "county" else "District" if row["kind"] == "district" else "City"
        )
        tail = f"{parent_py}, " if parent_py else ""
        found.append(
            (
                f"No. {number} {street_en}, {pinyin} {designation}, {tail}Xinjiang {postcode}, China",
                "CN",
                "pinyin",
            )
        )
        found.append((f"{number} {street_en}, {pinyin}, {tail}China {postcode}", "CN", "pinyin-postcode"))
        hyphen = "-".join(_spellings(row)[0].split()).upper() if _spellings(row) else pinyin
        found.append(
            (f"{hyphen} {designation.upper()}, {tail.upper()}XINJIANG UYGUR AUTONOMOUS REGION", None, "upper")
        )
        # Harder: the place and its prefecture only, no region word, no postcode, no designation.
        found.append((f"{number} {street_en}, {pinyin}, {tail}China", None, "pinyin-bare"))
        for spelling in _spellings(row)[1:]:
            found.append((f"{_title(spelling)}, {tail}Sinkiang, China", None, "older-romanisation"))
            found.append((f"{street_en}, {_title(spelling)}, {tail}PRC", None, "older-bare"))
    for number, ordinal in ((1, "1st"), (4, "4th"), (8, "8th"), (13, "13th")):
        zh_numeral = "一二三四五六七八九十"[number - 1] if number <= 10 else "十" + "一二三"[number - 11]
        found.append((f"新疆生产建设兵团第{zh_numeral}师{rng.randint(100, 200)}团", "CN", "xpcc"))
        found.append((f"{ordinal} Division, Xinjiang Production and Construction Corps", None, "xpcc"))
    for address in (
        "Ürümqi, Xinjiang",
        "Wu Lu Mu Qi Shi",
        "Kashgar Old City",
        "Korla, Bayingolin",
        "Kuerle Shi",
        "Hotan Prefecture",
        "Khotan",
        "Aksu City, Xinjiang",
        "Shihezi Economic Development Zone",
        "Turpan, Xinjiang",
        "Tulufan Shi",
        "Kumul",
        "Hami City, Xinjiang",
        "Changji Hui Autonomous Prefecture",
        "Yining, Ili Kazakh Autonomous Prefecture",
    ):
        found.append((address, "CN", "domain-list"))
    return found


def negatives() -> list[tuple[str, str | None, str]]:
    """China facility addresses from Open Supply Hub plus the known collisions."""
    found = [(address, country, "collision") for address, country in COLLISIONS]
    base = shared_data_dir()
    folder = base / "facilities" / "osh_lists" if base else None
    if folder and folder.is_dir():
        for path in sorted(folder.glob("*.csv")):
            with open(path, encoding="utf-8", errors="replace") as handle:
                for row in csv.DictReader(handle):
                    if row["country"].strip().upper() in ("CHINA", "CN"):
                        found.append((row["address"], row["country"], "osh-china"))
    return found


def _evaluate() -> dict:
    rng = random.Random(20251129)
    labelled = [(a, c, f, True) for a, c, f in positives(rng)] + [(a, c, f, False) for a, c, f in negatives()]
    started = time.perf_counter()
    outcomes = [(assess_address(a, c), a, c, f, truth) for a, c, f, truth in labelled]
    elapsed = time.perf_counter() - started
    tp = sum(r.is_xinjiang and t for r, *_, t in outcomes)
    fp = sum(r.is_xinjiang and not t for r, *_, t in outcomes)
    fn = sum(not r.is_xinjiang and t for r, *_, t in outcomes)
    by_form: dict[str, list[int]] = {}
    for r, _a, _c, form, truth in outcomes:
        stats = by_form.setdefault(form, [0, 0])
        stats[0] += 1
        stats[1] += int(r.is_xinjiang == truth)
    errors = [
        {"address": a, "country": c, "form": f, "truth": t, "explanation": r.explanation}
        for r, a, c, f, t in outcomes
        if r.is_xinjiang != t
    ]
    return {
        "positives": tp + fn,
        "negatives": len(outcomes) - tp - fn,
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
        "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
        "by_form": {form: {"n": n, "correct": ok} for form, (n, ok) in sorted(by_form.items())},
        "errors": errors[:40],
        "cold_seconds_all": round(elapsed, 4),
        "addresses_per_second_cold": round(len(outcomes) / elapsed),
    }


def run(work_dir: Path) -> dict:
    """Measure precision, recall, throughput and peak memory in a fresh process."""
    result, seconds, peak_mib = measure(_evaluate)
    result["wall_seconds_in_child"] = round(seconds, 2)
    result["peak_rss_mib"] = round(peak_mib, 1)
    result["osh_available"] = shared_data_dir() is not None
    return result


def summarize(result: dict) -> str:
    """Markdown summary."""
    ok = result["precision"] >= 0.98 and result["recall"] >= 0.98
    lines = [
        f"- labelled addresses: {result['positives']} Xinjiang, {result['negatives']} not "
        f"(Open Supply Hub China facilities available: {result['osh_available']})",
        f"- precision **{result['precision']:.4f}**, recall **{result['recall']:.4f}** (target >= 0.98: "
        f"{'met' if ok else 'NOT met'}); FP {result['false_positives']}, FN {result['false_negatives']}",
        f"- throughput {result['addresses_per_second_cold']:,} addresses/s (uncached, one core); "
        f"peak RSS {result['peak_rss_mib']} MiB",
        "",
        "| form | n | correct |",
        "|---|---:|---:|",
    ]
    lines += [f"| {form} | {s['n']} | {s['correct']} |" for form, s in result["by_form"].items()]
    if result["errors"]:
        lines += ["", "Errors (first few):"]
        lines += [
            f"- {'FN' if e['truth'] else 'FP'} `{e['address']}` ({e['country']}): {e['explanation'][:140]}"
            for e in result["errors"][:10]
        ]
    return "\n".join(lines)
