"""Candidate index: finds the listed names that share a rare token (or a one-typo variant of one) with a query.

Every indexed token is stored with its one-deletion variants (the symmetric-delete scheme), so a query
token within one edit of a listed token meets it at a shared key without comparing against every name.
Each key holds separate postings: names having the key as a whole token, and names having it as a token
with one letter deleted, so that "beck" meets listed "becks" and "bekc" but not every listed "bek" beyond
what one edit allows. Tokens of LONG_TOKEN letters or more, which scoring lets differ by two edits, are
also stored under their two-deletion variants (a third posting), so Abdurazak still meets Abdelrazak;
a query looks a long token up that wide only when it could carry a match alone, or when other tokens met
names it could complete. Two adjacent listed tokens written as one are a fourth posting (EP-MHG meets
EPMHG), kept apart so that the bound knows one query token stood for two listed ones, with typo keys of
their own (a fifth) where a part is too short for its own. Generic words and legal forms are not keys:
they cannot make a match on their own."""

from __future__ import annotations

from collections import defaultdict

from rapidfuzz.distance import OSA

from parcelaudit.screening.names import DISTINCTIVE, KEY_CLASSES, LEGAL, PreparedName
from parcelaudit.screening.scoring import allowed_edits, collapse_doubled, has_doubled, token_similarity
from parcelaudit.screening.vocabulary import name_variants

MIN_DELETE_LEN = 4
# Tokens longer than this get no typo keys and are looked up exactly: their one- and two-deletion variants
# grow with the square and the cube of the length (a 4,000-letter token would need gigabytes), and no
# listed name has a word this long (the longest token on SDN + UN + UFLPA has 26 letters, measured).
MAX_TYPO_TOKEN = 40
LONG_TOKEN = 8  # scoring allows two edits between tokens this long (scoring.allowed_edits)
# Above this many names to complete, a long token unknown to the lists is looked up two edits wide rather
# than compared with each name.
TWO_EDIT_CHECK_LIMIT = 24
_VARIANTS = name_variants()
_NONE: tuple[int, ...] = ()
_EMPTY: frozenset[int] = frozenset()


def _deletions(token: str) -> list[str]:
    if len(token) > MAX_TYPO_TOKEN:
        return []
    return [token[:k] + token[k + 1 :] for k in range(len(token))]


def _double_deletions(token: str) -> set[str]:
    size = len(token)
    if size > MAX_TYPO_TOKEN:
        return set()
    twice: set[str] = set()
    for k in range(size):
        once = token[:k] + token[k + 1 :]
        twice.update([once[:j] + once[j + 1 :] for j in range(k, size - 1)])
    return twice


def deletion_keys(token: str, twice: bool = False) -> set[str]:
    """The typo keys of a token: its one-letter deletions, or (twice) its two-letter ones; none past MAX_TYPO_TOKEN."""
    return _double_deletions(token) if twice else set(_deletions(token))


def _joined_pairs(name: PreparedName) -> list[tuple[int, str]]:
    """Adjacent token pairs written as one word, with the position of the first token."""
    return [
        (i, name.tokens[i] + name.tokens[i + 1])
        for i in range(len(name.tokens) - 1)
        if name.classes[i] != LEGAL
        and name.classes[i + 1] != LEGAL
        and not (name.strict[i] or name.strict[i + 1])
        and len(name.tokens[i]) + len(name.tokens[i + 1]) >= 5
    ]


def _added(held: set[int], owned: bool, hit: set[int]) -> tuple[set[int], bool]:
    """held with hit added, and whether the set returned is held's own: hit itself while held is empty (not
    copied, so never to be changed), a new set the first time a second one adds to it, held itself after."""
    if not held:
        return hit, False
    if owned:
        held |= hit
        return held, True
    return held | hit, True


