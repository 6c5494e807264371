"""The injected kinds of problem, one class each: which parcels may carry it, and what it changes at each
step of generation (the products of the lines, the prices, the declared values, the fields) and the truth
row it leaves. The generator calls every kind's step in KINDS order, so the random draws, and so the files,
are the same for the same seed.

A kind's steps: `pool` (which parcels may carry it), `shape_group` (make a group of parcels one order or
one consignee-day), `products` (before the lines are drawn), `scale` (the price paid), `declare` (the
declared value) and `mark` (fields and truth rows). `claims_de_minimis`: its parcels claim duty-free entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parcelaudit.generate import names
from parcelaudit.generate.catalog import EXCLUDED_PRODUCTS, INVALID_HTS_PREFIX, PRODUCTS
from parcelaudit.generate.variants import screenable_entities, spelling_variant

if TYPE_CHECKING:
    from parcelaudit.generate.dataset import Injection, _Generator

ALL_PRODUCTS = PRODUCTS + EXCLUDED_PRODUCTS
MISSING_FIELDS = ("seller_name", "seller_address", "consignee_name", "consignee_address")
MISMATCHED_ORIGINS = ("VN", "IN", "BD", "KH", "MY", "TH", "MX")
SPLIT_VALUE_USD = (450, 760)  # a split order or a consignee's day: each parcel under $800, together over


class Kind:
    """An injected problem: by default any parcel not sent by mail may carry it and nothing changes but
    its truth row (one per parcel, "group of N" for a group)."""

    name = ""
    claims_de_minimis = False
    group_sizes: tuple[int, int] | None = None  # a group of 2..high-1 parcels per injection
    keeps_gift_over_limit = False  # its gifts may be declared above the $100 gift limit

    def pool(self, gen: _Generator) -> np.ndarray:
        """Which parcels may carry this kind (before any is taken)."""
        return ~gen.mail

    def shape_group(self, gen: _Generator, group: list[int]) -> None:
        """Make the parcels of one group belong together (the first parcel is the anchor)."""

    def products(self, gen: _Generator, parcels: list[int]) -> None:
        """Choose the products of the parcels' lines (before the lines are drawn)."""

    def scale(self, gen: _Generator, parcels: list[int], true_value: np.ndarray, scale: np.ndarray) -> None:
        """Scale the price paid per parcel (scale, in place)."""

    def declare(self, gen: _Generator, parcels: list[int], declared_scale: np.ndarray) -> None:
        """Scale the declared value against the price paid per parcel (declared_scale, in place)."""

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """Change the parcels' fields and record the truth rows."""
        for group in injection.groups:
            for p in group:
                gen.truth.append((self.name, p, "", f"group of {len(group)}" if len(group) > 1 else ""))


def _first_line_truth(gen: _Generator, kind: str, p: int, detail: str) -> None:
    gen.truth.append((kind, p, str(gen.l_no[gen.first_line[p]]), detail))


class OrderSplit(Kind):
    """One order shipped as 2-3 parcels on consecutive days, each under $800, together over it."""

    name = "order_split"
    claims_de_minimis = True
    group_sizes = (2, 4)

    def pool(self, gen: _Generator) -> np.ndarray:
        """Room for two more days on which de minimis is still available."""
        return (
            gen.available(gen.day, gen.seller)
            & ~gen.mail
            & gen.available(gen.day + 2, gen.seller)
            & (gen.day + 2 < gen.days)
        )

    def shape_group(self, gen: _Generator, group: list[int]) -> None:
        """Same seller, consignee and order; one day apart; distinct SKUs within the order."""
        anchor = group[0]
        for j, member in enumerate(group[1:], start=1):
            _join_anchor(gen, anchor, member)
            gen.order[member] = gen.order[anchor]
            gen.day[member] = gen.day[anchor] + j
            gen.base[member] = gen.base[anchor] + 4 * j
        gen.gift[anchor] = False

    def scale(self, gen: _Generator, parcels: list[int], true_value: np.ndarray, scale: np.ndarray) -> None:
        """Each parcel priced within the split range."""
        for p in parcels:
            scale[p] = gen.rng.uniform(*SPLIT_VALUE_USD) / true_value[p]


