"""Parsing who a counter-message is for."""

from __future__ import annotations

import pytest

from defectio.counter.audience import Audience, parse_audience
from defectio.errors import InputError
from defectio.model import Gender, Region


def test_region_names_with_spaces_and_ampersands_survive_the_comma_split() -> None:
    who = parse_audience("region=Middle East & North Africa, gender=f,lang=AR")
    assert who == Audience(region=Region.MENA, gender=Gender.FEMALE, lang="ar")


@pytest.mark.parametrize("spec", ["region=western-europe", "region=WESTERN_EUROPE", "region=mena"])
def test_a_region_may_be_given_by_slug_or_enum_name(spec: str) -> None:
    assert parse_audience(spec).region in {Region.WESTERN_EUROPE, Region.MENA}


def test_words_for_gender_are_understood() -> None:
    assert parse_audience("gender=women").gender == Gender.FEMALE
    assert parse_audience("gender=male").gender == Gender.MALE


def test_nothing_given_is_an_empty_audience() -> None:
    assert parse_audience(None).is_empty()
    assert parse_audience("").is_empty()
    assert parse_audience({"lang": "fr", "region": None}) == Audience(lang="fr")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("age=20", "unknown key 'age'"),
        ("region=Atlantis", "unknown region 'Atlantis'"),
        ("gender=q", "unknown gender 'q'"),
        ("lang=french", "not a two-letter ISO 639-1 language code"),
        ("lang", "'lang' is not key=value"),
        ("lang=fr,lang=de", "'lang' is given twice"),
    ],
)
def test_a_bad_audience_is_one_clear_error_naming_the_field(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_audience(spec)
    assert "--audience" in str(info.value)
