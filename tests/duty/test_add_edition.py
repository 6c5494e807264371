"""`parcelaudit reference add-edition`: an official annual edition, once kept, judges and rates the dates of
its year; dates with no edition loaded stay 'unverified'."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from parcelaudit.cli import app
from parcelaudit.duty import quote
from parcelaudit.duty.quote import change_dates
from parcelaudit.errors import ReferenceDataError
from parcelaudit.reference.hts import add_edition, load_editions, load_hts

HEADER = "hts8,brief_description,mfn_text_rate,mfn_rate_type_code,mfn_ad_val_rate,begin_effect_date\n"
# 8541.40.60 (solar cells, HS 2017 nomenclature, free) was split into 8541.42/8541.43 by the 2022 revision
EDITION_2021 = (
    HEADER
    + '85414060,"Solar cells, not assembled",Free,0,0,1/1/17\n61091000,"T-shirts, cotton",16.5%,7,0.165,1/1/21\n'
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PARCELAUDIT_HOME", str(tmp_path / "home"))
    for cached in (load_editions, load_hts, change_dates):
        cached.cache_clear()
    yield tmp_path
    for cached in (load_editions, load_hts, change_dates):
        cached.cache_clear()


def test_a_kept_edition_rates_its_year(home):
    before = quote("8541406020", "KR", date(2021, 6, 1), 1000, mode="cargo").components[0]
    assert before.status == "unverified"  # no 2021 edition loaded: the code is unknown to the nearest one
    source = home / "tariff_database_2021.csv"
    source.write_text(EDITION_2021, encoding="utf-8")
    year, kept, lines = add_edition(source)
    assert (year, lines) == (2021, 2) and kept.exists() and 2021 in load_editions()
    change_dates.cache_clear()
    mfn = quote("8541406020", "KR", date(2021, 6, 1), 1000, mode="cargo").components[0]
    assert mfn.status == "verified" and mfn.rate == 0 and "2021 edition" in mfn.citation
    # 2020: no own edition, but the 2021 line's rate began in 2017 (begin_effect_date), so it holds
    assert quote("8541406020", "KR", date(2020, 6, 1), 1000, mode="cargo").components[0].status == "verified"
    # 2016: before that line began, no edition says what the rate was
    assert (
        quote("8541406020", "KR", date(2016, 6, 1), 1000, mode="cargo").components[0].status == "unverified"
    )


def test_the_cli_keeps_an_edition_and_refuses_what_it_cannot_read(home):
    good = home / "edition.csv"
    good.write_text(EDITION_2021, encoding="utf-8")
    result = CliRunner().invoke(app, ["reference", "add-edition", str(good), "--year", "2021"])
    assert result.exit_code == 0 and '"edition": 2021' in result.output, result.output
    with pytest.raises(ReferenceDataError, match="year is not known"):
        add_edition(good)
    bad = home / "tariff_database_2019.csv"
    bad.write_text("code,rate\n1,2\n", encoding="utf-8")
    with pytest.raises(ReferenceDataError, match="not a USITC tariff database"):
        add_edition(bad)
