from __future__ import annotations

import pytest
from pydantic import ValidationError

from defectio.model import Case, Gender, PartialDate, Passage, Region, passage_id


@pytest.mark.parametrize(
    ("text", "year", "month", "day", "precision"),
    [
        ("2014", 2014, 0, 0, "year"),
        ("2015-03", 2015, 3, 0, "month"),
        ("2015-02-28", 2015, 2, 28, "day"),
    ],
)
def test_partial_date_parses_year_month_and_day(
    text: str, year: int, month: int, day: int, precision: str
) -> None:
    d = PartialDate.parse(text)
    assert (d.year, d.month, d.day, d.precision) == (year, month, day, precision)
    assert str(d) == text


@pytest.mark.parametrize("bad", ["2015-13", "2015-00", "2015-02-30", "15-01", "2015/01", "soon"])
def test_partial_date_rejects_an_impossible_date_with_a_clear_error(bad: str) -> None:
    with pytest.raises(ValueError, match=bad.replace("/", "/")):
        PartialDate.parse(bad)


def test_partial_dates_sort_with_unknown_parts_first() -> None:
    dates = [PartialDate.parse(t) for t in ["2015", "2014-12", "2014", "2014-12-01", "2014-02"]]
    assert [str(d) for d in sorted(dates)] == ["2014", "2014-02", "2014-12", "2014-12-01", "2015"]
    assert PartialDate.parse("2014-05") < PartialDate.parse("2015")


def test_case_maps_unknown_dates_to_none_and_validates_enums() -> None:
    case = Case(case_id="D1", alias="a", gender="f", region="Western Europe", joined="unknown")
    assert case.joined is None
    assert case.gender is Gender.FEMALE and case.region is Region.WESTERN_EUROPE
    with pytest.raises(ValidationError, match="left"):
        Case(case_id="D1", alias="a", left="2015-13")
    with pytest.raises(ValidationError, match="gender"):
        Case(case_id="D1", alias="a", gender="male")


def test_passage_id_is_case_plus_text_hash_and_ignores_whitespace() -> None:
    a = Passage(case_id="D1", text="They   took our money.")
    b = Passage(case_id="D1", text="They took our money.")
    assert a.passage_id == b.passage_id == passage_id("D1", "They took our money.")
    assert a.passage_id.startswith("D1-")
    assert Passage(case_id="D2", text="They took our money.").passage_id != a.passage_id
