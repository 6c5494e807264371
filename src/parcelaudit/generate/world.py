"""The parties of a generated dataset: sellers (heavy-tailed), their manufacturers, and US consignees."""

from __future__ import annotations

import csv
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from parcelaudit.generate import names
from parcelaudit.generate.catalog import PRODUCTS
from parcelaudit.paths import BUNDLED_DATA

SELLER_COUNTRIES = ("CN", "HK", "VN", "IN", "TR", "MX", "CA", "GB")
SELLER_COUNTRY_WEIGHTS = (0.62, 0.10, 0.08, 0.07, 0.05, 0.03, 0.03, 0.02)


@dataclass
class Parties:
    """Sellers with their manufacturers, and consignees, as parallel arrays indexed by party number."""

    seller_name: np.ndarray
    seller_address: np.ndarray
    seller_country: np.ndarray
    ship_from: np.ndarray  # country the seller ships from (HK for some CN sellers)
    seller_weight: np.ndarray
    seller_product_start: np.ndarray
    seller_marketplace: np.ndarray
    seller_code: np.ndarray
    seller_mfr_start: np.ndarray
    seller_mfr_count: np.ndarray
    seller_any_cn: np.ndarray  # some manufacturer of the seller is in mainland China
    seller_all_cn: np.ndarray  # every manufacturer of the seller is
    mfr_name: np.ndarray
    mfr_address: np.ndarray
    mfr_country: np.ndarray
    consignee_name: pa.Array
    consignee_address: pa.Array
    consignee_weight: np.ndarray


def listed_tokens() -> set[str]:
    """Lower-case words of the bundled UFLPA names, so clean names never borrow a listed trade name."""
    tokens: set[str] = set()
    path = BUNDLED_DATA / "lists" / "uflpa_entity_list.csv"
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            for text in [row["name"], *row["aliases"].split(";")]:
                tokens.update(word.strip("(),.").lower() for word in text.split())
    return tokens


def _trade_names(rng: np.random.Generator) -> list[tuple[str, str]]:
    banned = listed_tokens()
    pairs = []
    for first, first_zh in names.TRADE_SYLLABLES:
        for second, second_zh in names.TRADE_SYLLABLES:
            word = first + second.lower()
            if first != second and word.lower() not in banned:
                pairs.append((word, first_zh + second_zh))
    order = rng.permutation(len(pairs))
    return [pairs[i] for i in order]


def _chinese_company(
    rng: np.random.Generator, trade: tuple[str, str], industry_index: int, city_index: int, script: bool
) -> str:
    city, city_zh, *_ = names.CHINESE_CITIES[city_index]
    industry, industry_zh, _ = names.INDUSTRIES[industry_index]
    if script:
        return f"{city_zh}市{trade[1]}{industry_zh}有限公司"
    legal = names.CHINESE_LEGAL_FORMS[rng.integers(len(names.CHINESE_LEGAL_FORMS))]
    return f"{city} {trade[0]} {industry} {legal}"


def _chinese_address(rng: np.random.Generator, city_index: int, script: bool) -> str:
    city, city_zh, province, postcode, districts = names.CHINESE_CITIES[city_index]
    if rng.random() < 0.04:
        return names.HARD_NEGATIVE_ADDRESSES[rng.integers(2)][1].format(n=rng.integers(1, 300))
    district = districts[rng.integers(len(districts))]
    road = names.ROADS[rng.integers(len(names.ROADS))]
    number = rng.integers(1, 999)
    if script:
        return f"{province}省{city_zh}市{district}区{road}路{number}号"
    return f"No. {number} {road} Road, {district} District, {city}, {province} {postcode}{rng.integers(0, 999):03d}, China"


def _other_company(rng: np.random.Generator, country: str) -> str:
    word = names.OTHER_TRADE_WORDS[rng.integers(len(names.OTHER_TRADE_WORDS))]
    industry = names.INDUSTRIES[rng.integers(len(names.INDUSTRIES))][0]
    return f"{word} {industry} {names.OTHER_LEGAL_FORMS[country]}"


def _other_address(rng: np.random.Generator, country: str) -> str:
    negatives = [text for code, text in names.HARD_NEGATIVE_ADDRESSES if code == country]
    if negatives and rng.random() < 0.1:
        return negatives[rng.integers(len(negatives))].format(n=rng.integers(1, 300))
    place, country_name = names.OTHER_COUNTRY_PLACES[country][
        rng.integers(len(names.OTHER_COUNTRY_PLACES[country]))
    ]
    return f"{rng.integers(1, 400)} {names.OTHER_TRADE_WORDS[rng.integers(len(names.OTHER_TRADE_WORDS))]} Street, {place}, {country_name}"


