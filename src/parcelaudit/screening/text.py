"""Name text to comparable tokens: Unicode folding, Chinese to pinyin and English, other scripts to ASCII."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from anyascii import anyascii
from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin
from zhconv import convert

from parcelaudit.screening.vocabulary import (
    char_meanings,
    chinese_glosses,
    chinese_word_max_len,
    chinese_words,
    gloss_options,
    latin_spellings,
    place_romanisations,
)

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# Hangul and kana: syllabic scripts where a different syllable is a different name, not a typo.
_SYLLABIC = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\uac00-\ud7af]+")
_APOSTROPHES = re.compile(r"['’`ʼʻ]")
_INITIALISM = re.compile(r"\b[a-z0-9](?:\.[a-z0-9])+\.?(?![a-z0-9])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
# Spellings of one Arabic particle ("son of", the article) written differently in romanised names; then
# abbreviations (Ind. -> industry) and other spellings of Chinese places (Kashgar -> kashi), from vocabulary.
_FOLD: dict[str, tuple[str, ...]] = {"ben": ("bin",), "ibn": ("bin",), "el": ("al",), "ul": ("al",)}
_FOLD.update((word, tuple(tokens.split())) for word, tokens in latin_spellings().items())
_DIGIT = re.compile(r"\d")
# A place's other romanisation is folded to its pinyin (Kashgar -> kashi), so a typo in it (Kshgar, Turapn)
# would no longer meet the list's spelling: a word one edit (or one swap) from such a spelling, of at least
# PLACE_TYPO_MIN letters and not itself a place spelling, is folded too. Matched by shared single deletions.
PLACE_TYPO_MIN = 6


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_PLACE_OTHERS, _PLACE_SPELLINGS = place_romanisations()
_PLACE_TYPO_KEYS: dict[str, str] = {}
# Lengths a token must have to be one edit from such a spelling: other tokens skip the deletions.
_PLACE_TYPO_LENGTHS: set[int] = set()
for _spelling, _pinyin in sorted(_PLACE_OTHERS.items()):
    if len(_spelling) >= PLACE_TYPO_MIN:
        _PLACE_TYPO_LENGTHS.update((len(_spelling) - 1, len(_spelling), len(_spelling) + 1))
        for _key in sorted({_spelling} | _deletions(_spelling)):
            _PLACE_TYPO_KEYS.setdefault(_key, _pinyin)


# The first three letters of every key: a token one deletion from a key starts with one of four three-letter
# runs of its own (the first three letters, or them with the first, second or third letter deleted), so a
# token none of whose runs starts a key is no place's typo (most words: no deletions are built for them).
_PLACE_TYPO_STARTS = frozenset(_key[:3] for _key in _PLACE_TYPO_KEYS)


def place_typo(token: str) -> str | None:
    """The pinyin of the place whose other romanisation the token misspells by one edit, if any."""
    if len(token) < PLACE_TYPO_MIN or len(token) not in _PLACE_TYPO_LENGTHS or token in _PLACE_SPELLINGS:
        return None
    starts = _PLACE_TYPO_STARTS
    if (
        token[:3] not in starts
        and token[1:4] not in starts
        and token[0] + token[2:4] not in starts
        and token[:2] + token[3] not in starts
    ):
        return None
    if not token.isalpha():
        return None
    # The smallest matching key decides, so the answer does not depend on set order; the keys are looked up
    # one by one, without building the set of them.
    best = token if token in _PLACE_TYPO_KEYS else None
    for k in range(len(token)):
        key = token[:k] + token[k + 1 :]
        if key in _PLACE_TYPO_KEYS and (best is None or key < best):
            best = key
    return _PLACE_TYPO_KEYS[best] if best is not None else None


def has_doubled(token: str) -> bool:
    """Whether the token has a letter written twice in a row."""
    # Compiled, this loop is several times faster than a regular expression on these short tokens.
    return any(token[k] == token[k - 1] for k in range(1, len(token)))


def collapse_doubled(token: str) -> str:
    """The token with every run of one letter written once (Joonng -> Jong)."""
    if not has_doubled(token):
        return token
    kept = [token[0]]
    for k in range(1, len(token)):
        if token[k] != token[k - 1]:
            kept.append(token[k])
    return "".join(kept)


def _fold(token: str) -> tuple[str, ...]:
    folded = _FOLD.get(token)
    if folded is not None:
        return folded
    place = place_typo(token)
    return (place,) if place is not None else (token,)


# ü in pinyin is written v by some (Lvzhou) and u by others (Luzhou, as pinyin here): lv/nv before a consonant
# or at the end of a word is that ü, never an English or European spelling (Silva, Melvin, Calvert).
_PINYIN_V = re.compile(r"(?<=[ln])v(?![aeiou])")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"})


# One converter for every call (pypinyin's lazy_pinyin builds a new one each time, most of its cost), and each
# segment's reading remembered: pypinyin cuts a run into phrases and single characters (phrases decide the
# reading of a character with two), and names share most of their characters (王, 李, 华...).
_CONVERTER = UltimateConverter(v_to_u=True)
_PINYIN = Pinyin(_CONVERTER)
_SEGMENT_PINYIN: dict[str, str] = {}


def pinyin_word(chars: str) -> str:
    """Chinese characters as one pinyin word without tones, ü written u (绿洲 -> luzhou), as lazy_pinyin reads
    them."""
    out = []
    for segment in _PINYIN.seg(chars):
        reading = _SEGMENT_PINYIN.get(segment)
        if reading is None:
            syllables = _CONVERTER.convert(segment, Style.NORMAL, False, "default", strict=True)
            reading = "".join(s[0] for s in syllables).replace("ü", "u")
            if len(_SEGMENT_PINYIN) > 100_000:
                _SEGMENT_PINYIN.clear()
            _SEGMENT_PINYIN[segment] = reading
        out.append(reading)
    return "".join(out)


# Runs of Chinese characters already turned into words, in a plain dict (emptied when full) that compiled
# callers read without a call through functools.lru_cache's wrapper.
_HAN_WORDS: dict[str, str] = {}


def han_to_latin(run: str) -> str:
    """Turn a run of Chinese characters into words: vocabulary words in English, the rest as joined pinyin.

    Characters between vocabulary words form one word written as one pinyin token (大全 -> daquan), the
    way Chinese names are romanised in English company names.
    """
    found = _HAN_WORDS.get(run)
    if found is None:
        found = _han_to_latin(run)
        if len(_HAN_WORDS) >= 100_000:
            _HAN_WORDS.clear()
        _HAN_WORDS[run] = found
    return found


def _han_to_latin(run: str) -> str:
    vocab = chinese_words()
    longest = chinese_word_max_len()
    out: list[str] = []
    pending: list[str] = []
    run = convert(
        run, "zh-cn"
    )  # Traditional characters to Simplified (紡織 -> 纺织), as the vocabulary has them

    def flush() -> None:
        if pending:
            out.append(pinyin_word("".join(pending)))  # ü written u, as in English names (绿洲 Luzhou)
            pending.clear()

    i = 0
    while i < len(run):
        for size in range(min(longest, len(run) - i), 0, -1):
            word = run[i : i + size]
            if word in vocab:
                flush()
                out.append(vocab[word])
                i += size
                break
        else:
            pending.append(run[i])
            i += 1
    flush()
    return " ".join(out)


# Each character's ASCII form as anyascii gives it. anyascii maps a string character by character, in Python;
# looked up here per character, in compiled code, a word costs a fraction of it (the same text results).
_ASCII_CHARS: dict[str, str] = {}


def to_ascii(text: str) -> str:
    """The text in ASCII, as anyascii writes it."""
    if text.isascii():
        return text
    out: list[str] = []
    table = _ASCII_CHARS
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        latin = table.get(char)
        if latin is None:
            latin = table[char] = anyascii(char)
        out.append(latin)
    return "".join(out)


def _fix_token(token: str) -> str:
    # Digits inside a word are usually look-alike letters (Ig0r Sech1n); pure numbers stay numbers.
    if token.isdigit() or not any(ch.isdigit() for ch in token):
        return token
    return token.translate(_LEET)


def tokenize(name: str) -> tuple[str, ...]:
    """Split a name into lower-case ASCII tokens after script conversion and punctuation folding.

    Not cached per name (prepare is, and names rarely repeat otherwise); each word is, as names share words.
    """
    words = (name or "").split()
    if len(words) == 1:
        return _word_tokens(words[0])
    out: list[str] = []
    for word in words:
        out.extend(_word_tokens(word))
    return tuple(out)


# Each word's tokens, remembered in a plain dict (emptied when full) that compiled code reads directly.
_WORD_TOKENS: dict[str, tuple[str, ...]] = {}
WORD_CACHE = 200_000


def _word_tokens(word: str) -> tuple[str, ...]:
    found = _WORD_TOKENS.get(word)
    if found is None:
        found = _tokenize_word(word)
        if len(_WORD_TOKENS) >= WORD_CACHE:
            _WORD_TOKENS.clear()
        _WORD_TOKENS[word] = found
    return found


def _tokenize_word(text: str) -> tuple[str, ...]:
    # One whitespace-separated word: names share most of their words, so words are converted once.
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if _HAN.search(text) is not None:
            text = _han_runs_to_latin(text)
        text = to_ascii(text)
    text = text.lower().replace("&", " and ")
    if "'" in text or "`" in text or not text.isascii():
        text = _APOSTROPHES.sub("", text)
    if "." in text:
        text = _INITIALISM.sub(lambda m: m.group(0).replace(".", ""), text)
    if "v" in text:
        text = _PINYIN_V.sub("u", text)
    tokens = [folded for t in _NON_WORD.split(text) if t for folded in _fold(t)]
    if _DIGIT.search(text):
        tokens = [_fix_token(t) for t in tokens]
    return tuple(tokens)


def _han_runs_to_latin(text: str) -> str:
    """Each run of Chinese characters in the text replaced by its words, set off by spaces (a loop rather
    than a regular expression's substitution, whose Python callback cost more than the conversion)."""
    pieces: list[str] = []
    last = 0
    for match in _HAN.finditer(text):
        pieces.append(text[last : match.start()])
        pieces.append(f" {han_to_latin(match.group(0))} ")
        last = match.end()
    pieces.append(text[last:])
    return "".join(pieces)


# Every block that is, or that NFKC folds into, Chinese characters, Hangul or kana (radicals, enclosed and
# compatibility forms, half- and full-width forms, supplementary ideographs): a cheap test before strict_tokens.
_STRICT_SCRIPT = re.compile(
    "[\u1100-\u11ff\u2e80-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U0001f200-\U0001f2ff\U00020000-\U0003ffff]"
)


def has_strict_script(name: str) -> bool:
    """Whether the name has Chinese characters, Hangul or kana (before or after NFKC folding)."""
    return _STRICT_SCRIPT.search(name) is not None


@lru_cache(maxsize=1)
def _vocabulary_tokens() -> frozenset[str]:
    return frozenset(t for words in chinese_words().values() for t in words.split())


@lru_cache(maxsize=200_000)
def strict_tokens(name: str) -> frozenset[str]:
    """Tokens romanised from Chinese characters or Hangul/kana, which must match exactly (no typo tolerance)."""
    text = unicodedata.normalize("NFKC", name or "")
    found: set[str] = set()
    vocab_tokens = _vocabulary_tokens()
    for run in _HAN.findall(text):
        found.update(t for t in han_to_latin(run).split() if t not in vocab_tokens)
    for run in _SYLLABIC.findall(text):
        found.update(t for t in _NON_WORD.split(to_ascii(run).lower()) if t)
    return frozenset(found)


def has_han(name: str) -> bool:
    """Whether the name has Chinese characters."""
    return _HAN.search(name) is not None


@lru_cache(maxsize=20_000)
def gloss_segments(run: str) -> tuple[tuple[str, bool, tuple[tuple[str, ...], ...], str], ...]:
    """A run of Chinese characters cut into words: (Latin form, whether it is pinyin, English meanings, the
    characters).

    Vocabulary words (places, industry words, legal forms) come with their one Latin form and no
    alternatives; other words of two to four characters found in CC-CEDICT come in pinyin with their
    glosses (美的 -> meide: midea; 东方 -> dongfang: east, orient); characters in no word are joined into
    one pinyin word.
    """
    vocab = chinese_words()
    glosses = chinese_glosses()
    longest = max(chinese_word_max_len(), 4)
    run = convert(run, "zh-cn")
    out: list[tuple[str, bool, tuple[tuple[str, ...], ...], str]] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            chars = "".join(pending)
            out.append((pinyin_word(chars), True, (), chars))
            pending.clear()

    i = 0
    while i < len(run):
        size = 0
        for size in range(min(longest, len(run) - i), 0, -1):
            word = run[i : i + size]
            if word in vocab:
                flush()
                out.append((vocab[word], False, gloss_options(word) if size >= 2 else (), word))
                break
            if size >= 2 and word in glosses:
                flush()
                out.append((pinyin_word(word), True, gloss_options(word), word))
                break
        else:
            pending.append(run[i])
            size = 1
        i += size
    flush()
    return tuple(out)


def gloss_reading(
    name: str, choose: Callable[[tuple[tuple[str, ...], ...]], tuple[str, ...] | None]
) -> tuple[str, frozenset[str]] | None:
    """The name with each Chinese word read by the English meaning that choose picks from its glosses (the
    meaning another name or the lists use: 东方希望 -> east hope), other words as before; with the pinyin
    tokens, which stay exact. None when no word was read by its meaning."""
    text = unicodedata.normalize("NFKC", name or "")
    pinyin: set[str] = set()
    read = False

    def replace(match: re.Match[str]) -> str:
        nonlocal read
        parts: list[str] = []
        for latin, is_pinyin, options, chars in gloss_segments(match.group(0)):
            if is_pinyin and not options:
                # Characters in no dictionary word: cut where the other side knows a part (syllable-aware).
                pieces = split_known_run(chars, choose)
                if pieces is not None:
                    for piece, exact in pieces:
                        parts.append(piece)
                        if exact:
                            pinyin.add(piece)
                    read = True
                    continue
            chosen = choose(options) if options else None
            if chosen is not None:
                # A company's gloss often repeats the place before it (中国 东方航空 -> China Eastern Airlines).
                before = parts[-1].split() if parts else []
                while before and len(chosen) > 1 and chosen[0] == before[-1]:
                    chosen = chosen[1:]
                    before.pop()
                parts.append(" ".join(chosen))
                read = True
            else:
                parts.append(latin)
                if is_pinyin:
                    pinyin.add(latin)
        return f" {' '.join(parts)} "

    reading = _HAN.sub(replace, text)
    return (reading, frozenset(pinyin)) if read else None


# Characters of a trade name's run read one by one need a known pinyin part of at least this many letters (two
# syllables: guannong, haier), so that one syllable alone (an, li) never counts as a known part.
_KNOWN_PINYIN_MIN = 4


def split_known_run(
    chars: str, choose: Callable[[tuple[tuple[str, ...], ...]], tuple[str, ...] | None]
) -> list[tuple[str, bool]] | None:
    """A run of characters in no dictionary word (冠农果茸, 隆基绿能) cut where the other side knows a part:
    characters whose joined pinyin it has as a word (冠农 -> guannong, on syllable boundaries, so Guannong meets
    冠农 within 冠农果茸), and single characters whose meaning it has (果 -> fruit). The other characters stay
    joined pinyin. Parts as (text, exact: pinyin that must match exactly); None when no part is known.
    An abbreviated name's last character is also read by its meaning when the whole is known in pinyin and
    that meaning is known too (鞍钢 -> angang steel: Angang Steel)."""
    n = len(chars)
    if n < 2:
        return None
    # best[i]: (characters covered, -parts) for chars[:i], with the parts.
    none: list[tuple[str, bool, bool]] = []
    best: list[tuple[int, int, list[tuple[str, bool, bool]]]] = [(0, 0, none)] + [(-1, 0, none)] * n
    for i in range(n):
        covered, count, parts = best[i]
        if covered < 0:
            continue
        steps: list[tuple[int, int, tuple[str, bool, bool]]] = [(i + 1, 0, (chars[i], True, False))]
        options = char_meanings().get(chars[i], ()) + gloss_options(chars[i])
        meaning = choose(options) if options else None
        if meaning:
            steps.append((i + 1, 1, (" ".join(meaning), False, True)))
        for j in range(i + 2, n + 1):
            reading = pinyin_word(chars[i:j])
            if len(reading) >= _KNOWN_PINYIN_MIN:
                spelled = choose(((reading,),))
                if spelled:
                    steps.append((j, j - i, (" ".join(spelled), True, True)))
        for end, gain, part in steps:
            score = (covered + gain, count - 1)
            if score > best[end][:2]:
                best[end] = (score[0], score[1], [*parts, part])
    covered, _, parts = best[n]
    if covered <= 0:
        return None
    out: list[tuple[str, bool]] = []
    loose: list[str] = []
    for text, exact, known in parts:
        if not known:
            loose.append(text)
            continue
        if loose:
            out.append((pinyin_word("".join(loose)), True))
            loose.clear()
        out.append((text, exact))
    if loose:
        out.append((pinyin_word("".join(loose)), True))
    if len(parts) == 1 and parts[0][1]:
        last = char_meanings().get(chars[-1], ()) + gloss_options(chars[-1])
        meaning = choose(last) if last else None
        if meaning:
            out.append((" ".join(meaning), False))
    return out


def reads_as_company(name: str) -> bool:
    """Whether a name with Chinese characters has a vocabulary word in them (a place, an industry word, a
    legal form): a company's name, whose words may be translated; a person's given name (建国 Jianguo) is
    never read by its meaning (nation building)."""
    if _COMPANY_RUN.search(name) is None:
        return False  # no run of four characters or more: a person's name (王建国), or too short to tell
    text = unicodedata.normalize("NFKC", name or "")
    return any(not seg[1] for run in _HAN.findall(text) for seg in gloss_segments(run))


_COMPANY_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{4,}")


def clear_text_caches() -> None:
    """Forget tokenised names and words, transliterations and strict tokens."""
    for cached in (strict_tokens, gloss_segments):
        cached.cache_clear()
    _WORD_TOKENS.clear()
    _HAN_WORDS.clear()
    _ASCII_CHARS.clear()
    _SEGMENT_PINYIN.clear()
