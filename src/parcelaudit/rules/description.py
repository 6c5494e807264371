"""HTS-DESC judged against the words of the tariff schedule itself, precision first.

A description names its article in its head phrase: what comes before "for", "with", "compatible with",
a comma or a bracket ("laptop bag for 15-inch laptops" is a bag; "wine glass set" is glassware, its last
article word wins), and an "X-operated" / "X-powered" modifier names the power, not the article
("battery-operated toy car" is a toy). Our keyword map (description_chapters.csv) only *names* the article
and the chapters it usually belongs to; the schedule decides:

- no opinion when the article's own words (the head phrase's last word and its article words, stemmed)
  appear in the texts of the declared heading: the declared code plausibly describes it ("moisturizing body wash" under 3401.30, whose text speaks of
  washing the skin; "laptop bag" under 4202, whose text names bags);
- a finding only when no article word of the head phrase allows the declared code and the declared
  heading's texts (before their own qualifiers such as "for placing on a table") do not name the article; the
  suggestions in the evidence are the headings under the keyword's chapters whose texts name the article,
  or the keyword's chapters when none does.

Without the texts of the declared heading (the bundled subset lacks it) the keyword alone speaks and the
evidence says `schedule_text: false`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from parcelaudit.reference.hts import HtsSchedule

_HEAD_CUT = re.compile(
    r"\s+(?:for|with|w/|compatible\s+with|suitable\s+for|fits?|to|in|on|from|by|including|includes)\s+"
    r"|[,;:|(\[/]|\s+-\s+"
)
# A schedule text's qualifiers ("... not in cabinets for placing on a table") do not name its articles.
# ("for" stays: "preparations for washing the skin" names what they are).
_TEXT_CUT = re.compile(r"\s+(?:not|other than|except|excluding|suitable|designed|used|whether)\s+|;")
_POWER = re.compile(r"\b[\w]+[- ](?:operated|powered|driven|shaped|themed|style|inspired|free|based)\b")
_WORD = re.compile(r"[a-z]+")
# Words that say nothing about what the article is (they would match any heading's text).
GENERIC = frozenset(
    [
        "set",
        "sets",
        "kit",
        "kits",
        "pack",
        "pcs",
        "piece",
        "pieces",
        "pair",
        "pairs",
        "new",
        "other",
        "others",
        "part",
        "parts",
        "accessory",
        "accessories",
        "item",
        "items",
        "product",
        "products",
        "type",
        "kind",
        "made",
        "style",
        "size",
        "inch",
        "cm",
        "mm",
        "ml",
        "lot",
        "unit",
        "units",
        "pcs",
        "the",
        "and",
        "of",
        "a",
        "an",
        "or",
        "not",
        "nor",
        "whether",
        "its",
        "their",
        "than",
        "other",
        "mini",
        "large",
        "small",
        "big",
        "women",
        "men",
        "mens",
        "womens",
        "kids",
        "child",
        "children",
        "baby",
        "adult",
        "home",
        "use",
        "used",
        "new",
        "sale",
        "gift",
        "quality",
        "premium",
        "portable",
    ]
)


def stem(word: str) -> str:
    """A crude English stem: plural and verb endings removed (bags -> bag, washing -> wash, glasses -> glass)."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh"), ("xes", "x")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + keep
    for suffix in ("ing", "ed", "s"):  # "es" only after s, x, ch, sh (above): "cases" is "case" + "s"
        if word.endswith(suffix) and len(word) > len(suffix) + 2 and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def head_phrase(description: str) -> str:
    """The part of a description that names the article (before 'for', 'with', commas; power words dropped)."""
    text = description.lower().strip(" -*")
    text = _HEAD_CUT.split(text, maxsplit=1)[0]
    return _POWER.sub(" ", text).strip()


def content_stems(text: str) -> set[str]:
    """Stems of the words of a text that say what something is (generic words and short words dropped)."""
    return {stem(w) for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in GENERIC}


class ScheduleWords:
    """Stems of the schedule's texts per 4-digit heading (computed once per heading asked for)."""

    def __init__(self, schedule: HtsSchedule) -> None:
        self.by_heading: dict[str, list[str]] = {}
        self.complete = schedule.complete
        for code, line in schedule.lines.items():
            self.by_heading.setdefault(code[:4], []).append(line.description)
        self._stems: dict[str, frozenset[str]] = {}

    def of(self, heading: str) -> frozenset[str]:
        """The stems of every line text under a heading (empty when the schedule lacks the heading)."""
        if heading not in self._stems:
            self._stems[heading] = frozenset(
                s
                for text in self.by_heading.get(heading, ())
                for s in content_stems(_TEXT_CUT.split(text, 1)[0])
            )
        return self._stems[heading]

    def has_phrase(self, heading: str, phrase: str) -> bool:
        """Whether a text under the heading contains the phrase as written."""
        return any(phrase in text.lower() for text in self.by_heading.get(heading, ()))

    def headings_naming(self, word: str, prefixes: Iterable[str]) -> list[str]:
        """Headings under the prefixes whose texts contain the word's stem, most mentions first (at most 3)."""
        target = content_stems(word)
        found = []
        for heading, texts in self.by_heading.items():
            under = any(heading.startswith(p[:4]) or p.startswith(heading) for p in prefixes)
            if target and under and target <= self.of(heading):
                # the keyword written out ("t-shirt") outranks its stems alone ("shirt")
                literal = sum(word in t.lower() for t in texts)
                found.append((-literal, -sum(target <= content_stems(t) for t in texts), heading))
        return [h for *_, h in sorted(found)[:3]]


@lru_cache(maxsize=4)
def _article_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])({alternatives})(?:s|es)?(?![a-z0-9])")


def judge(
    description: str, hts: str, keyword_prefixes: dict[str, tuple[str, ...]], words: ScheduleWords
) -> dict | None:
    """A finding's facts when the description clearly names an article of another chapter, else None."""
    head = head_phrase(description)
    found = list(_article_pattern(tuple(keyword_prefixes)).finditer(head))
    if not found:
        return None
    article = found[-1].group(1)  # the last article word of the head phrase is the article itself
    prefixes = keyword_prefixes[article]
    # Marketplace titles pile up names ("power bank portable charger"): any article word allowing the
    # declared code is enough for no opinion.
    if any(hts.startswith(keyword_prefixes[m.group(1)]) for m in found):
        return None
    declared = words.of(hts[:4])
    if not declared and not words.complete:
        return (
            None  # a partial schedule lacking the declared heading cannot show that the heading does not fit
        )
    # The article's own words: the head phrase's last content word and the article words found in it
    # (materials and users, "hair" in "hair straightener", do not make a heading describe the article).
    named = [m for m in _WORD.finditer(head) if len(m.group()) > 2 and m.group() not in GENERIC]
    last = found[-1]
    if named and " " in last.group(1) and last.start() <= named[-1].start() < last.end():
        # a two-word article ("tank top") is named only by the two words together
        if declared and words.has_phrase(hts[:4], last.group(1)):
            return None
    else:
        article_stems = content_stems(named[-1].group() if named else "")
        for match in found:
            article_stems |= content_stems(match.group(1))
        if declared and article_stems & declared:
            return None  # the declared heading's own words describe the article
    suggested = words.headings_naming(article, prefixes) if words.by_heading else []
    return {
        "description": description,
        "hts": hts,
        "article": article,
        "head": head,
        "expected": ",".join(suggested or prefixes),
        "schedule_text": bool(declared),
    }