def _party(
    rng: np.random.Generator, country: str, trades: list[tuple[str, str]], counter: int, industry_index: int
) -> tuple[str, str]:
    if country == "CN":
        script = rng.random() < 0.06
        city = int(rng.integers(len(names.CHINESE_CITIES)))
        trade = trades[counter % len(trades)]
        return (
            _chinese_company(rng, trade, industry_index, city, script),
            _chinese_address(rng, city, script and rng.random() < 0.7),
        )
    return _other_company(rng, country), _other_address(rng, country)


def build_parties(rng: np.random.Generator, parcels: int) -> Parties:
    """Create sellers (Zipf-weighted), 1-3 manufacturers each, and repeat-buying consignees."""
    n_sellers = int(np.clip(parcels // 100, 40, 30_000))
    trades = _trade_names(rng)
    seller_country = rng.choice(SELLER_COUNTRIES, n_sellers, p=SELLER_COUNTRY_WEIGHTS)
    ship_from = np.where((seller_country == "CN") & (rng.random(n_sellers) < 0.15), "HK", seller_country)
    industry = rng.integers(len(names.INDUSTRIES), size=n_sellers)
    seller_rows = [_party(rng, str(c), trades, i, int(industry[i])) for i, c in enumerate(seller_country)]
    mfr_count = rng.integers(1, 4, size=n_sellers)
    mfr_start = np.concatenate([[0], np.cumsum(mfr_count)[:-1]])
    mfr_names, mfr_addresses, mfr_countries = [], [], []
    for i in range(n_sellers):
        for _ in range(mfr_count[i]):
            # Traders in HK, VN and elsewhere often sell goods made in mainland China.
            country = (
                "CN" if seller_country[i] in ("CN", "HK") or rng.random() < 0.25 else str(seller_country[i])
            )
            name, address = _party(rng, country, trades, len(mfr_names) + n_sellers, int(industry[i]))
            mfr_names.append(name)
            mfr_addresses.append(address)
            mfr_countries.append(country)
    is_cn = np.array(mfr_countries) == "CN"
    cn_count = np.add.reduceat(is_cn.astype(int), mfr_start)
    weights = 1.0 / np.arange(1, n_sellers + 1) ** 1.1
    categories = [names.INDUSTRIES[i][2] for i in industry]
    starts = np.array([_product_start(rng, cats) for cats in categories])
    n_consignees = max(parcels // 3, 20)
    consignee_name, consignee_address = consignee_columns(rng, n_consignees)
    return Parties(
        seller_name=np.array([r[0] for r in seller_rows], dtype=object),
        seller_address=np.array([r[1] for r in seller_rows], dtype=object),
        seller_country=seller_country,
        ship_from=ship_from,
        seller_weight=rng.permutation(weights / weights.sum()),
        seller_product_start=starts,
        seller_marketplace=rng.integers(len(names.MARKETPLACES), size=n_sellers),
        seller_code=np.array([f"S{i:05d}" for i in range(n_sellers)], dtype=object),
        seller_mfr_start=mfr_start,
        seller_mfr_count=mfr_count,
        seller_any_cn=cn_count > 0,
        seller_all_cn=cn_count == mfr_count,
        mfr_name=np.array(mfr_names, dtype=object),
        mfr_address=np.array(mfr_addresses, dtype=object),
        mfr_country=np.array(mfr_countries, dtype=object),
        consignee_name=consignee_name,
        consignee_address=consignee_address,
        consignee_weight=_consignee_weights(rng, n_consignees),
    )


def _product_start(rng: np.random.Generator, categories: tuple[str, ...]) -> int:
    matching = [i for i, p in enumerate(PRODUCTS) if p.category in categories]
    return int(matching[rng.integers(len(matching))]) if matching else int(rng.integers(len(PRODUCTS)))


def _consignee_weights(rng: np.random.Generator, n: int) -> np.ndarray:
    weights = rng.pareto(2.5, n) + 1.0
    return weights / weights.sum()


def consignee_columns(rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array]:
    """n US consignee names and one-line addresses, built column-wise."""
    first = pa.array(names.FIRST_NAMES).take(pa.array(rng.integers(len(names.FIRST_NAMES), size=n)))
    last = pa.array(names.LAST_NAMES).take(pa.array(rng.integers(len(names.LAST_NAMES), size=n)))
    number = pc.cast(pa.array(rng.integers(10, 9999, size=n)), pa.string())
    street = pa.array(names.US_STREETS).take(pa.array(rng.integers(len(names.US_STREETS), size=n)))
    unit = pc.cast(pa.array(rng.integers(1, 40, size=n)), pa.string())
    place = pa.array(names.US_PLACES).take(pa.array(rng.integers(len(names.US_PLACES), size=n)))
    name = pc.binary_join_element_wise(first, last, " ")
    address = pc.binary_join_element_wise(number, " ", street, " Apt ", unit, ", ", place, "")
    return name, address
