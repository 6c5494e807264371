"""The matcher's tunable settings, declared once: name, value and why, for code, docs and the bench."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One declared setting of the name matcher."""

    name: str
    value: float
    doc: str


SETTINGS: tuple[Setting, ...] = (
    Setting("match_threshold", 0.80, "Operating point: a score at or above it is a match (a hit)."),
    Setting(
        "review_band", 0.15, "Near misses this far below the threshold are shown for review, not as hits."
    ),
    Setting("weight_distinctive", 1.0, "Weight of a token that is in no generic class (a rare token)."),
    Setting("weight_common", 0.45, "Weight of a very common personal-name token (Mohammad, Kim, Li...)."),
    Setting(
        "weight_org", 0.30, "Weight of an industry or organisation word (Trading, Technology, Group...)."
    ),
    Setting("weight_place", 0.30, "Weight of a place word (Xinjiang, Shenzhen, China...)."),
    Setting(
        "weight_patronymic", 0.30, "Weight of a patronymic (-ovich, -evna...), often left out of a name."
    ),
    Setting("weight_particle", 0.10, "Weight of a particle or stop word (of, the, al, bin, von...)."),
    Setting("weight_legal", 0.05, "Weight of a legal form (Co Ltd, LLC, GmbH, OOO...)."),
    Setting("weight_short", 0.50, "Weight factor for a token of one or two characters (initials, codes)."),
    Setting("initial_similarity", 0.60, "Similarity of an initial to a name it abbreviates (V. / Vladimir)."),
    Setting(
        "variant_similarity", 0.95, "Similarity of two listed spellings of one name (Hezbollah / Hizballah)."
    ),
    Setting(
        "skeleton_similarity",
        0.85,
        "Similarity of two Latin spellings of one transliterated name with the same consonant skeleton "
        "(Moustfa / Mustafa, Rahim / Rachim): tokens of 5+ letters, same first letter, 3+ consonants.",
    ),
    Setting(
        "transliterated_similarity",
        0.85,
        "Factor on the score of an Arabic-script name against a Latin one compared by consonant skeletons.",
    ),
    Setting("initialism_similarity", 0.90, "Similarity of an abbreviation to the words it abbreviates (US)."),
    Setting("extra_token_rate", 0.30, "How much weight unmatched on one side only counts against a match."),
    Setting(
        "min_distinctive_chars", 4.0, "A match needs matched rare tokens of at least this many characters."
    ),
    Setting("generic_only_cap", 0.60, "Score cap for names that match only on generic words or legal forms."),
    Setting(
        "whole_generic_tokens",
        3,
        "A name of only generic words still matches when this many words agree one for one on both sides.",
    ),
    Setting(
        "common_name_listed",
        5,
        "A personal-name token held by this many listed person names or more is common (Perez, Miguel, Li).",
    ),
    Setting(
        "uncorroborated_margin",
        0.05,
        "A person matched only on common names, within a longer listed name, is capped this far below the "
        "threshold unless the country agrees.",
    ),
    Setting("country_bonus", 0.03, "Added when the party's country is among the entry's countries."),
    Setting("country_penalty", 0.05, "Taken off when both countries are known and differ."),
)

_BY_NAME = {s.name: s.value for s in SETTINGS}


def setting(name: str) -> float:
    """Return the value of a declared setting."""
    return _BY_NAME[name]


MATCH_THRESHOLD: float = setting("match_threshold")
REVIEW_BAND: float = setting("review_band")
