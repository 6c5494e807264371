"""Screen party names against restricted lists: candidates from the index, scored, explained, best first."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from parcelaudit.screening.index import CandidateIndex
from parcelaudit.screening.model import Entry, RestrictedList
from parcelaudit.screening.names import (
    DISTINCTIVE,
    KEY_CLASSES,
    LEGAL,
    PreparedName,
    clear_name_caches,
    prepare,
    read_by_meaning,
)
from parcelaudit.screening.scoring import Alignment, align, clear_similarity_cache, explain
from parcelaudit.screening.settings import MATCH_THRESHOLD, setting
from parcelaudit.screening.supplement import (
    SUPPLEMENT_FILE,
    SupplementIndex,
    SupplementName,
    bundled_supplement,
)
from parcelaudit.screening.transliteration import (
    adjacent_joins,
    has_arabic_script,
    merge_toward,
    skeleton_reading,
)
from parcelaudit.screening.vocabulary import chinese_glosses, common_personal_names, pinyin_syllables

HIT_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("country", pa.string()),
        ("list", pa.string()),
        ("entry_id", pa.string()),
        ("matched_name", pa.string()),
        ("score", pa.float64()),
        ("explanation", pa.string()),
    ]
)

_COMMON_DF = int(setting("common_name_listed"))
_SYLLABLES = pinyin_syllables()
_CENSUS = common_personal_names()
_UNCORROBORATED = setting("uncorroborated_margin")
_BONUS = setting("country_bonus")
_PENALTY = setting("country_penalty")
_EXTRA = setting("extra_token_rate")
# Fuzzy pairs, merged words and abbreviations can score above the index's optimistic bound by this much.
_SLACK = 0.10
# A skeleton word held by more listed names than this (mhmd) only counts for names another word brought in.
SKELETON_POSTINGS = 400
_TRANSLITERATED = setting("transliterated_similarity")


@dataclass(frozen=True, slots=True)
class Hit:
    """One listed party a name matched: which list and entry, the listed name, the score and why."""

    list: str
    entry_id: str
    matched_name: str
    score: float
    explanation: str
    entry: Entry

    @property
    def program(self) -> str | None:
        """The entry's program, section or order type."""
        return self.entry.program


