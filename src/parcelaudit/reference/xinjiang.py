"""Xinjiang (XUAR) address detector: combines explained signals, never trusting one weak signal alone.

Signals come from the bundled gazetteer (reference/data/xinjiang_gazetteer.csv: prefectures, counties,
districts and XPCC cities in Chinese script, pinyin and older romanisations, with GB/T 2260 codes),
postcodes 83xxxx/84xxxx (only when the country is China), USCC registration codes whose administrative
part starts with 65, and XPCC division names. Counter-evidence (another Chinese province or city named,
a postcode outside Xinjiang, a country other than China) lowers the score, and a place name used as a
street name ("Urumqi Road", 新疆路) counts as weak: Chinese cities name roads after other provinces.

The score is the sum of signal weights (strong 1.0, medium 0.6, weak 0.4; counter-evidence negative);
an address is Xinjiang when the score reaches THRESHOLD, so one weak or medium signal is never enough.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from parcelaudit.paths import BUNDLED_DATA

GAZETTEER_FILE = BUNDLED_DATA / "xinjiang_gazetteer.csv"
ELSEWHERE_FILE = BUNDLED_DATA / "china_places_elsewhere.csv"

THRESHOLD = 1.0
WEIGHTS = {"strong": 1.0, "medium": 0.6, "weak": 0.4}
COUNTER_WEIGHT = 0.5  # another province named, or a postcode outside Xinjiang
FOREIGN_FACTOR = 0.5  # the country field says the address is not in China
# Signals no foreign place can produce (the region's own name, 650000, is matched separately).
_NOT_FOREIGN = ("chinese-script:", "usci-prefix:")

_LATIN_ROAD = (
    r"(?:north|south|east|west|middle|central|zhong|bei|nan|dong|xi)?\s?"
    r"(?:road|rd|street|st|avenue|ave|lu|jie|dadao|boulevard|blvd|lane|ln|alley)\b"
)
_ZH_ROAD = r"[东南西北中]?(?:路|街|大道|道|巷)"
_LATIN_SUFFIX = r"(?:\s?(?:city|shi|county|xian|district|qu|prefecture|diqu|zhou|town|zhen))?"
# Chinese product names that contain a place name without meaning the place (Hami melon, Hotan jade).
_ZH_NOT_PLACE = {"哈密": "瓜", "和田": "玉"}
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC = re.compile(r"(?<![0-9A-Z])([0-9A-HJ-NP-RTUWXY]{2}\d{6}[0-9A-HJ-NP-RTUWXY]{10})(?![0-9A-Z])")
_POSTCODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
_ADMIN_LABEL = re.compile(r"区划代码|行政区划|admin(?:istrative)?\s?(?:division\s)?code", re.I)
_ZH_DIVISION = re.compile(r"第[一二三四五六七八九十]{1,3}师(?!范)")
# XPCC regiments are numbered farms ("一四三团", "121团"); 集团 (group) has no numeral before 团.
_ZH_REGIMENT = re.compile(r"[一二三四五六七八九十〇零0-9]{3}团")
_EN_DIVISION = re.compile(
    r"\b(?:1st|2nd|3rd|[4-9]th|1[0-4]th|first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|"
    r"eleventh|twelfth|thirteenth|fourteenth)\s(?:agricultural\s)?division\b"
)
_CHINA_WORDS = re.compile(r"\b(?:china|prc|p r c|peoples republic of china)\b|中国|中华人民共和国")
_CN_COUNTRY = {"CN", "CHN", "CHINA", "PRC", "中国", "PEOPLES REPUBLIC OF CHINA"}


@dataclass(frozen=True)
class XinjiangAssessment:
    """Whether an address is in Xinjiang, its score, and each signal in words."""

    is_xinjiang: bool
    score: float
    signals: list[str] = field(default_factory=list)
    explanation: str = ""


@dataclass(frozen=True)
class _Place:
    code: str
    kind: str
    name_zh: str
    suffix_zh: str
    zh_strength: str
    note: str


def _latin(text: str) -> str:
    """Lower-case ASCII-ish text with diacritics removed and punctuation turned into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", " ", re.sub(r"[^0-9a-z\u3400-\u9fff]+", " ", stripped)).strip()


def _read_rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


