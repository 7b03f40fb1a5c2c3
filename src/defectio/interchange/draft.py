"""A codebook as another tool's file gives it: names, definitions if any, a family if the file
groups its codes under family parents, and a way to give families to codes that have none
(``--family`` for all of them, or a mapping file from code or parent names to families)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from defectio.codebook import Family
from defectio.errors import CodebookError

_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """A code id made from a name: lower case, ``_`` between words, starting with a letter."""
    text = _SLUG.sub("_", name.lower()).strip("_")
    return text if text[:1].isalpha() else f"c_{text}"


def family_of_name(name: str) -> Family | None:
    try:
        return Family(slug(name))
    except ValueError:
        return None


@dataclass
class DraftCode:
    """One code as the file has it; ``family`` is None where the file does not say."""

    name: str
    definition: str | None = None
    code_id: str | None = None
    family: Family | None = None
    parents: tuple[str, ...] = ()


@dataclass
class Draft:
    """A codebook read from a file, before it is merged with the store's codebook."""

    origin: str
    codes: list[DraftCode] = field(default_factory=list)
    families: dict[Family, str] = field(default_factory=dict)
    counter_map: dict[str, list[DraftCode]] = field(default_factory=dict)


@dataclass(frozen=True)
class FamilyChoice:
    """Families for codes the file leaves without one: ``mapping`` (code id or name, or the name
    of a parent code, to a family) first, then ``default`` (``--family``)."""

    default: Family | None = None
    mapping: dict[str, Family] = field(default_factory=dict)

    def lookup(self, code: DraftCode) -> Family | None:
        for key in (code.code_id, code.name, *reversed(code.parents)):
            if key and key.casefold() in self.mapping:
                return self.mapping[key.casefold()]
        return None


def load_family_map(path: Path) -> dict[str, Family]:
    """A YAML mapping file, ``code name or id: family`` (or ``family: [names]``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CodebookError(f"{path}: cannot read the family mapping: {exc}") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{path}: expected a mapping of code names to families")
    out: dict[str, Family] = {}
    for key, value in data.items():
        names, family = ([key], value) if not isinstance(value, list) else (value, key)
        try:
            chosen = Family(str(family).strip().lower())
        except ValueError:
            known = ", ".join(f.value for f in Family)
            raise CodebookError(
                f"{path}: '{key}': '{family}' is not a family; families are {known}"
            ) from None
        for name in names:
            out[str(name).strip().casefold()] = chosen
    return out
