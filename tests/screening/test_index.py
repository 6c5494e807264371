"""The candidate index finds what exhaustive comparison finds, on the spellings that slipped past it before."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from parcelaudit.screening import RestrictedList, Screener
from parcelaudit.screening.index import MAX_TYPO_TOKEN, deletion_keys
from parcelaudit.screening.model import Entry
from parcelaudit.screening.native import HOT_MODULES, stale_modules

LISTED = {
    "SDN": [
        "FITIWI, Abdurazak",
        "EP-IDD",
        "IS-EGYPT",
        "EP-MHG",
        "BICENTENARIO I",
        "FU YUAN YU 8662",
        "FU YUAN YU 8688",
        "BARKHANOEV, Malik Ruslanovish",
        "Abdulmalik al-Huthi",
        "MUJAHID, Muhammad Yahya",
        "EP-IBK",
        "EP-IBL",
    ],
    "UN": ["Fitiwi Abdelrazak", "Malik Ruslanovich Barkhanoev", "Jund al Khilafah"],
}
# Names that share tokens with the ones above, so that the index has choices to make.
FILLERS = [
    "MALIK, Abdul",
    "Abdul Malik Trading",
    "FU YUAN YU 7701",
    "EP-MB",
    "Egypt Air Cargo",
    "Khilafah Fi Tunis",
    "Muhammad Yahya Haddad",
]


@pytest.fixture(scope="module")
def screener() -> Screener:
    """SDN and UN lists holding the listed names above and the fillers."""
    lists = []
    for code, names in LISTED.items():
        entries = [Entry(code, f"{code}-{i}", name) for i, name in enumerate(names)]
        if code == "SDN":
            entries += [Entry(code, f"F-{i}", name) for i, name in enumerate(FILLERS)]
        lists.append(RestrictedList(code, code, entries, source="test"))
    return Screener(lists)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # A long token two edits away, the person listed under two spellings on two lists.
        ("Fitiwi Abdelrazak", {"FITIWI, Abdurazak", "Fitiwi Abdelrazak"}),
        ("Abdurazak Fitiwi", {"FITIWI, Abdurazak", "Fitiwi Abdelrazak"}),
        ("BARKHANOEV, RUSLAOVISH MALIK CO., LTD.", {"Malik Ruslanovich Barkhanoev"}),
        # A doubled letter written once, in tokens too short for any other typo.
        ("EP-ID", {"EP-IDD"}),
        ("ISS-EGYPT CO LTD", {"IS-EGYPT"}),
        ("FU YU YUAN 8688 CO LTD", {"FU YUAN YU 8688", "FU YUAN YU 8662"}),
        # One query token that is two listed tokens written together, and the other way round.
        ("EPMHG CO., LTD.", {"EP-MHG"}),
        ("EPIBC", {"EP-IBK", "EP-IBL"}),  # with a typo, where a part is too short for typos of its own
        ("HUTHI, AL ABDUL MALIK", {"Abdulmalik al-Huthi"}),
        # A listed initial pairs with a query token as a second pair.
        ("BICETENARIO IX COMPANY LIMITED", {"BICENTENARIO I"}),
        ("JUND IN AL-KHILAFAH TUNISA COMPANY LIMITED", {"Jund al Khilafah"}),
        ("MOHAMMED YAHYA MUJAHID", {"MUJAHID, Muhammad Yahya"}),
    ],
)
def test_index_finds_every_hit_of_the_exhaustive_comparison(
    screener: Screener, query: str, expected: set
) -> None:
    fast = {(h.list, h.entry_id): h.matched_name for h in screener.screen(query)}
    full = {(h.list, h.entry_id): h.matched_name for h in screener.screen(query, exhaustive=True)}
    assert set(full) <= set(fast), query
    assert expected <= set(fast.values()), (query, fast)


def test_cleared_caches_give_the_same_hits(screener: Screener) -> None:
    before = [(h.entry_id, h.score) for h in screener.screen("Abdurazak Fitiwi")]
    screener.clear_caches()
    assert [(h.entry_id, h.score) for h in screener.screen("Abdurazak Fitiwi")] == before


def test_a_compiled_module_older_than_its_source_is_stale(tmp_path: Path) -> None:
    source = tmp_path / "index.py"
    source.write_text("# source\n")
    compiled = tmp_path / f"index{EXTENSION_SUFFIXES[0]}"
    compiled.write_bytes(b"")
    os.utime(source, (1_000_000, 1_000_000))
    os.utime(compiled, (2_000_000, 2_000_000))
    assert stale_modules(tmp_path) == []
    os.utime(source, (3_000_000, 3_000_000))
    assert stale_modules(tmp_path) == ["index"]
    assert "index" in HOT_MODULES


def test_pure_python_switch_loads_the_sources() -> None:
    code = (
        "import parcelaudit.screening as s, parcelaudit.screening.native as n, parcelaudit.screening.index as i;"
        "print(n.compiled(), i.__file__.endswith('.py'), s.compare('EP-IDD', 'EP-ID') >= s.MATCH_THRESHOLD)"
    )
    env = {**os.environ, "PARCELAUDIT_PURE_PYTHON": "1"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True", "True"]


def test_a_very_long_token_gets_no_typo_keys_and_screens(screener: Screener) -> None:
    # Issue 18 #1: every two-letter deletion of a 4,000-letter token is 8 million strings of 4,000 letters.
    long_word = "abcdefghij" * 400
    listed = Screener([RestrictedList("SDN", "SDN", [Entry("SDN", "L1", long_word)], source="t")])
    assert len(listed.index) == 1  # the long token as one exact key, not its deletions
    assert listed.screen(long_word)[0].entry_id == "L1"
    assert len(deletion_keys(long_word)) == 0 and len(deletion_keys(long_word, twice=True)) == 0
    # At the bound, a token still gets its typo keys (one and two deletions).
    at_bound = long_word[:MAX_TYPO_TOKEN]
    assert 0 < len(deletion_keys(at_bound)) <= MAX_TYPO_TOKEN
    assert 0 < len(deletion_keys(at_bound, twice=True)) <= MAX_TYPO_TOKEN**2
    for query in (long_word, " ".join([long_word[:7]] * 500), f"Fitiwi {long_word}"):
        assert screener.screen(query) == [] or screener.screen(query)[0].score < 1.0


def test_listed_tokens_lookups_are_built_with_the_index_and_kept_by_clear_caches() -> None:
    # Issue 13 speed: a query token some list has is looked up in what the index precomputed (frozen with it,
    # so the garbage collector does not walk it), not again after clear_caches; the answer is the same.
    screener = Screener([RestrictedList("SDN", "SDN", [Entry("SDN", "1", "FITIWI, Abdurazak")], source="t")])
    index = screener.index
    before = index._token_hits("fitiwi", False)
    screener.clear_caches()
    assert index._token_hits("fitiwi", False)[0] is before[0] and before[0] == {0}
    assert index._token_hits("fitiwj", False)[0] == {0}  # one edit off: computed at query time, same names


def test_the_arabic_script_pass_is_compiled_with_the_hot_path() -> None:
    assert HOT_MODULES.index("transliteration") < HOT_MODULES.index("scoring")
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "transliteration.py" in makefile