class _Detector:
    """Compiled patterns over the gazetteer; built once per process."""

    def __init__(self) -> None:
        self.places: dict[str, _Place] = {}
        self.latin: dict[str, tuple[str, str, str]] = {}  # compact spelling -> (code, spelling, strength)
        zh_names: dict[str, str] = {}
        for row in _read_rows(GAZETTEER_FILE):
            place = _Place(
                row["code"], row["kind"], row["name_zh"], row["suffix_zh"], row["zh_strength"], row["note"]
            )
            self.places[place.code] = place
            zh_names.setdefault(place.name_zh, place.code)
            for item in filter(None, row["latin"].split("|")):
                spelling, strength = item.rsplit(":", 1)
                spelling = _latin(spelling)
                self.latin.setdefault(spelling.replace(" ", ""), (place.code, spelling, strength))
        self.zh_names = zh_names
        self.latin_re = self._latin_pattern([spelling for _, spelling, _ in self.latin.values()])
        self.zh_re = re.compile("(" + "|".join(sorted(map(re.escape, zh_names), key=len, reverse=True)) + ")")
        self.elsewhere: dict[str, str] = {}
        elsewhere_latin: list[str] = []
        for row in _read_rows(ELSEWHERE_FILE):
            self.elsewhere[row["name_zh"]] = row["name_zh"]
            for spelling in row["latin"].split("|"):
                self.elsewhere[_latin(spelling).replace(" ", "")] = row["name_zh"]
                elsewhere_latin.append(_latin(spelling))
        self.elsewhere_latin_re = self._latin_pattern(elsewhere_latin)
        self.elsewhere_zh_re = re.compile(
            "|".join(re.escape(r["name_zh"]) for r in _read_rows(ELSEWHERE_FILE))
        )

    @staticmethod
    def _latin_pattern(spellings: list[str]) -> re.Pattern[str]:
        # Syllables may be written together, spaced or hyphenated ("Wulumuqi", "Wu Lu Mu Qi").
        alternatives = sorted({s.replace(" ", " ?") for s in spellings}, key=len, reverse=True)
        return re.compile(
            r"(?<![0-9a-z])(" + "|".join(alternatives) + r")(" + _LATIN_SUFFIX + r")(?![0-9a-z])"
        )


@lru_cache(maxsize=1)
def _detector() -> _Detector:
    return _Detector()


def _is_china(country: str | None) -> bool | None:
    if country is None or not country.strip():
        return None
    return _latin(country).replace(" ", "").upper() in _CN_COUNTRY or country.strip() in _CN_COUNTRY