class CandidateIndex:
    """Inverted index from token keys to the ids of the prepared names holding them."""

    def __init__(self, names: list[PreparedName], max_posting: int = 2000) -> None:
        # Each distinct listed token once, with the names holding it: a common token (Mohammad) is expanded
        # into its typo keys once, not once per name.
        holders: dict[tuple[str, bool, bool], set[int]] = defaultdict(set)  # (token, typos, joined) -> names
        for name_id, name in enumerate(names):
            for token, cls, strict in zip(name.tokens, name.classes, name.strict, strict=True):
                if cls in KEY_CLASSES and len(token) >= 2:
                    holders[(token, not strict, False)].add(name_id)
            # Two adjacent words written as one on the other side (YK-AKE / YKAKE, van der Bilt).
            for i, written_together in _joined_pairs(name):
                # With typos only where a part is too short to have typo keys of its own (EP-IBC / EPIBD):
                # for longer parts they would double the index and, measured, find nothing more.
                short = min(len(name.tokens[i]), len(name.tokens[i + 1])) < MIN_DELETE_LEN
                holders[(written_together, short, True)].add(name_id)
        # Per key, the names having it: 0 as a whole token, 1 with one letter deleted, 2 with two letters
        # deleted (long tokens only), 3 as two adjacent tokens written as one, 4 that with one letter deleted.
        buckets: dict[str, list] = {}

        def put(key: str, slot: int, ids: set[int]) -> None:
            entry = buckets.get(key)
            if entry is None:
                entry = buckets[key] = [None, None, None, None, None]
            held = entry[slot]
            if held is None:
                entry[slot] = set(ids)
            else:
                held |= ids

        def add(token: str, ids: set[int], typos: bool, joined: bool) -> None:
            put(token, 3 if joined else 0, ids)
            variant = None if joined else _VARIANTS.get(token)
            if variant is not None and variant != token:
                put("=" + variant, 0, ids)  # another spelling of one name (Hezbollah / Hizballah)
            if not joined and has_doubled(token):
                # A doubled letter written once (EP-IDD / EP-ID) is a slip scoring forgives in any token.
                add(collapse_doubled(token), ids, typos, False)
            if typos and len(token) >= MIN_DELETE_LEN:
                for variant in _deletions(token):
                    put(variant, 4 if joined else 1, ids)
                if len(token) >= LONG_TOKEN and not joined:
                    for variant in _double_deletions(token):
                        put(variant, 2, ids)

        for (token, typos, joined), ids in holders.items():
            add(token, ids, typos, joined)
        # Keys held by very many names (Mohammad, Trading...) would only slow every query down.
        self.postings: dict[str, list] = {}
        for key, entry in buckets.items():
            useful = False
            for slot in range(5):
                held = entry[slot]
                if held is None or len(held) > max_posting:
                    entry[slot] = _NONE
                else:
                    entry[slot] = tuple(held)
                    useful = True
            if useful:
                self.postings[key] = entry
        self.totals = [name.total for name in names]
        # Weight of tokens that are not keys (initials, particles, legal forms): they may still match.
        self.unkeyed = [name.total - sum(k[0] for k in name.keyed) for name in names]
        self.keyed_count = [len(name.keyed) for name in names]
        self.two_keys = frozenset(name_id for name_id, count in enumerate(self.keyed_count) if count <= 2)
        self.names = names
        # Names with an initial (one letter, not a key), which pairs up in scoring like a key token.
        self.initials = frozenset(
            name_id
            for name_id, name in enumerate(names)
            if any(len(t) < 2 and c == DISTINCTIVE for t, c in zip(name.tokens, name.classes, strict=True))
        )
        # Long tokens may differ by two edits: each listed one with the names two edits from it, and per
        # name its long tokens, to compare a few names directly with a long query token not on any list.
        self.long_tokens = [
            tuple(t for _, t, strict, _ in name.keyed if len(t) >= LONG_TOKEN and not strict)
            for name in names
        ]
        by_length: dict[int, set[int]] = defaultdict(set)
        for name_id, tokens in enumerate(self.long_tokens):
            for token in tokens:
                by_length[len(token)].add(name_id)
        self._long_by_length = {length: frozenset(ids) for length, ids in by_length.items()}
        self._fitting_memo: dict[int, frozenset[int]] = {}
        self._two_edits: dict[str, frozenset[int]] = {}
        self._long_neighbours = {
            token: self._two_edit_hits(token) for tokens in self.long_tokens for token in tokens
        }
        self._two_edits.clear()
        self._hits: dict[str, tuple[set[int], frozenset[int]]] = {}
        self._strict_hits: dict[str, tuple[set[int], frozenset[int]]] = {}
        # Precomputed with the index, and kept by clear_memos: the lookup of every listed key token (a query
        # token on some list, Maria or Mohammad, has the largest hit sets) and the names fitting each long-token
        # length. Remembered during screening instead, these large sets were young objects that the cyclic
        # garbage collector walked element by element (measured: a tenth of the time on names on no list);
        # built here, they are frozen with the index (Screener), at about 0.3 s and some 50 MiB more.
        self._listed_hits: dict[str, tuple[set[int], frozenset[int]]] = {}
        for name in names:
            for token, cls in zip(name.tokens, name.classes, strict=True):
                if cls in KEY_CLASSES and len(token) >= 2 and token not in self._listed_hits:
                    self._listed_hits[token] = self._token_hits(token, False)
        self._hits.clear()
        for length in range(LONG_TOKEN, MAX_TYPO_TOKEN + 1):
            self._fitting(length)

    def _token_hits(self, token: str, strict: bool) -> tuple[set[int], frozenset[int]]:
        """Names holding this token or, unless strict, a token within one edit of it; and of those, the names
        where it met two adjacent tokens written as one. The sets returned are shared: do not change them.

        Only pairs whose shorter token has at least MIN_DELETE_LEN letters are looked for: shorter tokens
        must match exactly when scored, so other keys would only bring in candidates that cannot match.
        """
        if not strict:
            listed = self._listed_hits.get(token)
            if listed is not None:
                return listed
        memo = self._strict_hits if strict else self._hits
        cached = memo.get(token)
        if cached is not None:
            return cached
        postings = self.postings
        entry = postings.get(token)
        found: set[int] = set()
        joined: set[int] = set()
        if entry:
            found.update(entry[0])  # the same token
            joined.update(entry[3])
        variant = _VARIANTS.get(token)
        if variant is not None:
            for key in (variant, "=" + variant):
                spelled = postings.get(key)
                if spelled:
                    found.update(spelled[0])  # another spelling of the same name
        if has_doubled(token):
            collapsed = postings.get(collapse_doubled(token))
            if collapsed:
                found.update(collapsed[0])  # the same token with a doubled letter written once
        if not strict and len(token) >= MIN_DELETE_LEN:
            if entry:
                found.update(entry[1])  # a listed token one letter longer
                joined.update(entry[4])
            long_enough = len(token) > MIN_DELETE_LEN
            for k in range(len(token) if len(token) <= MAX_TYPO_TOKEN else 0):  # as _deletions
                entry = postings.get(token[:k] + token[k + 1 :])
                if entry is None:
                    continue
                if entry[1]:
                    found.update(entry[1])  # one letter different or swapped
                if entry[4]:
                    joined.update(entry[4])
                if long_enough:
                    if entry[0]:
                        found.update(entry[0])  # a listed token one letter shorter
                    if entry[3]:
                        joined.update(entry[3])
        if joined:
            found |= joined
        if len(memo) > 200_000:
            memo.clear()
        result = memo[token] = (found, frozenset(joined) if joined else _EMPTY)
        return result

    def _two_edit_hits(self, token: str) -> frozenset[int]:
        """Names holding a token two edits from this one, both having LONG_TOKEN letters or more."""
        cached = self._two_edits.get(token)
        if cached is not None:
            return cached
        postings = self.postings
        found: set[int] = set()
        entry = postings.get(token)
        if entry:
            found.update(entry[2])  # two letters longer
        for k in range(len(token) if len(token) <= MAX_TYPO_TOKEN else 0):  # as _deletions
            entry = postings.get(token[:k] + token[k + 1 :])
            if entry is not None and entry[2]:
                found.update(entry[2])  # one letter longer and one different
        size = len(token)
        for variant in _double_deletions(token):
            entry = postings.get(variant)
            if entry:
                found.update(entry[2])  # two letters different
                if size > LONG_TOKEN:
                    found.update(entry[1])  # one letter shorter and one different
                    if size > LONG_TOKEN + 1:
                        found.update(entry[0])  # two letters shorter
        if len(self._two_edits) > 100_000:
            self._two_edits.clear()
        result = self._two_edits[token] = frozenset(found)
        return result

    def _leftovers_pair(self, name_id: int, query_tokens: list[str]) -> bool:
        """Whether any of these query tokens is similar enough to a key token of the name to pair in scoring."""
        listed = self.names[name_id].keyed
        return any(
            token_similarity(token, other) > 0.0 for token in query_tokens for _, other, _, _ in listed
        )

    def _joined_hits(self, joined: str) -> tuple[int, ...]:
        entry = self.postings.get(joined)
        return entry[0] if entry else _NONE

    def candidates(self, query: PreparedName, limit: int, floor: float, extra_rate: float) -> list[int]:
        """Name ids whose best possible score (from the query weight they share) reaches floor, best first."""
        usable = query.keyed
        if not usable:
            return []
        total = query.total
        remaining = remaining_start = sum(k[0] for k in usable)
        unkeyed_q = total - remaining
        # Scoring forgives tokens left over on one side only when two or more tokens pair up; a name that
        # shares one token must carry the whole query weight (bound <= (shared + unkeyed) / total).
        needed_single = floor * total - unkeyed_q
        needed_forgiving = (
            floor * extra_rate * total / (1.0 - floor + floor * extra_rate) if floor < 1 else total
        ) - unkeyed_q
        # Generic words (Shenzhen, Technology) bring in candidates only when the name has nothing rarer.
        specific = not all(k[3] for k in usable)
        merged: set[int] = set()  # met where a query token is two listed tokens written as one
        token_hits: list[tuple[float, str, set[int]]] = []
        alone: set[int] = set()  # met at a token heavy enough to carry a match alone
        met: set[int] = set()  # met at a token after which enough weight remains for a second pair
        again: set[int] = set()  # met at two tokens or more
        # alone and met start as the first token's hits themselves, shared with the lookup memo (most names
        # bring candidates in at one token only), and become sets of their own when a second one adds to
        # them: copying a common name's hits cost more than the rest of the lookup (measured).
        alone_owned = met_owned = False
        long_tokens: list[int] = []  # positions in token_hits of long tokens that may pair beyond one edit
        long_seen = 0.0
        for weight, token, strict, generic in usable:
            long = not strict and not generic and len(token) >= LONG_TOKEN
            # Prefix filter: a name first met at this token shares at most the weight still to come, and
            # that of long tokens passed, which it may still share beyond one edit.
            ahead = remaining + long_seen
            admits_alone = weight >= needed_single and not (generic and specific)
            admits = admits_alone or (
                ahead >= needed_forgiving and ahead > weight + 1e-9 and not (generic and specific)
            )
            remaining -= weight
            if not admits and not met and not alone:
                # Nothing met so far, and this token may bring no name in: it has nothing to add to.
                long_seen += weight if long else 0.0
                continue
            hit, via_joined = self._token_hits(token, strict)
            if via_joined:
                merged |= via_joined
            if long and admits_alone:
                hit = hit | self._two_edit_hits(token)  # heavy enough to carry a match alone
                long = False
            if hit or long:
                token_hits.append((weight, token, hit))
                if met:
                    again |= hit & met
                if admits_alone:
                    alone, alone_owned = _added(alone, alone_owned, hit)
                if admits and ahead > weight + 1e-9 and ahead >= needed_forgiving:
                    met, met_owned = _added(met, met_owned, hit)
                if long:
                    long_tokens.append(len(token_hits) - 1)
                    long_seen += weight
        joined_weight: dict[int, float] = {}
        for i, joined in _joined_pairs(query):
            pair_weight = query.weights[i] + query.weights[i + 1]
            for name_id in self._joined_hits(joined):
                joined_weight[name_id] = joined_weight.get(name_id, 0.0) + pair_weight
        if joined_weight:
            if not alone_owned:
                alone = set(alone)
            if remaining_start >= needed_forgiving:
                alone.update(joined_weight)
            else:
                alone.update(met.intersection(joined_weight))
        ids = alone | again
        if met:
            # A listed initial may pair with a query token as a second pair (Bicentenario I / Bicetenario IX).
            ids |= met & self.initials
            if long_tokens:
                # A name sharing only two tokens, with key weight of 1.5 or more left over in the query,
                # cannot reach the floor unless nothing is left over on its side.
                crowded = remaining_start - 2.0 >= 1.5
                ids |= self._widen_long_tokens(token_hits, long_tokens, met - ids, crowded)
        if not ids:
            return []
        return self._rank(
            query, ids, token_hits, joined_weight, merged, needed_forgiving, floor, extra_rate, limit
        )

    def _widen_long_tokens(
        self,
        token_hits: list[tuple[float, str, set[int]]],
        long_tokens: list[int],
        met_once: set[int],
        crowded: bool,
    ) -> set[int]:
        """Names met at one token that also hold a token two edits from a long query token (Abdurazak /
        Abdelrazak), which scoring pairs; each such long token's hits are widened to them in place.

        When the query has much key weight besides (crowded), a name sharing two tokens can only reach the
        floor if it has no more key tokens itself, as leftovers on both sides count in full.
        """
        widened: set[int] = set()
        pool = met_once & self.two_keys if crowded else met_once
        if not pool:
            return widened
        for position in long_tokens:
            weight, token, hit = token_hits[position]
            known = self._long_neighbours.get(token)
            near: set[int]
            if known is not None:
                near = pool & known  # a listed token: its neighbours two edits away are known
            else:
                fitting = pool & self._fitting(len(token))
                if len(fitting) > TWO_EDIT_CHECK_LIMIT:
                    near = fitting & self._two_edit_hits(token)
                else:
                    near = self._two_edits_among(token, fitting) if fitting else fitting
            near -= hit
            if near:
                token_hits[position] = (weight, token, hit | near)
                widened |= near
        return widened

    def _fitting(self, length: int) -> frozenset[int]:
        """Names having a long token that scoring may pair, within its edit budget, with a token this long."""
        cached = self._fitting_memo.get(length)
        if cached is None:
            cached = self._fitting_memo[length] = frozenset().union(
                *(
                    self._long_by_length.get(other, _EMPTY)
                    for other in range(length - 3, length + 4)
                    if other >= LONG_TOKEN and abs(other - length) <= allowed_edits(min(other, length))
                )
            )
        return cached

    def _two_edits_among(self, token: str, names: set[int]) -> set[int]:
        """Those of these names with a long token within scoring's edit budget of this long token."""
        near = set()
        size = len(token)
        for name_id in names:
            for listed in self.long_tokens[name_id]:
                budget = allowed_edits(min(size, len(listed)))
                if OSA.distance(token, listed, score_cutoff=budget) <= budget:
                    near.add(name_id)
                    break
        return near

    def _rank(
        self,
        query: PreparedName,
        ids: set[int],
        token_hits: list[tuple[float, str, set[int]]],
        joined_weight: dict[int, float],
        merged: set[int],
        lowest: float,
        floor: float,
        extra_rate: float,
        limit: int,
    ) -> list[int]:
        """The names whose optimistic score reaches floor, best first, at most limit of them; a name sharing
        less key weight than lowest cannot reach it even with leftovers forgiven."""
        total = query.total
        unkeyed_q = total - sum(k[0] for k in query.keyed)
        # An initial (J. / John) is not a key but pairs up in scoring, so any key hit may be a second pair.
        initials = any(
            len(t) < 2 and c == DISTINCTIVE for t, c in zip(query.tokens, query.classes, strict=True)
        )
        totals, unkeyed, keyed_count, listed_initials = (
            self.totals,
            self.unkeyed,
            self.keyed_count,
            self.initials,
        )
        # Tokens the keys may not find a partner for: long ones (two edits or more) and doubled letters.
        fuzzy = [
            t for _, t, strict, _ in query.keyed if not strict and (len(t) >= LONG_TOKEN or has_doubled(t))
        ]

        def met_tokens(name_id: int) -> set[str]:
            return {token for _, token, hit in token_hits if name_id in hit}

        kept = []
        for name_id in ids:
            shared, pairs = joined_weight.get(name_id, 0.0), 0
            # Each listed token pairs with one query token at most (Song Jong meets Dong only once).
            room = keyed_count[name_id]
            for weight, _, hit in token_hits:
                if name_id in hit and pairs < room:
                    shared += weight
                    pairs += 1
            if shared < lowest:
                continue
            pairs += name_id in joined_weight or name_id in merged
            # Optimistic score: shared key weight matched exactly on both sides, tokens that are not keys
            # matched too, the rest left unmatched.
            left_q = total - shared - unkeyed_q
            left_c = totals[name_id] - shared - unkeyed[name_id]
            against = left_q if left_q > left_c else left_c
            # Scoring counts leftovers on both sides; the bound counts only the larger, since leftover tokens
            # may still pair up as typos beyond one edit, merged words or abbreviations.
            if (left_q <= 1e-9 or left_c <= 1e-9) and (initials or pairs >= 2 or name_id in listed_initials):
                against *= extra_rate
            other = unkeyed[name_id]
            matched = shared + (unkeyed_q if unkeyed_q < other else other)
            bound = matched / (matched + against) if against > 0 else 1.0
            if bound < floor and fuzzy and left_q > 1e-9 and left_c > 1e-9:
                # Leftovers on both sides may still pair beyond what the keys find (8688 / 8662 with a
                # doubled letter, a long token three edits off): look at the tokens when it would matter.
                paired = matched + min(left_q, left_c)
                if paired / (paired + extra_rate * abs(left_q - left_c)) >= floor and self._leftovers_pair(
                    name_id, [token for token in fuzzy if token not in met_tokens(name_id)]
                ):
                    bound = floor
            if bound >= floor:
                kept.append((bound, shared, name_id))
        kept.sort(reverse=True)
        return [name_id for _, _, name_id in kept[:limit]]

    def clear_memos(self) -> None:
        """Forget the token lookups remembered from earlier queries."""
        self._hits.clear()
        self._strict_hits.clear()
        self._two_edits.clear()

    def __len__(self) -> int:
        return len(self.postings)
