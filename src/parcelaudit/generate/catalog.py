"""The generator's product catalog: e-commerce goods with real HTS codes, price levels and UFLPA sectors.

Source of the 8-digit codes: USITC Harmonized Tariff Schedule tariff database 2025 (revision of
2025-06-06), https://www.usitc.gov/tata/hts/archive/index.htm; the 10-digit statistical suffixes are
plausible forms (the database has no suffixes). Median prices are invented for realism, not facts.
`sector` is ParcelAudit's own mapping to UFLPA high-priority sectors (no official HTS mapping exists).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """A product type a seller can list: description, HTS code, sector and price level."""

    code: str
    description: str
    hts10: str
    category: str
    sector: str | None
    median_price: float
    unit: str = "pcs"


PRODUCTS: tuple[Product, ...] = (
    # Apparel and cotton (UFLPA high-priority sectors: apparel, cotton).
    Product("TSH", "Men's cotton T-shirt, crew neck", "6109100012", "apparel", "cotton", 9.5),
    Product("TSW", "Women's cotton tank top", "6109100040", "apparel", "cotton", 8.0),
    Product("TSM", "Polyester sports T-shirt", "6109901009", "apparel", "apparel", 11.0),
    Product("SWT", "Cotton knit pullover sweater", "6110202079", "apparel", "cotton", 24.0),
    Product("DRS", "Women's cotton knit summer dress", "6104420010", "apparel", "cotton", 19.0),
    Product("TRS", "Men's cotton twill trousers", "6203424516", "apparel", "cotton", 22.0),
    Product("SHR", "Men's cotton woven shirt", "6205202066", "apparel", "cotton", 18.0),
    Product("WTR", "Women's cotton shorts, woven", "6204625011", "apparel", "cotton", 14.0),
    Product("SCK", "Cotton ankle socks, 5 pairs", "6115959000", "apparel", "cotton", 7.5),
    Product("CAP", "Cotton baseball cap", "6505001540", "apparel", "cotton", 8.5),
    Product("TWL", "Cotton terry kitchen towels, set of 4", "6302600020", "home", "cotton", 12.0),
    # Footwear.
    Product("SNK", "Canvas sneakers with rubber sole", "6404199060", "footwear", None, 21.0, "prs"),
    Product("SLP", "Rubber slide sandals", "6402999031", "footwear", None, 9.0, "prs"),
    Product("BTL", "Leather ankle boots", "6403996075", "footwear", None, 45.0, "prs"),
    # Electronics (lithium-ion batteries are in the 2025 lithium sector).
    Product("PHN", "Android smartphone, 128 GB", "8517130000", "electronics", None, 120.0),
    Product("EAR", "Wireless Bluetooth earbuds", "8518302000", "electronics", None, 18.0),
    Product("CBL", "USB-C charging cable 1 m", "8544429090", "electronics", "copper", 4.5),
    Product("PWB", "Lithium-ion power bank 10000 mAh", "8507600020", "electronics", "lithium", 16.0),
    Product("CHG", "USB wall charger 20 W", "8504409580", "electronics", None, 7.0),
    Product("LTP", "Laptop computer 14 inch", "8471300100", "electronics", None, 310.0),
    Product("SOL", "Portable solar panel 100 W", "8541430010", "electronics", "polysilicon", 85.0),
    Product("HST", "Hair straightener", "8516320000", "electronics", None, 19.0),
    Product("FLS", "LED flashlight, battery powered", "8513104000", "electronics", None, 8.0),
    # Toys.
    Product("TOY", "Plastic building blocks set", "9503000073", "toys", None, 15.0),
    Product("PLS", "Plush toy bear", "9503000090", "toys", "cotton", 10.0),
    Product("CRD", "Playing card game", "9504400000", "toys", None, 6.0),
    # Cosmetics.
    Product("SKN", "Facial moisturizing cream 50 ml", "3304995000", "cosmetics", None, 11.0),
    Product("SHP", "Shampoo 500 ml", "3305100000", "cosmetics", None, 6.5),
    Product("LIP", "Lipstick set", "3304100000", "cosmetics", None, 9.0),
    # Plastics, home, kitchen (PVC, aluminum and steel are UFLPA sectors).
    Product("BOX", "Plastic food storage containers", "3924104000", "plastics", "pvc", 9.0),
    Product("RCT", "PVC raincoat", "3926209050", "plastics", "pvc", 7.0),
    Product("PHC", "Plastic phone case", "3926909985", "plastics", None, 3.5),
    Product("LMP", "LED desk lamp", "9405424010", "home", None, 17.0),
    Product("PAN", "Aluminum non-stick frying pan", "7615105020", "home", "aluminum", 16.0),
    Product("KNF", "Stainless steel kitchen utensil set", "7323930080", "home", "steel", 13.0),
    Product("MUG", "Porcelain coffee mug", "6912004810", "home", None, 6.0),
    Product("STL", "Wooden side table", "9403608081", "home", None, 48.0),
    Product("BAG", "Women's handbag of plastic sheeting", "4202228980", "accessories", "pvc", 19.0),
    Product("JWL", "Imitation jewelry necklace", "7117199000", "accessories", None, 5.5),
    Product("WCH", "Quartz wristwatch", "9102114510", "accessories", None, 25.0),
    Product("NTB", "Paper notebook A5", "4820102010", "home", None, 3.0),
)

# Goods excluded from de minimis (19 CFR 10.153): used only for the `excluded_goods` injection.
EXCLUDED_PRODUCTS: tuple[Product, ...] = (
    Product("WIN", "Red wine 750 ml", "2204215020", "alcohol", None, 18.0, "liters"),
    Product("SPR", "Baijiu spirit 500 ml", "2208908000", "alcohol", None, 25.0, "liters"),
    Product("CIG", "Cigarettes, 10 packs", "2402208000", "tobacco", None, 40.0, "thousand"),
    Product("CGR", "Cigars, box of 10", "2402108030", "tobacco", None, 35.0),
)

# Codes that are well formed but name no HTS line (chapter 77 is reserved): the `hts_invalid` injection.
INVALID_HTS_PREFIX = "77"