class Screener:
    """Screens names against a set of restricted lists; build once, screen many names."""

    def __init__(
        self,
        lists: Iterable[RestrictedList],
        threshold: float = MATCH_THRESHOLD,
        candidate_limit: int = 200,
        supplement: Iterable[SupplementName] | None = None,
    ) -> None:
        """Build the index over every listed name, with the original-script names of the supplement (the
        bundled one unless given; pass () for none) added to their entries."""
        self.lists = list(lists)
        self.threshold = threshold
        self.candidate_limit = candidate_limit
        self.entries: list[Entry] = []
        self.names: list[PreparedName] = []
        self.name_entry: list[int] = []
        self.supplement = (
            SupplementIndex(bundled_supplement(), SUPPLEMENT_FILE)
            if supplement is None
            else SupplementIndex(supplement)
        )
        # Names the supplement added (name id -> its row), so a hit on one says where the name came from.
        self.supplied: dict[int, SupplementName] = {}
        supplied_entries = 0
        for restricted in self.lists:
            for entry in restricted.entries:
                if entry.kind == "merchandise":
                    continue  # a WRO on goods ("all cotton from X") names no party to screen
                self.entries.append(entry)
                extra = self.supplement.names_for(entry) if self.supplement.rows else []
                supplied_entries += bool(extra)
                named: list[tuple[str, SupplementName | None]] = [(listed, None) for listed in entry.names]
                named += [(row.name, row) for row in extra]
                for listed, row in named:
                    prepared = prepare(listed)
                    if prepared.tokens:
                        if row is not None:
                            self.supplied[len(self.names)] = row
                        self.names.append(prepared)
                        self.name_entry.append(len(self.entries) - 1)
        self.supplied_entries = supplied_entries
        # How many listed person names hold each token: a name made only of tokens many listed people share
        # (Perez, Miguel, Li) is weak evidence when it is only part of the listed name.
        self.person_df: dict[str, int] = {}
        for prepared, entry_no in zip(self.names, self.name_entry, strict=True):
            if self.entries[entry_no].kind == "person":
                for token in set(prepared.tokens):
                    self.person_df[token] = self.person_df.get(token, 0) + 1
        self.words = frozenset(t for prepared in self.names for t in prepared.tokens)
        chinese_glosses()  # the dictionary of Chinese words' meanings, read once here rather than mid-screen
        # Consonant skeletons of the Latin-script listed names, for names written in Arabic script.
        self.skeletons: dict[str, set[int]] = {}
        self.skeleton_names: list[PreparedName | None] = []
        for name_id, prepared in enumerate(self.names):
            shape = None
            if prepared.text.isascii() or not has_arabic_script(prepared.text):
                shape = skeleton_reading(prepared)
                if shape is not None:
                    for token, cls in zip(shape.tokens, shape.classes, strict=True):
                        if cls in KEY_CLASSES and len(token) >= 2:
                            self.skeletons.setdefault(token, set()).add(name_id)
                    for joined in adjacent_joins(shape):
                        self.skeletons.setdefault(joined, set()).add(name_id)
            self.skeleton_names.append(shape)
        self.index = CandidateIndex(self.names)
        # The index is millions of long-lived objects; leaving them out of the cyclic collector's sweeps
        # keeps each screen from paying for them again and again.
        gc.freeze()

    def __len__(self) -> int:
        return len(self.names)

    def snapshots(self) -> list[dict[str, object]]:
        """The list snapshots this screener uses (code, source, date and its basis, SHA-256, counts): a run
        records them so that its hits can be traced to the exact lists."""
        snaps = [lst.snapshot() for lst in self.lists]
        if self.supplement.used:
            snaps.append(self.supplement.snapshot(self.supplied_entries))
        return snaps

    def _transliterated(
        self,
        query: PreparedName,
        best: dict[int, tuple[float, int, Alignment, PreparedName, PreparedName]],
        country: str | None,
        floor: float,
    ) -> None:
        """Listed Latin names that an Arabic-script name meets by consonant skeleton (محمد احمدی / Mohammad
        Ahmadi): those sharing two skeleton words (one when the name has one), or the whole name written
        together; each scored by skeleton alignment, kept in best where better."""
        shape = skeleton_reading(query)
        if shape is None:
            return
        words = {
            t for t, c in zip(shape.tokens, shape.classes, strict=True) if c in KEY_CLASSES and len(t) >= 2
        }
        needed = min(2, len(words))
        # Words joined toward a listed name are judged as that name's word, when some listed name has it.
        joined = adjacent_joins(shape)
        joins = [len(self.skeletons.get(t, ())) for t in joined]
        if floor >= self.threshold:
            # A word of three letters or more that no listed name has, alone or joined to a neighbour, stays
            # unmatched: at best 0.85 x 2 / 2.3 = 0.74 with two words matched, below the threshold even with
            # country and address bonuses.
            for k, token in enumerate(shape.tokens):
                if (
                    len(token) >= 3
                    and token not in self.skeletons
                    and not (k > 0 and joins[k - 1] > 0)
                    and not (k < len(joins) and joins[k] > 0)
                ):
                    return
        common = all(
            len(self.skeletons.get(t, ())) >= _COMMON_DF for t in shape.tokens if len(t) >= 3
        ) and all(count == 0 or count >= _COMMON_DF for count in joins)
        if common and not country and floor > self.threshold - _UNCORROBORATED:
            return  # any match would rest on common skeletons alone, capped below the floor
        keys = sorted(words | set(joined), key=lambda t: len(self.skeletons.get(t, ())))
        shared: dict[int, int] = {}
        seeded = False
        for token in keys:
            postings = self.skeletons.get(token)
            if not postings:
                continue
            if not seeded and len(postings) > SKELETON_POSTINGS and not country and floor > 0.5:
                return  # every listed word is shared by hundreds of names: capped below the floor anyway
            if not seeded or len(postings) <= SKELETON_POSTINGS:
                seeded = True
                for name_id in postings:
                    shared[name_id] = shared.get(name_id, 0) + 1
            else:
                for name_id in shared:
                    if name_id in postings:
                        shared[name_id] += 1
        for name_id, count in shared.items():
            listed = self.skeleton_names[name_id]
            if count < needed or listed is None:
                continue
            if floor > 0.5 and sum(1 for t in listed.tokens if len(t) >= 3) > count + 1:
                continue  # two words or more of the listed name left over: far below the floor
            mine, listed = merge_toward(shape, listed), merge_toward(listed, shape)
            alignment = align(mine, listed)
            score = round(alignment.score * _TRANSLITERATED, 4)
            entry_no = self.name_entry[name_id]
            found = best.get(entry_no)
            corroborated = country is not None and country.upper() in self.entries[entry_no].countries
            if (
                score > 0.0
                and not corroborated
                and all(len(self.skeletons.get(t, ())) >= _COMMON_DF for t in mine.tokens if len(t) >= 3)
            ):
                # Every word one that many listed names share in skeleton (Hossein Musavi, Mohammad
                # Mahmoudi): weak evidence of this person until the country corroborates it.
                score = min(score, self.threshold - _UNCORROBORATED)
            if score > 0.0 and (found is None or score > found[0]):
                scored = Alignment(score, alignment.pairs, alignment.coverage, alignment.capped)
                best[entry_no] = (score, name_id, scored, mine, listed)

    def _listed_word(self, word: str) -> str | None:
        """The word, when some listed name has it (a meaning of a Chinese word the lists use)."""
        return word if word in self.words else None

    def clear_caches(self) -> None:
        """Forget what earlier screens remembered (prepared names, token lookups), so the next start cold."""
        clear_name_caches()
        clear_similarity_cache()
        self.index.clear_memos()

    def _common_subset(self, query: PreparedName, listed: PreparedName, alignment: Alignment) -> bool:
        """Whether the match rests on common personal names alone: one name wholly within the other with a name
        token left over (Carlos Hernandez / HERNANDEZ, Juan Carlos), or a whole name of two Chinese syllables
        (Zhang Jian), with at most two names matched and each of them common."""
        whole = min(alignment.coverage) >= 0.999
        if max(alignment.coverage) < 0.999:
            return False
        # A whole name is common only when it is a Chinese name: syllables, or (written in characters, 李桂花)
        # words of two or three syllables (guihua).
        if whole and not all(
            t in _SYLLABLES or (strict and _chinese_given_name(t))
            for t, strict in zip(query.tokens, query.strict, strict=True)
        ):
            return False
        # Three or more names agreeing are rare together, however common each is.
        if sum(1 for ia, _, _ in alignment.pairs if query.classes[ia[0]] in (DISTINCTIVE, "common")) > 2:
            return False
        matched_q = {i for ia, _, _ in alignment.pairs for i in ia}
        matched_l = {j for _, ib, _ in alignment.pairs for j in ib}
        longer, matched = (listed, matched_l) if alignment.coverage[0] >= 0.999 else (query, matched_q)
        if not whole and not any(
            longer.classes[k] in (DISTINCTIVE, "common") and len(longer.tokens[k]) > 2
            for k in range(len(longer.tokens))
            if k not in matched
        ):
            return False
        return self._all_common(query, listed, alignment)

    def _all_common(self, query: PreparedName, listed: PreparedName, alignment: Alignment) -> bool:
        """Whether every matched pair is a common personal name on one side or the other (Rodrigues ~
        RODRIGUEZ: either spelling may be the common one)."""
        df = self.person_df

        def common(name: PreparedName, positions: tuple[int, ...]) -> bool:
            return all(
                _is_common(name.tokens[k], name.classes[k], df.get(name.tokens[k], 0))
                or (name.strict[k] and _chinese_given_name(name.tokens[k]))
                for k in positions
                if name.classes[k] in (DISTINCTIVE, "common")
            )

        return all(common(query, ia) or common(listed, ib) for ia, ib, _ in alignment.pairs)

    def _person_on_a_company(self, query: PreparedName, listed: PreparedName, alignment: Alignment) -> bool:
        """Whether a name that reads as a person's (no legal form, no industry word) matches a company or
        vessel only through common personal names, not word for word (Martin Gomez / GOMEZ MARIN LTDA.,
        郝帆 / HAO FAN 2): a person named like the company, until something corroborates it."""
        if any(c == LEGAL or c == "org" for c in query.classes):
            return False
        if min(alignment.coverage) >= 0.999 and all(sim >= 1.0 for _, _, sim in alignment.pairs):
            return False
        # A company or a vessel has no initials: a letter there (SILVIA I) is a number or a code, so a name
        # matched against it as an initial (Silvia Irizarry) is a person's.
        for ia, ib, sim in alignment.pairs:
            if sim < 1.0 and (
                (len(ia) == 1 and len(query.tokens[ia[0]]) == 1)
                or (len(ib) == 1 and len(listed.tokens[ib[0]]) == 1)
            ):
                return True
        return self._all_common(query, listed, alignment)

    def _adjust(self, entry: Entry, country: str | None, address: str | None) -> tuple[float, str]:
        delta, notes = 0.0, []
        if country and entry.countries:
            if country.upper() in entry.countries:
                delta += _BONUS
                notes.append(f"country {country.upper()} agrees (+{_BONUS:.2f})")
            else:
                delta -= _PENALTY
                notes.append(
                    f"country {country.upper()} not in {'/'.join(entry.countries)} (-{_PENALTY:.2f})"
                )
        if address and entry.addresses:
            query_tokens = set(prepare(address).tokens)
            listed = [prepare(a) for a in entry.addresses]
            shared = sorted(
                {
                    t
                    for name in listed
                    for t, c in zip(name.tokens, name.classes, strict=True)
                    if c in (DISTINCTIVE, "place") and len(t) >= 4 and t in query_tokens
                }
            )
            if shared:
                delta += _BONUS
                notes.append(f"address shares {', '.join(shared[:3])} (+{_BONUS:.2f})")
        return delta, "; ".join(notes)

    def screen(
        self,
        name: str,
        country: str | None = None,
        address: str | None = None,
        min_score: float | None = None,
        exhaustive: bool = False,
    ) -> list[Hit]:
        """Hits for one name at or above min_score (default: the threshold), one per entry, best first."""
        floor = self.threshold if min_score is None else min_score
        query = prepare(name or "")
        if not query.tokens:
            return []
        readings = [query]
        if not name.isascii():
            # Chinese words read by the meanings the lists use (东方希望 -> east hope), as a second query.
            other = read_by_meaning(name, self._listed_word)
            if other is not None:
                readings.append(other)
        # Only a country or an address given can add a bonus, so only then may a lower name score hit.
        headroom = _BONUS * (bool(country) + bool(address)) + _SLACK
        best: dict[int, tuple[float, int, Alignment, PreparedName, PreparedName]] = {}
        for reading in readings:
            if exhaustive:
                ids: Iterable[int] = range(len(self.names))
            else:
                ids = self.index.candidates(reading, self.candidate_limit, floor - headroom, _EXTRA)
            for name_id in ids:
                entry_no = self.name_entry[name_id]
                found = best.get(entry_no)
                if found is not None and found[0] >= 1.0:
                    continue  # another name of this entry already matched exactly: nothing can beat it
                alignment = align(reading, self.names[name_id])
                if alignment.score <= 0.0:
                    continue
                if found is None or alignment.score > found[0]:
                    best[entry_no] = (alignment.score, name_id, alignment, reading, self.names[name_id])
        if not name.isascii() and has_arabic_script(name):
            self._transliterated(query, best, country, floor)
        hits = []
        for entry_no, (score, name_id, alignment, query, listed) in best.items():
            entry = self.entries[entry_no]
            delta, note = self._adjust(entry, country, address)
            capped = self.threshold - _UNCORROBORATED
            if score > capped and delta <= 0.0:
                # Uncorroborated: only common names, and only part of the listed name (Carlos Hernandez /
                # HERNANDEZ, Juan Carlos), or a person's name on a company's (Martin Gomez / GOMEZ MARIN
                # LTDA.); it stays below the threshold, in the review band, unless the country agrees.
                if entry.kind == "person":
                    weak = self._common_subset(query, listed, alignment)
                    why_capped = "common names, part of the listed name"
                else:
                    weak = self._person_on_a_company(query, listed, alignment)
                    why_capped = f"a person's common names on a {entry.kind}'s name"
                if weak:
                    note = "; ".join(
                        p for p in (note, f"{why_capped}: needs corroboration (capped at {capped:.2f})") if p
                    )
                    score = capped
            final = max(0.0, min(1.0, score + delta))
            if final < floor:
                continue
            why = explain(query, listed, alignment) + (f"; {note}" if note else "")
            if any(query is reading for reading in readings[1:]):
                why += "; Chinese words read by meaning (CC-CEDICT)"
            elif query is not readings[0]:
                why += "; compared by consonant skeleton (Arabic script against a Latin spelling)"
            supplied = self.supplied.get(name_id)
            if supplied is not None:
                why += f"; {supplied.note()}"
            hits.append(Hit(entry.list_code, entry.entry_id, listed.text, round(final, 4), why, entry))
        hits.sort(key=lambda h: (-h.score, h.list, h.entry_id))
        return hits


