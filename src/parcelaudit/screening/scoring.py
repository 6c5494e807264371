"""Score two prepared names in 0..1: weighted token alignment, tolerant of typos, order and merged words."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from parcelaudit.screening.names import DISTINCTIVE, LEGAL, PreparedName, known_in, prepare, read_by_meaning
from parcelaudit.screening.settings import setting
from parcelaudit.screening.text import collapse_doubled, has_doubled
from parcelaudit.screening.transliteration import has_arabic_script, merge_toward, skeleton, skeleton_reading
from parcelaudit.screening.vocabulary import name_variants, pinyin_syllables

_INITIAL_SIM = setting("initial_similarity")
_EXTRA = setting("extra_token_rate")
_MIN_CHARS = setting("min_distinctive_chars")
_GENERIC_CAP = setting("generic_only_cap")
_INITIALISM_SIM = setting("initialism_similarity")
_WHOLE_GENERIC_TOKENS = int(setting("whole_generic_tokens"))
_SYLLABLES = pinyin_syllables()
_VARIANTS = name_variants()
_VARIANT_SIM = setting("variant_similarity")
_TRANSLITERATED = setting("transliterated_similarity")
_SKELETON_SIM = setting("skeleton_similarity")
_SKELETON_LETTERS = 5  # shorter tokens (Maria / Mario) share skeletons too easily
_SKELETON_CONSONANTS = 3


def allowed_edits(length: int) -> int:
    """Typos tolerated in a token of this length: none in short tokens, more in long ones."""
    if length < 4:
        return 0
    if length < 8:
        return 1
    if length < 13:
        return 2
    return 3


# Token similarities remembered in a plain dict (emptied when full), read by compiled callers without the
# call through functools.lru_cache's wrapper.
_SIMILARITY: dict[tuple[str, str], float] = {}
SIMILARITY_CACHE = 500_000


def token_similarity(x: str, y: str) -> float:
    """Similarity of two tokens: 1 when equal, lower with each edit, an initial against its name, else 0."""
    key = (x, y)
    found = _SIMILARITY.get(key)
    if found is not None:
        return found
    sim = _token_similarity(x, y)
    if len(_SIMILARITY) >= SIMILARITY_CACHE:
        _SIMILARITY.clear()
    _SIMILARITY[key] = sim
    return sim


def clear_similarity_cache() -> None:
    """Forget the token similarities remembered."""
    _SIMILARITY.clear()


def _token_similarity(x: str, y: str) -> float:
    if x == y:
        return 1.0
    variant = _VARIANTS.get(x)
    if variant is not None and variant == _VARIANTS.get(y):
        return _VARIANT_SIM  # two spellings of one name (Hezbollah / Hizballah, Mohamed / Muhammad)
    if len(x) == 1 or len(y) == 1:
        short, other = (x, y) if len(x) == 1 else (y, x)
        return _INITIAL_SIM if other.startswith(short) and len(other) > 1 else 0.0
    if other_gender(x, y):
        return 0.0  # Daniel / Daniela, Dmitriev / Dmitrieva: one letter apart, two people
    longest = max(len(x), len(y))
    budget = allowed_edits(min(len(x), len(y)))
    doubled = has_doubled(x) or has_doubled(y)
    if budget == 0:
        return 1.0 - 0.5 / longest if doubled and collapse_doubled(x) == collapse_doubled(y) else 0.0
    if abs(len(x) - len(y)) <= budget:
        distance = OSA.distance(x, y, score_cutoff=budget)
        if distance <= budget:
            return 1.0 - distance / longest
    # Doubled letters are a common slip (Joonng / Jong); compare with runs collapsed, at a small cost; not
    # with another first letter as well (Corrales / Morales: two slips, two surnames).
    if doubled and x[0] == y[0]:
        cx, cy = collapse_doubled(x), collapse_doubled(y)
        distance = OSA.distance(cx, cy, score_cutoff=budget)
        if distance <= budget:
            return 1.0 - (distance + 0.5) / longest
    return _skeleton_similarity(x, y)


# Endings that make a masculine name or surname feminine, on the same stem: Daniel / Daniela, Aleksandr /
# Aleksandra, Dmitriev / Dmitrieva (East Slavic surnames), Roberto / Roberta, Kowalski / Kowalska.
_MASCULINE_ENDINGS = ("o", "i", "y")
_GENDER_STEM = 4
_GENDER_FUZZY_STEM = 8


def other_gender(x: str, y: str) -> bool:
    """Whether two Latin tokens are the masculine and feminine forms of one name (a stem of four letters or
    more, the one ending in a, the other in a consonant but h, or in o, i, y): different people, however close."""
    if len(x) > len(y) or (len(x) == len(y) and x.endswith("a")):
        x, y = y, x
    if not y.endswith("a") or len(x) < _GENDER_STEM + 1 or not (x.isascii() and y.isascii()):
        return False
    if len(y) == len(x) + 1:
        if x[-1] in "aeiouyh":  # not Abdullah(a): an Arabic h
            return False
        # A long stem may also be spelled another way (Oleksandr / Aleksandra: Ukrainian and Russian).
        return y.startswith(x) or (
            len(x) >= _GENDER_FUZZY_STEM and OSA.distance(x, y[:-1], score_cutoff=1) <= 1
        )
    return len(y) == len(x) and x[-1] in _MASCULINE_ENDINGS and x[:-1] == y[:-1]


def _gender_pair_left(a: PreparedName, b: PreparedName, pairs: tuple) -> bool:
    """Whether an unmatched token of a and one of b are two gender forms of one name."""
    seen_a = {i for ia, _, _ in pairs for i in ia}
    seen_b = {j for _, ib, _ in pairs for j in ib}
    return any(
        other_gender(x, y)
        for i, x in enumerate(a.tokens)
        if i not in seen_a
        for j, y in enumerate(b.tokens)
        if j not in seen_b
    )


def _skeleton_similarity(x: str, y: str) -> float:
    """Two romanisations of one name differ in their vowels and digraphs (Moustfa / Mustafa, Rahim / Rachim,
    Djamel / Djamal) more than a typo budget allows; they meet on their consonant skeleton. Only for longer
    Latin tokens with the same first letter and a skeleton of three or more consonants."""
    if min(len(x), len(y)) < _SKELETON_LETTERS or x[0] != y[0] or not (x.isascii() and y.isascii()):
        return 0.0
    shape = skeleton(x)
    if len(shape) < _SKELETON_CONSONANTS or shape != skeleton(y):
        return 0.0
    return _SKELETON_SIM


@dataclass(frozen=True, slots=True)
class Alignment:
    """How two names align: matched token pairs (indices in each name, similarity) and the score."""

    score: float
    pairs: tuple[tuple[tuple[int, ...], tuple[int, ...], float], ...]
    coverage: tuple[float, float]
    capped: bool


def _fuzzy_pairs(a: PreparedName, b: PreparedName, free_a: list[int], free_b: list[int]) -> list:
    found = []
    for i in free_a:
        if a.classes[i] == LEGAL or a.strict[i]:
            continue
        for j in free_b:
            if b.classes[j] == LEGAL or b.strict[j]:
                continue
            sim = token_similarity(a.tokens[i], b.tokens[j])
            if sim > 0.0:
                ti, tj = a.tokens[i], b.tokens[j]
                found.append((-sim, min(ti, tj), max(ti, tj), i, j, sim))
    found.sort()
    return found


def _merged_pairs(one: PreparedName, two: PreparedName, free_one: set[int], free_two: set[int], flip: bool):
    # A token of one name that is two or three adjacent tokens of the other written together (Fridrich
    # Buchenberg; Chinese names romanised per word, 昌吉溢达 -> changjiyida / Changji Yida). Four letters are
    # enough when the parts are pinyin syllables (Yi Da / Yida).
    out = []
    tokens = two.tokens
    for i in sorted(free_one):
        token = one.tokens[i]
        length = len(token)
        if length < 4 or one.classes[i] == LEGAL:
            continue
        slack = allowed_edits(length) + 2  # doubled letters may shorten a side by a little more
        match = None
        for size in (2, 3):
            for j in range(len(tokens) - size + 1):
                span = range(j, j + size)
                if not (j in free_two and j + 1 in free_two and (size == 2 or j + 2 in free_two)):
                    continue
                span_length = len(tokens[j]) + len(tokens[j + 1]) + (len(tokens[j + 2]) if size == 3 else 0)
                if abs(span_length - length) > slack:
                    continue
                if length < 5 and not all(tokens[k] in _SYLLABLES for k in span):
                    continue
                joined = "".join(tokens[j : j + size])
                if length < 5 or one.strict[i] or any(two.strict[k] for k in span):
                    sim = 1.0 if joined == token else 0.0
                else:
                    sim = token_similarity(token, joined)
                if sim > 0.0:
                    match = (tuple(span), sim)
                    break
            if match:
                break
        if match:
            matched_span, sim = match
            out.append((matched_span, (i,), sim) if flip else ((i,), matched_span, sim))
            free_one.discard(i)
            free_two.difference_update(matched_span)
    return out


def _initialism_pairs(
    one: PreparedName, two: PreparedName, free_one: set[int], free_two: set[int], flip: bool
):
    # An abbreviation against the words it abbreviates (US / United States, PLA / People's Liberation Army).
    out = []
    for i in sorted(free_one):
        token = one.tokens[i]
        if one.classes[i] in (LEGAL, "particle", "common") or not 2 <= len(token) <= 5 or not token.isalpha():
            continue
        size = len(token)
        for j in range(len(two.tokens) - size + 1):
            span = range(j, j + size)
            if (
                all(k in free_two and two.classes[k] != LEGAL for k in span)
                and "".join(two.tokens[k][0] for k in span) == token
            ):
                pair = ((i,), tuple(span), _INITIALISM_SIM)
                out.append((pair[1], pair[0], _INITIALISM_SIM) if flip else pair)
                free_one.discard(i)
                free_two.difference_update(span)
                break
    return out


def align(a: PreparedName, b: PreparedName) -> Alignment:
    """Align the tokens of two names and score the alignment (symmetric in a and b)."""
    if (a.tokens, a.strict) <= (b.tokens, b.strict):
        return _align(a, b)
    # One canonical order makes every greedy choice, and so the score, the same both ways round.
    result = _align(b, a)
    flipped = tuple((ib, ia, sim) for ia, ib, sim in result.pairs)
    return Alignment(result.score, flipped, (result.coverage[1], result.coverage[0]), result.capped)


def _align(a: PreparedName, b: PreparedName) -> Alignment:
    if not a.tokens or not b.tokens:
        return Alignment(0.0, (), (0.0, 0.0), False)
    pairs: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    positions: dict[str, list[int]] = {}
    for j, token in enumerate(b.tokens):
        positions.setdefault(token, []).append(j)
    free_a, free_b = set(range(len(a.tokens))), set(range(len(b.tokens)))
    for i, token in enumerate(a.tokens):
        spots = positions.get(token)
        if spots:
            j = spots.pop(0)
            pairs.append(((i,), (j,), 1.0))
            free_a.discard(i)
            free_b.discard(j)
    if free_a and free_b:
        for *_, i, j, sim in _fuzzy_pairs(a, b, sorted(free_a), sorted(free_b)):
            if i in free_a and j in free_b:
                pairs.append(((i,), (j,), sim))
                free_a.discard(i)
                free_b.discard(j)
    if len(free_b) >= 2 and free_a:
        pairs += _merged_pairs(a, b, free_a, free_b, flip=False)
    if len(free_a) >= 2 and free_b:
        pairs += _merged_pairs(b, a, free_b, free_a, flip=True)
    if len(free_b) >= 2 and free_a:
        pairs += _initialism_pairs(a, b, free_a, free_b, flip=False)
    if len(free_a) >= 2 and free_b:
        pairs += _initialism_pairs(b, a, free_b, free_a, flip=True)
    result = _score(a, b, tuple(pairs))
    if (free_a or free_b) and not result.capped:
        return _compact(a, b, result)
    return result


def _compact(a: PreparedName, b: PreparedName, result: Alignment) -> Alignment:
    # Word boundaries placed differently (AREFULLAHA REF / AREFULLAH AREF): compare the names written
    # without spaces, in their own order, with the typo budget of that length.
    joined_a, joined_b = "".join(a.tokens), "".join(b.tokens)
    if min(len(joined_a), len(joined_b)) < 8 or any(a.strict) or any(b.strict):
        return result
    if _company(a, b) and _short_unmatched(a, b) and _short_unmatched(b, a):
        # A company's short rare token spelled differently (BTX / BAX Industries, one letter apart written
        # together) is another company, however long the rest.
        return result
    if _gender_pair_left(a, b, result.pairs):
        return result  # Roberta Bianchi / Roberto Bianchi: one letter apart written together, two people
    longest = max(len(joined_a), len(joined_b))
    budget = 1 if longest < 16 else 2
    distance = OSA.distance(joined_a, joined_b, score_cutoff=budget)
    sim = 1.0 - distance / longest if distance <= budget else 0.0
    if sim <= result.score:
        return result
    every = ((tuple(range(len(a.tokens))), tuple(range(len(b.tokens))), sim),)
    return Alignment(round(sim, 4), every, (1.0, 1.0), False)


def _score(a: PreparedName, b: PreparedName, pairs: tuple) -> Alignment:
    # Evidence for: matched weight. Evidence against: weight left unmatched on both sides (a conflict,
    # e.g. Kim Sok Jin / Kim Sok Chol) counts fully; weight unmatched on one side only (an omitted middle
    # name or qualifier) counts at the extra-token rate; partial similarity counts its shortfall.
    matched = shortfall = 0.0
    covered_a = covered_b = 0.0
    distinctive_chars = 0
    distinctive_pairs = 0
    a_weights, b_weights, a_classes, b_classes = a.weights, b.weights, a.classes, b.classes
    for ia, ib, sim in pairs:
        if len(ia) == 1 and len(ib) == 1:
            i, j = ia[0], ib[0]
            wa, wb = a_weights[i], b_weights[j]
            both_distinctive = a_classes[i] == DISTINCTIVE and b_classes[j] == DISTINCTIVE
            chars = min(len(a.tokens[i]), len(b.tokens[j]))
        else:
            wa = sum(a_weights[i] for i in ia)
            wb = sum(b_weights[j] for j in ib)
            both_distinctive = any(a_classes[i] == DISTINCTIVE for i in ia) and any(
                b_classes[j] == DISTINCTIVE for j in ib
            )
            chars = min(sum(len(a.tokens[i]) for i in ia), sum(len(b.tokens[j]) for j in ib))
        covered_a += wa
        covered_b += wb
        matched += sim * (wa + wb) / 2
        shortfall += (1.0 - sim) * (wa + wb) / 2
        if both_distinctive:
            distinctive_chars += chars
            distinctive_pairs += 1
    left_a, left_b = a.total - covered_a, b.total - covered_b
    # Extra tokens are forgiven only when two or more rare tokens agree: "Lee Baxter" is not "BAXTER".
    if left_a > 1e-9 and left_b > 1e-9 and _names_left(a, pairs, 0) and _names_left(b, pairs, 1):
        against = left_a + left_b
    elif distinctive_pairs < 2:
        against = max(left_a, left_b)
    elif _child_of(a, b, pairs, 0) or _child_of(b, a, pairs, 1):
        # HALA SADDAM HUSSEIN AL-TIKRITI is Hala, daughter of SADDAM HUSSEIN AL-TIKRITI: a listed name with
        # one given name put in front names another person (a relative), not the same one.
        against = max(left_a, left_b, 1.0)  # a given name, however common (Ali), is a whole name
    else:
        against = _EXTRA * max(left_a, left_b, 0.0)
    denominator = matched + shortfall + against
    score = matched / denominator if denominator > 0 else 0.0
    capped = (
        distinctive_chars < _MIN_CHARS
        and score > _GENERIC_CAP
        and not _whole_generic_name(a, b, pairs)
        and not _whole_short_name(a, b, pairs)
    )
    if capped:
        score = _GENERIC_CAP
    cov = (covered_a / a.total if a.total else 0.0, covered_b / b.total if b.total else 0.0)
    return Alignment(round(min(score, 1.0), 4), pairs, cov, capped)


# Honorifics and ranks written before a name (Hafiz Abdul Salam, Mullah Gul Agha): not a given name.
_TITLES = frozenset(
    [
        "haji",
        "hajji",
        "hafiz",
        "mullah",
        "maulavi",
        "mawlawi",
        "maulana",
        "mawlana",
        "qari",
        "mufti",
        "sheikh",
        "shaikh",
        "imam",
        "sayed",
        "sayyid",
        "syed",
        "pahlawan",
        "doctor",
        "dr",
        "colonel",
        "general",
        "commander",
    ]
)


_PERSONAL = (DISTINCTIVE, "common", "patronymic")


def _names_left(name: PreparedName, pairs: tuple, side: int) -> bool:
    """Whether the name has a token left unmatched that is more than a particle (an unmatched "the" on one
    side does not make the other side's extra word a conflict; a legal form does: ANO / LLC)."""
    seen = {k for pair in pairs for k in pair[side]}
    return any(k not in seen and c != "particle" for k, c in enumerate(name.classes))


def _child_of(longer: PreparedName, shorter: PreparedName, pairs: tuple, side: int) -> bool:
    """Whether longer is shorter with one more given name in front, every other word matched in order
    (Arabic names chain a father's name after one's own: HALA SADDAM HUSSEIN AL-TIKRITI)."""
    if (
        len(longer.tokens) != len(shorter.tokens) + 1
        or longer.classes[0] not in _PERSONAL
        or longer.tokens[0] in _TITLES
        or any(c not in _PERSONAL and c != "particle" for c in longer.classes)
    ):
        return False
    order = sorted((pair[side], pair[1 - side]) for pair in pairs)
    if len(order) != len(shorter.tokens) or any(len(x) != 1 or len(y) != 1 for x, y in order):
        return False
    return [(x[0], y[0]) for x, y in order] == [(k + 1, k) for k in range(len(shorter.tokens))]


# A rare token this short (BTX, CVS) is the company's name only when spelled exactly.
_SHORT_TOKEN = 3


def _company(a: PreparedName, b: PreparedName) -> bool:
    """Whether either name reads as a company's: it has a legal form or an industry word."""
    return any(c == LEGAL or c == "org" for c in a.classes) or any(
        c == LEGAL or c == "org" for c in b.classes
    )


def _short_unmatched(a: PreparedName, b: PreparedName) -> bool:
    """Whether a has a rare token of two or three letters (BTX) that b does not have as such."""
    return any(
        c == DISTINCTIVE and 2 <= len(t) <= _SHORT_TOKEN and t not in b.tokens
        for t, c in zip(a.tokens, a.classes, strict=True)
    )


def _whole_short_name(a: PreparedName, b: PreparedName, pairs: tuple) -> bool:
    # Short tokens may not carry a partial match, but a whole name matched token for token, exactly, with a
    # personal or rare name in it is that name (KIM KYU, IBM Corporation / I.B.M. Corp).
    if any(sim < 1.0 for _, _, sim in pairs):
        return False
    seen_a = {i for ia, _, _ in pairs for i in ia}
    seen_b = {j for _, ib, _ in pairs for j in ib}
    if any(i not in seen_a and c != LEGAL for i, c in enumerate(a.classes)):
        return False
    if any(j not in seen_b and c != LEGAL for j, c in enumerate(b.classes)):
        return False
    return any(c == DISTINCTIVE or c == "common" for c in a.classes)


def _whole_generic_name(a: PreparedName, b: PreparedName, pairs: tuple) -> bool:
    # Generic words may not carry a partial match, but a name of three or more such words matched word
    # for word on both sides ("Xinjiang Nonferrous Metals Industry Group") names one party.
    content_a = [i for i, c in enumerate(a.classes) if c != LEGAL and c != "particle"]
    content_b = [j for j, c in enumerate(b.classes) if c != LEGAL and c != "particle"]
    if min(len(content_a), len(content_b)) < _WHOLE_GENERIC_TOKENS:
        return False
    close = [(ia, ib) for ia, ib, sim in pairs if sim >= 0.8]
    seen_a = {i for ia, _ in close for i in ia}
    seen_b = {j for _, ib in close for j in ib}
    return all(i in seen_a for i in content_a) and all(j in seen_b for j in content_b)


def compare(a: str, b: str) -> float:
    """Similarity of two names in 0..1 (symmetric); at or above MATCH_THRESHOLD they name the same party.

    A name with Chinese characters is also read with its words by meaning where the other name uses that
    meaning (东方希望 / East Hope, 海螺 / Conch), and the better reading counts.
    """
    first, second = prepare(a), prepare(b)
    score = align(first, second).score
    if score >= 1.0 or (a.isascii() and b.isascii()):
        return score
    if has_arabic_script(a) != has_arabic_script(b):
        score = max(score, transliterated_score(first, second))
    firsts, seconds = [first], [second]
    other_a = read_by_meaning(a, known_in(second.tokens))
    if other_a is not None:
        firsts.append(other_a)
    other_b = read_by_meaning(b, known_in(first.tokens))
    if other_b is not None:
        seconds.append(other_b)
    for x in firsts:
        for y in seconds:
            if x is not first or y is not second:
                score = max(score, align(x, y).score)
    return score


def transliterated_score(a: PreparedName, b: PreparedName) -> float:
    """Score of two names compared by their consonant skeletons (Arabic script against a Latin
    transliteration), discounted by the transliteration similarity: Mohammad Ahmadi / محمد احمدی."""
    skeleton_a, skeleton_b = skeleton_reading(a), skeleton_reading(b)
    if skeleton_a is None or skeleton_b is None:
        return 0.0
    # Words joined differently in the two scripts (عبد الله / Abdullah, نصر الله / Nasrallah).
    skeleton_a, skeleton_b = merge_toward(skeleton_a, skeleton_b), merge_toward(skeleton_b, skeleton_a)
    return round(align(skeleton_a, skeleton_b).score * _TRANSLITERATED, 4)


def explain(a: PreparedName, b: PreparedName, alignment: Alignment) -> str:
    """Say which tokens matched which, what weighed little and what stayed unmatched."""
    parts = []
    matched_a: set[int] = set()
    matched_b: set[int] = set()
    for ia, ib, sim in alignment.pairs:
        left = " ".join(a.tokens[i] for i in ia)
        right = "".join(b.tokens[j] for j in ib) if len(ib) > 1 else b.tokens[ib[0]]
        cls = a.classes[ia[0]]
        note = "" if cls == DISTINCTIVE else f" [{cls}, w{a.weights[ia[0]]:.2f}]"
        parts.append(f"{left}={right}{note}" if sim == 1.0 else f"{left}~{right} ({sim:.2f}){note}")
        matched_a.update(ia)
        matched_b.update(ib)
    text = "matched " + ", ".join(parts) if parts else "no tokens matched"
    extra = [a.tokens[i] for i in range(len(a.tokens)) if i not in matched_a]
    extra += [b.tokens[j] for j in range(len(b.tokens)) if j not in matched_b]
    if extra:
        text += "; unmatched " + ", ".join(extra)
    if alignment.capped:
        text += "; capped: only generic words or short tokens matched"
    return text
