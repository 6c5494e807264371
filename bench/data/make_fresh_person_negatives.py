"""Write bench/data/fresh_person_negatives.csv: 10,000 innocent-person names from Faker's per-locale name lists.

Faker is not a project dependency: run with an interpreter that has it (`pip install faker`), e.g.
`python bench/data/make_fresh_person_negatives.py > names.csv`, then put the header comment back.
"""

import csv
import random
import sys

import faker

# Share of each locale, close to the script mix of the dev negatives (latin 67%, han 15%, arabic 10%,
# hangul 5%, cyrillic 3%).
LOCALES = [
    ("en_US", 20),
    ("es_MX", 12),
    ("es_ES", 6),
    ("pt_BR", 6),
    ("fr_FR", 5),
    ("de_DE", 5),
    ("tr_TR", 4),
    ("hi_IN", 4),
    ("it_IT", 5),
    ("zh_CN", 12),
    ("zh_TW", 3),
    ("ar_AA", 5),
    ("fa_IR", 5),
    ("ko_KR", 5),
    ("ru_RU", 3),
]


def main() -> None:
    """Print the names as CSV (full_name, locale, source)."""
    rng = random.Random(13)
    fakers = {loc: faker.Faker(loc) for loc, _ in LOCALES}
    for generator in fakers.values():
        generator.seed_instance(rng.randrange(1 << 30))
    pool = [loc for loc, weight in LOCALES for _ in range(weight)]
    out = csv.writer(sys.stdout)
    out.writerow(["full_name", "locale", "source"])
    for _ in range(10000):
        loc = rng.choice(pool)
        generator = fakers[loc]
        first, last = generator.first_name(), generator.last_name()
        if rng.random() < 0.3:
            first = f"{first} {generator.first_name()}"
        if loc.startswith(("zh", "ko")):
            name = f"{last}{first}" if rng.random() < 0.5 else f"{first} {last}"
        else:
            name = f"{first} {last}"
        out.writerow([name, loc, f"Faker {faker.VERSION} {loc} first_name/last_name, seed 13"])


if __name__ == "__main__":
    main()