def _is_common(token: str, cls: str, listed_by: int) -> bool:
    # A name of one Chinese syllable (Ping, Chang) is shared by millions, whatever the lists hold; so are the
    # commonest surnames and first names of the US census (Reyes, Barrera, Austin, Robert).
    return cls == "common" or listed_by >= _COMMON_DF or token in _SYLLABLES or token in _CENSUS


def _chinese_given_name(token: str) -> bool:
    """Whether the token is two or three pinyin syllables written together (guihua, jianguo)."""
    size = len(token)
    for first in range(1, min(6, size - 1) + 1):
        if token[:first] in _SYLLABLES:
            rest = token[first:]
            if rest in _SYLLABLES:
                return True
            for second in range(1, min(6, len(rest) - 1) + 1):
                if rest[:second] in _SYLLABLES and rest[second:] in _SYLLABLES:
                    return True
    return False


def screen_party_table(parties: pa.Table, screener: Screener | None = None) -> pa.Table:
    """Screen each distinct (name, country) once; one output row per hit at or above the threshold."""
    if screener is None:
        from parcelaudit.screening.lists import default_screener

        screener = default_screener()
    names = parties.column("name").to_pylist() if "name" in parties.column_names else []
    countries = (
        parties.column("country").to_pylist() if "country" in parties.column_names else [None] * len(names)
    )
    rows: dict[str, list] = {field.name: [] for field in HIT_SCHEMA}
    for name, country in dict.fromkeys(zip(names, countries, strict=True)):
        if not name:
            continue
        for hit in screener.screen(name, country):
            for key, value in (
                ("name", name),
                ("country", country),
                ("list", hit.list),
                ("entry_id", hit.entry_id),
                ("matched_name", hit.matched_name),
                ("score", hit.score),
                ("explanation", hit.explanation),
            ):
                rows[key].append(value)
    return pa.table(rows, schema=HIT_SCHEMA)