class ConsigneeDayOver(OrderSplit):
    """2-4 parcels to one consignee on one day, each under $800, together over it."""

    name = "consignee_day_over"
    group_sizes = (2, 5)

    def pool(self, gen: _Generator) -> np.ndarray:
        """De minimis available on the parcel's day."""
        return gen.available(gen.day, gen.seller) & ~gen.mail

    def shape_group(self, gen: _Generator, group: list[int]) -> None:
        """Same seller and consignee, same day."""
        anchor = group[0]
        for member in group[1:]:
            _join_anchor(gen, anchor, member)
            gen.day[member] = gen.day[anchor]
        gen.gift[anchor] = False


def _join_anchor(gen: _Generator, anchor: int, member: int) -> None:
    """A group member: the anchor's seller and consignee, not mail, not a gift."""
    gen.seller[member] = gen.seller[anchor]
    gen.consignee[member] = gen.consignee[anchor]
    gen.mail[member] = False
    gen.gift[member] = False


class Undervalued(Kind):
    """Declared at 30-60% of the price paid."""

    name = "undervalued"

    def scale(self, gen: _Generator, parcels: list[int], true_value: np.ndarray, scale: np.ndarray) -> None:
        """Big enough that the gap exceeds 10% and $5."""
        for p in parcels:
            scale[p] = max(1.0, 25.0 / true_value[p])

    def declare(self, gen: _Generator, parcels: list[int], declared_scale: np.ndarray) -> None:
        """Declared at a random 30-60% of the price."""
        for p in parcels:
            declared_scale[p] = gen.rng.uniform(0.3, 0.6)


class HtsInvalid(Kind):
    """The first line's HTS code is not in the schedule."""

    name = "hts_invalid"

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """A code under a heading that does not exist."""
        for p in injection.parcels:
            line = gen.first_line[p]
            gen.l_hts[line] = INVALID_HTS_PREFIX + f"{gen.rng.integers(0, 10**8):08d}"
            _first_line_truth(gen, self.name, p, gen.l_hts[line])


class HtsImplausible(Kind):
    """The first line's HTS code is valid but of another chapter than its plain description."""

    name = "hts_implausible"

    def products(self, gen: _Generator, parcels: list[int]) -> None:
        """A description that plainly names its chapter (a T-shirt, earbuds) makes a wrong code evident;
        starting the parcel's product window there keeps its SKUs distinct."""
        evident = np.array([i for i, p in enumerate(PRODUCTS) if p.category in ("apparel", "electronics")])
        gen.base[parcels] = evident[gen.rng.integers(0, len(evident), len(parcels))]

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """Apparel coded as electronics and the other way round."""
        electronics = [p.hts10 for p in PRODUCTS if p.category == "electronics"]
        apparel = [p.hts10 for p in PRODUCTS if p.category == "apparel"]
        for p in injection.parcels:
            line = gen.first_line[p]
            product = ALL_PRODUCTS[gen.l_product[line]]
            pool = apparel if product.category == "electronics" else electronics
            gen.l_hts[line] = pool[gen.rng.integers(len(pool))]
            _first_line_truth(gen, self.name, p, f"{product.description} -> {gen.l_hts[line]}")


class OriginMismatch(Kind):
    """The first line's origin differs from its manufacturer's country."""

    name = "origin_mismatch"

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """Another manufacturing country declared as origin."""
        for p in injection.parcels:
            line = gen.first_line[p]
            options = [c for c in MISMATCHED_ORIGINS if c != gen.l_origin[line]]
            gen.l_origin[line] = options[gen.rng.integers(len(options))]
            maker = gen.parties.mfr_country[gen.l_mfr[line]]
            _first_line_truth(gen, self.name, p, f"origin {gen.l_origin[line]} vs manufacturer {maker}")


class DmSuspended(Kind):
    """A de minimis claim on a day the suspension reaches the parcel's goods, within the threshold."""

    name = "dm_suspended"
    claims_de_minimis = True

    def pool(self, gen: _Generator) -> np.ndarray:
        """De minimis surely suspended for the parcel."""
        return gen.surely_unavailable(gen.day, gen.seller) & ~gen.mail

    def scale(self, gen: _Generator, parcels: list[int], true_value: np.ndarray, scale: np.ndarray) -> None:
        """Within the threshold, so that only the injected rule fires."""
        for p in parcels:
            gen.gift[p] = False
            scale[p] = min(1.0, 700.0 / true_value[p])


