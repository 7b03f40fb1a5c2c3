"""Who a counter-message is for: region, gender and language, parsed from
``region=Western Europe,gender=f,lang=fr``; answers from the same kind of person come first."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from defectio.errors import InputError
from defectio.model import Gender, Region

FIELD = "--audience"
KEYS = ("region", "gender", "lang")
_SPLIT = re.compile(r",\s*(?=[A-Za-z_]+\s*=)")
_LANG = re.compile(r"^[a-z]{2}$")
_GENDER_WORDS = {
    "m": Gender.MALE,
    "male": Gender.MALE,
    "man": Gender.MALE,
    "men": Gender.MALE,
    "f": Gender.FEMALE,
    "female": Gender.FEMALE,
    "woman": Gender.FEMALE,
    "women": Gender.FEMALE,
    "x": Gender.OTHER,
    "other": Gender.OTHER,
}


class Audience(BaseModel):
    """The people a message is meant for; every field is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    region: Region | None = None
    gender: Gender | None = None
    lang: str | None = None

    def is_empty(self) -> bool:
        return self.region is None and self.gender is None and self.lang is None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def parse_region(value: str) -> Region:
    """A region by its value (``Western Europe``), enum name (``WESTERN_EUROPE``) or a slug
    of either (``western-europe``, ``mena``)."""
    wanted = _slug(value)
    for region in Region:
        if wanted in (_slug(region.value), _slug(region.name)):
            return region
    known = ", ".join(r.value for r in Region if r is not Region.UNKNOWN)
    raise InputError(f"unknown region '{value}'; known regions: {known}", field=f"{FIELD} region")


def parse_gender(value: str) -> Gender:
    gender = _GENDER_WORDS.get(value.strip().lower())
    if gender is None:
        raise InputError(f"unknown gender '{value}'; use m, f or x", field=f"{FIELD} gender")
    return gender


def parse_lang(value: str) -> str:
    lang = value.strip().lower()
    if not _LANG.match(lang):
        raise InputError(
            f"'{value}' is not a two-letter ISO 639-1 language code (en, ar, fr, de, tr ...)",
            field=f"{FIELD} lang",
        )
    return lang


def _from_pairs(pairs: Mapping[str, str | None]) -> Audience:
    values: dict[str, object] = {}
    for key, raw in pairs.items():
        name = key.strip().lower()
        if name not in KEYS:
            raise InputError(
                f"unknown key '{key}'; an audience is region=..., gender=..., lang=...",
                field=FIELD,
            )
        if raw is None or not str(raw).strip():
            continue
        value = str(raw).strip()
        if name == "region":
            values[name] = parse_region(value)
        elif name == "gender":
            values[name] = parse_gender(value)
        else:
            values[name] = parse_lang(value)
    return Audience.model_validate(values)


def parse_audience(spec: str | Mapping[str, str | None] | Audience | None) -> Audience:
    """An ``Audience`` from ``region=...,gender=...,lang=...``, a mapping, or one already built.
    Region names may contain spaces and ``&``; a comma only separates where a key follows."""
    if spec is None:
        return Audience()
    if isinstance(spec, Audience):
        return spec
    if isinstance(spec, Mapping):
        return _from_pairs(spec)
    pairs: dict[str, str | None] = {}
    for part in _SPLIT.split(spec.strip()) if spec.strip() else []:
        key, sep, value = part.partition("=")
        if not sep:
            raise InputError(
                f"'{part}' is not key=value; write region=...,gender=...,lang=...", field=FIELD
            )
        if key.strip().lower() in pairs:
            raise InputError(f"'{key.strip()}' is given twice", field=FIELD)
        pairs[key.strip().lower()] = value
    return _from_pairs(pairs)
