"""HTS schedules by year: a code is judged against the edition in force on its date, 'unverified' where no
edition for that date is loaded (a code valid before the 2022 revision is not invalid on a 2021 parcel)."""

from __future__ import annotations

from datetime import date

from parcelaudit.reference.hts import edition_year, load_editions, load_hts, schedule_on


def test_edition_year_comes_from_the_file_name():
    assert edition_year("/x/tariff_database_2025_06062025.csv") == 2025
    assert edition_year("hts_subset_2021.csv") == 2021
    assert edition_year("tariff_database.csv") is None


def test_codes_are_judged_by_the_edition_in_force_on_their_date(shared_data):
    schedule = load_hts(str(shared_data / "hts" / "tariff_database_2025_06062025.csv"))
    assert schedule.year == 2025
    # 8541.40.60 (solar cells, HS 2017) was split into 8541.42/8541.43 in 2022: not in the 2025 edition
    assert schedule.status("8541406020", date(2025, 6, 1)) == "invalid"
    assert schedule.status("8541406020", date(2021, 6, 1)) == "unverified"
    # 8541.43.00 began on 2022-01-27: valid in 2023 even without the 2023 edition, unverified in 2021
    assert schedule.status("8541430010", date(2023, 6, 1)) == "valid"
    assert schedule.status("8541430010", date(2021, 6, 1)) == "unverified"
    # without a date the schedule judges as before (its own edition)
    assert schedule.status("8541406020") == "invalid"


def test_editions_are_found_by_year(shared_data):
    editions = load_editions()
    assert 2025 in editions and editions[2025].complete
    schedule, own = schedule_on(date(2021, 3, 1))
    assert schedule.year == 2025 and own is False
    assert schedule_on(date(2025, 3, 1))[1] is True