class OverThreshold(Kind):
    """A de minimis claim above the threshold (a gift above $100, a purchase above $800)."""

    name = "over_threshold"
    claims_de_minimis = True
    keeps_gift_over_limit = True

    def pool(self, gen: _Generator) -> np.ndarray:
        """De minimis available on the parcel's day."""
        return gen.available(gen.day, gen.seller) & ~gen.mail

    def scale(self, gen: _Generator, parcels: list[int], true_value: np.ndarray, scale: np.ndarray) -> None:
        """A third are gifts of $101-400, the rest purchases of $805-1,800."""
        for p in parcels:
            gift = gen.rng.random() < 0.3
            gen.gift[p] = gift
            scale[p] = (gen.rng.uniform(101, 400) if gift else gen.rng.uniform(805, 1800)) / true_value[p]


class ExcludedGoods(DmSuspended):
    """A de minimis claim for goods excluded from it whatever their value (the first line)."""

    name = "excluded_goods"

    def pool(self, gen: _Generator) -> np.ndarray:
        """De minimis available on the parcel's day."""
        return gen.available(gen.day, gen.seller) & ~gen.mail

    def products(self, gen: _Generator, parcels: list[int]) -> None:
        """The first line is an excluded product."""
        chosen = len(PRODUCTS) + gen.rng.integers(0, len(EXCLUDED_PRODUCTS), len(parcels))
        gen.first_product.update(zip(parcels, chosen.tolist(), strict=True))

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """The excluded product's description."""
        for p in injection.parcels:
            gen.truth.append((self.name, p, "1", ALL_PRODUCTS[gen.l_product[gen.first_line[p]]].description))


def _manufacturer_or_seller(
    gen: _Generator, kind: str, p: int, on_line: bool, what: str, value: str, note: str = ""
) -> int | None:
    """Write value into the first line's manufacturer_<what> (on_line) or the parcel's seller_<what>, with
    its truth row; returns the line changed, or None."""
    if on_line:
        line = gen.first_line[p]
        getattr(gen, f"l_mfr_{what}")[line] = value
        _first_line_truth(gen, kind, p, f"manufacturer_{what}: {value}{note}")
        return line
    getattr(gen, f"seller_{what}")[p] = value
    gen.truth.append((kind, p, "", f"seller_{what}: {value}{note}"))
    return None


class XinjiangAddress(Kind):
    """A manufacturer (80%) or seller (20%) address in the Xinjiang Uyghur Autonomous Region."""

    name = "xinjiang_address"

    def pool(self, gen: _Generator) -> np.ndarray:
        """The line becomes made in China: only where that cannot turn a clean claim into DM-ELIG."""
        return ~gen.mail & gen.parties.seller_any_cn[gen.seller]

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """An address from names.XINJIANG_ADDRESSES."""
        rng = gen.rng
        for p in injection.parcels:
            address = names.XINJIANG_ADDRESSES[rng.integers(len(names.XINJIANG_ADDRESSES))].format(
                n=rng.integers(1, 300)
            )
            line = _manufacturer_or_seller(gen, self.name, p, rng.random() < 0.8, "address", address)
            if line is not None:
                gen.l_origin[line] = gen.l_mfr_country[line] = "CN"


class ListedEntity(Kind):
    """A manufacturer (70%) or seller (30%) named as a screened entity, in a spelling variant."""

    name = "listed_entity"

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """A variant of a listed name (generate.variants)."""
        rng = gen.rng
        entities = screenable_entities()
        for p in injection.parcels:
            entity = entities[rng.integers(len(entities))]
            variant, how = spelling_variant(rng, entity)
            on_line = rng.random() < 0.7
            _manufacturer_or_seller(gen, self.name, p, on_line, "name", variant, f" ~ {entity} ({how})")


class MissingElements(Kind):
    """A required party field left blank."""

    name = "missing_elements"

    def mark(self, gen: _Generator, injection: Injection) -> None:
        """One of MISSING_FIELDS blanked."""
        for p in injection.parcels:
            name = MISSING_FIELDS[gen.rng.integers(len(MISSING_FIELDS))]
            gen.blanks[name][p] = True
            gen.truth.append((self.name, p, "", name))


# The order is part of the contract: each step visits the kinds in this order (same seed, same files).
INJECTIONS: tuple[Kind, ...] = (
    OrderSplit(),
    ConsigneeDayOver(),
    Undervalued(),
    HtsInvalid(),
    HtsImplausible(),
    OriginMismatch(),
    DmSuspended(),
    OverThreshold(),
    ExcludedGoods(),
    XinjiangAddress(),
    ListedEntity(),
    MissingElements(),
)
KINDS = tuple(kind.name for kind in INJECTIONS)
