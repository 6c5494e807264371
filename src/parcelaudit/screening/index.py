"""Candidate index: finds the listed names that share a rare token (or a one-typo variant of one) with a query.

Every indexed token is stored with its one-deletion variants (the symmetric-delete scheme), so a query
token within one edit of a listed token meets it at a shared key without comparing against every name;
deletion keys are kept apart from whole tokens so that "beck" does not meet every listed "bek".
Generic words and legal forms are not keys: they cannot make a match on their own.
"""

from __future__ import annotations

from collections import defaultdict

from parcelaudit.screening.names import KEY_CLASSES, LEGAL, PreparedName

MIN_DELETE_LEN = 4
_DELETED = "\x00"  # prefix of keys that are a listed token with one letter deleted


def _deletions(token: str) -> set[str]:
    return {token[:k] + token[k + 1 :] for k in range(len(token))}


def listed_keys(token: str, strict: bool) -> list[str]:
    """Keys under which a listed token is stored: itself and, if it tolerates typos, its one-deletion variants."""
    if strict or len(token) < MIN_DELETE_LEN:
        return [token]
    return [token, *(_DELETED + v for v in _deletions(token))]


def query_keys(token: str, strict: bool) -> list[str]:
    """Keys a query token looks up to meet listed tokens within one edit (same length, one longer or shorter).

    Only pairs whose shorter token has at least MIN_DELETE_LEN letters are looked for: shorter tokens must
    match exactly when scored, so other keys would only bring in candidates that cannot match.
    """
    if strict or len(token) < MIN_DELETE_LEN:
        return [token]
    variants = _deletions(token)
    keys = [token, _DELETED + token]
    keys += [_DELETED + v for v in variants]
    keys += [v for v in variants if len(v) >= MIN_DELETE_LEN]
    return keys


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


class CandidateIndex:
    """Inverted index from token keys to the ids of the prepared names holding them."""

    def __init__(self, names: list[PreparedName], max_posting: int = 2000) -> None:
        postings: dict[str, set[int]] = defaultdict(set)
        for name_id, name in enumerate(names):
            for token, cls, strict in zip(name.tokens, name.classes, name.strict, strict=True):
                if cls in KEY_CLASSES and len(token) >= 2:
                    for key in listed_keys(token, strict):
                        postings[key].add(name_id)
            # Two adjacent words written as one on the other side (YK-AKE / YKAKE, van der Bilt).
            for _, joined in _joined_pairs(name):
                for key in listed_keys(joined, False):
                    postings[key].add(name_id)
        # Keys held by very many names (Mohammad, Trading...) would only slow every query down.
        self.max_posting = max_posting
        self.totals = [name.total for name in names]
        # Weight of tokens that are not keys (initials, particles, legal forms): they may still match.
        self.unkeyed = [name.total - sum(k[0] for k in name.keyed) for name in names]
        self._hits: dict[str, frozenset[int]] = {}
        self.postings: dict[str, tuple[int, ...]] = {
            key: tuple(ids) for key, ids in postings.items() if len(ids) <= max_posting
        }

    def _token_hits(self, token: str, strict: bool) -> frozenset[int]:
        memo = _DELETED + token if strict else token
        cached = self._hits.get(memo)
        if cached is not None:
            return cached
        keys = query_keys(token, strict)
        found: set[int] = set()
        for key in keys:
            ids = self.postings.get(key)
            if ids:
                found.update(ids)
        if len(self._hits) > 200_000:
            self._hits.clear()
        result = self._hits[memo] = frozenset(found)
        return result

    def candidates(self, query: PreparedName, limit: int, floor: float, extra_rate: float) -> list[int]:
        """Name ids whose best possible score (from the query weight they share) reaches floor, best first."""
        usable = query.keyed
        if not usable:
            return []
        # Prefix filter: a name sharing less than this much query weight cannot reach floor, so only the
        # heaviest tokens (whose weight together exceeds the rest) may bring in new candidates.
        needed = (
            floor * extra_rate * query.total / (1.0 - floor + floor * extra_rate)
            if floor < 1
            else query.total
        )
        remaining = remaining_start = sum(k[0] for k in usable)
        unkeyed_q = query.total - remaining
        needed -= unkeyed_q
        # Generic words (Shenzhen, Technology) bring in candidates only when the name has nothing rarer.
        specific = not all(k[3] for k in usable)
        weight_by_id: dict[int, float] = {}
        for weight, token, strict, generic in usable:
            hit = self._token_hits(token, strict)
            if remaining >= needed and not (generic and specific):
                fresh = hit.difference(weight_by_id) if weight_by_id else hit
                for name_id in hit.intersection(weight_by_id) if weight_by_id else ():
                    weight_by_id[name_id] += weight
                weight_by_id.update(dict.fromkeys(fresh, weight))
            else:
                for name_id in hit.intersection(weight_by_id):
                    weight_by_id[name_id] += weight
            remaining -= weight
        for i, joined in _joined_pairs(query):
            ids = self.postings.get(joined)
            if not ids:
                continue
            pair_weight = min(query.weights[i], query.weights[i + 1])
            for name_id in ids:
                if name_id in weight_by_id:
                    weight_by_id[name_id] += pair_weight
                elif remaining_start >= needed:
                    weight_by_id[name_id] = pair_weight
        if not weight_by_id:
            return []
        total = query.total
        totals, unkeyed = self.totals, self.unkeyed
        kept = []
        for name_id, shared in weight_by_id.items():
            if shared < needed:
                continue
            # Optimistic score: shared key weight matched exactly on both sides, tokens that are not keys
            # matched too, the rest left unmatched.
            left_q = total - shared - unkeyed_q
            left_c = totals[name_id] - shared - unkeyed[name_id]
            if left_q > 1e-9 and left_c > 1e-9:
                # Scoring counts both sides here; the bound counts only the larger, since leftover tokens
                # may still pair up as typos beyond one edit, merged words or abbreviations.
                against = left_q if left_q > left_c else left_c
            else:
                against = extra_rate * (left_q if left_q > left_c else left_c)
            other = unkeyed[name_id]
            matched = shared + (unkeyed_q if unkeyed_q < other else other)
            bound = matched / (matched + against) if against > 0 else 1.0
            if bound >= floor:
                kept.append((bound, shared, name_id))
        kept.sort(reverse=True)
        return [name_id for _, _, name_id in kept[:limit]]

    def __len__(self) -> int:
        return len(self.postings)