def uscc_check_digit_ok(code: str) -> bool:
    """True when an 18-character Unified Social Credit Code has a valid GB 32100-2015 check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == code[17]


def _add(best: dict[str, tuple[float, str]], key: str, weight: float, text: str) -> None:
    # One place counts once, by its strongest mention ("Kashgar (Kashi)" is one signal).
    if key not in best or weight > best[key][0]:
        best[key] = (weight, text)


def _gazetteer_signals(
    raw: str, norm: str, china: bool, det: _Detector, best: dict[str, tuple[float, str]]
) -> None:
    for match in det.zh_re.finditer(raw):
        name = match.group(1)
        place = det.places[det.zh_names[name]]
        after = raw[match.end() :]
        if _ZH_NOT_PLACE.get(name) and after.startswith(_ZH_NOT_PLACE[name]):
            continue
        road = re.match(_ZH_ROAD, after)
        if road and not (place.suffix_zh and after.startswith(place.suffix_zh)):
            _add(
                best,
                place.code,
                WEIGHTS["weak"],
                f"street-name: {name}{road.group(0)} (a road named after a Xinjiang place)",
            )
        elif place.suffix_zh and after.startswith(place.suffix_zh):
            _add(
                best, place.code, WEIGHTS["strong"], f"chinese-script: {name}{place.suffix_zh} ({place.code})"
            )
        else:
            _add(
                best,
                place.code,
                WEIGHTS[place.zh_strength],
                f"chinese-script: {name} ({place.code}, {place.zh_strength})",
            )
    for match in det.latin_re.finditer(norm):
        code, _spelling, strength = det.latin[match.group(1).replace(" ", "")]
        after = norm[match.end() :]
        if not match.group(2) and re.match(r"\s?" + _LATIN_ROAD, after):
            _add(
                best,
                code,
                WEIGHTS["weak"],
                f"street-name: {match.group(0)} road (a road named after a Xinjiang place)",
            )
            continue
        place = det.places[code]
        if strength == "foreign":
            # "Aksu, China": the country rules out the namesakes abroad (Turkey, Kazakhstan...).
            strength = "strong" if china else "medium"
        elif strength == "medium" and match.group(2) and china:
            # "Korla City, China": a designation plus the country make a medium spelling decisive.
            strength = "strong"
        note = f"; note: {place.note}" if place.note and strength != "strong" else ""
        _add(
            best,
            code,
            WEIGHTS[strength],
            f"romanised: {match.group(0).strip()} = {place.name_zh} ({code}, {strength}{note})",
        )


def _code_signals(raw: str, china: bool, det: _Detector, best: dict[str, tuple[float, str]]) -> None:
    for match in _USCC.finditer(raw.upper()):
        code = match.group(1)
        if code[2:4] == "65":
            valid = uscc_check_digit_ok(code)
            _add(
                best,
                "uscc",
                WEIGHTS["strong" if valid else "medium"],
                f"usci-prefix: 65 (USCC {code}, admin part {code[2:8]}, "
                f"check digit {'valid' if valid else 'invalid'})",
            )
    labelled = bool(_ADMIN_LABEL.search(raw))
    for match in _POSTCODE.finditer(raw):
        digits = match.group(1)
        if digits in det.places and digits.startswith("65"):
            strength = "strong" if labelled else "weak"
            _add(
                best,
                "admin:" + digits,
                WEIGHTS[strength],
                f"admin-code: {digits} = {det.places[digits].name_zh} "
                f"({strength}; unlabelled it could be a Yunnan postcode)",
            )
        elif china and digits[:2] in ("83", "84"):
            _add(best, "postcode", WEIGHTS["medium"], f"postcode: {digits} (83/84 = Xinjiang, country China)")
        elif china and not labelled:
            _add(
                best,
                "other-postcode",
                -COUNTER_WEIGHT,
                f"counter: postcode {digits} is outside Xinjiang (83/84)",
            )
    if _ZH_REGIMENT.search(raw):
        regiment = _ZH_REGIMENT.search(raw).group(0)
        _add(best, "regiment", WEIGHTS["medium"], f"xpcc-regiment: {regiment} (numbered XPCC farm)")
    if _ZH_DIVISION.search(raw):
        _add(
            best,
            "division",
            WEIGHTS["medium"],
            f"xpcc-division: {_ZH_DIVISION.search(raw).group(0)} (XPCC division)",
        )


def _counter_signals(raw: str, norm: str, det: _Detector, best: dict[str, tuple[float, str]]) -> None:
    for match in det.elsewhere_zh_re.finditer(raw):
        if not re.match(_ZH_ROAD, raw[match.end() :]):
            _add(best, "elsewhere", -COUNTER_WEIGHT, f"counter: names {match.group(0)} (outside Xinjiang)")
            return
    for match in det.elsewhere_latin_re.finditer(norm):
        if not re.match(r"\s?" + _LATIN_ROAD, norm[match.end() :]):
            name = det.elsewhere[match.group(1).replace(" ", "")]
            _add(
                best,
                "elsewhere",
                -COUNTER_WEIGHT,
                f"counter: names {match.group(1)} = {name} (outside Xinjiang)",
            )
            return


def assess_address(
    address: str | None, country: str | None = None, *, uscc: str | None = None
) -> XinjiangAssessment:
    """Assess whether an address (and optional country, USCC code) is in Xinjiang, explaining each signal."""
    return _assess_cached(address or "", country or "", uscc or "")


@lru_cache(maxsize=65536)
def _assess_cached(address: str, country: str, uscc: str) -> XinjiangAssessment:
    det = _detector()
    raw = " ".join(filter(None, (address, uscc)))
    norm = _latin(raw)
    country_is_china = _is_china(country)
    china = bool(country_is_china) or (country_is_china is None and bool(_CHINA_WORDS.search(norm)))
    best: dict[str, tuple[float, str]] = {}
    _gazetteer_signals(raw, norm, china, det, best)
    _code_signals(raw, china, det, best)
    if _EN_DIVISION.search(norm):
        _add(best, "division-en", WEIGHTS["weak"], f"xpcc-division: {_EN_DIVISION.search(norm).group(0)}")
    positive = sum(w for w, _ in best.values() if w > 0)
    if positive > 0:
        _counter_signals(raw, norm, det, best)
    signals = [text for w, text in sorted(best.values(), key=lambda item: -item[0])]
    score = positive + sum(w for w, _ in best.values() if w < 0)
    if country_is_china is False and positive > 0:
        # Romanised names have namesakes abroad; Chinese script and USCC codes do not, whatever the
        # country field says (a Hong Kong trader can list a factory in 新疆).
        unambiguous = sum(
            w for w, text in best.values() if w > 0 and (text.startswith(_NOT_FOREIGN) or "(650000," in text)
        )
        score = (
            unambiguous
            + (positive - unambiguous) * FOREIGN_FACTOR
            + sum(w for w, _ in best.values() if w < 0)
        )
        signals.append(f"counter: country {country} is not China (romanised place-name weights halved)")
    score = round(max(score, 0.0), 3)
    is_xj = score >= THRESHOLD
    if not best:
        explanation = "no Xinjiang signal"
    else:
        verdict = "Xinjiang" if is_xj else "not Xinjiang"
        explanation = (
            f"{verdict}: score {score} vs threshold {THRESHOLD} from {len(signals)} signal(s): "
            + "; ".join(signals)
        )
    return XinjiangAssessment(is_xj, score, signals, explanation)
