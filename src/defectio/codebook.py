"""The codebook as data: codes, families, rules, indicator phrases and the counter map.

Everything in defectio that knows about a code learns it from a loaded ``Codebook``;
a team codes another movement by writing another YAML file.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from defectio.errors import CodebookError

DEFAULT_CODEBOOK = "icsr2015"


class Family(StrEnum):
    EXIT = "exit"
    JOIN = "join"
    STANCE = "stance"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    family: Family
    label: str = Field(min_length=1)
    definition: str
    meets: tuple[str, ...] = ()
    does_not_meet: tuple[str, ...] = ()
    theme: str | None = None
    indicators: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    exclusions: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    examples: tuple[str, ...] = ()
    # A case carrying this code (accepted, or suggested above threshold) is held back from
    # counter-messages unless asked for: someone who still backs the cause is no messenger.
    counter_gate: bool = False

    @field_validator("definition")
    @classmethod
    def _definition_not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "the definition is empty; say what a passage must state to get this code"
            )
        return value.strip()


class Rule(_Strict):
    id: str
    text: str = Field(min_length=1)
    codes: tuple[str, ...] = ()


class Codebook(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    version: str = Field(min_length=1)
    description: str = ""
    languages: tuple[str, ...] = ("en",)
    families: dict[Family, str] = Field(default_factory=dict)
    codes: tuple[Code, ...]
    rules: tuple[Rule, ...] = ()
    counter_map: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @cached_property
    def by_id(self) -> dict[str, Code]:
        return {c.id: c for c in self.codes}

    @property
    def code_ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def family(self, family: Family | str) -> list[Code]:
        return [c for c in self.codes if c.family == Family(family)]

    def __contains__(self, code_id: object) -> bool:
        return code_id in self.by_id

    def __len__(self) -> int:
        return len(self.codes)

    def answers_for(self, join_code: str) -> tuple[str, ...]:
        """The exit codes that answer a join narrative, per the counter map."""
        return self.counter_map.get(join_code, ())

    @property
    def ref(self) -> str:
        """``id@version``: what a coding run records so a result can be reproduced."""
        return f"{self.id}@{self.version}"


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a mapping with the same key twice instead of keeping the last."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise CodebookError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}'")
        seen.add(key)
    return dict(loader.construct_pairs(node))


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _location(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """Name a validation error's place by key, using code ids rather than list indexes."""
    parts: list[str] = []
    node: Any = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            ident = node.get("id") if isinstance(node, dict) else None
            parts[-1] += f"[{item}]" + (f" ({ident})" if ident else "")
            continue
        parts.append(str(item))
        node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def parse_codebook(text: str, origin: str = "<codebook>") -> Codebook:
    """Parse and validate codebook YAML; each problem is one ``CodebookError`` naming the key."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)
    except CodebookError as exc:
        raise CodebookError(f"{origin}: {exc.message}") from None
    except yaml.YAMLError as exc:
        raise CodebookError(f"{origin}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise CodebookError(f"{origin}: expected a mapping with id, version and codes at the top")
    try:
        book = Codebook.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _location(tuple(err["loc"]), data)
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise CodebookError(f"{origin}: {where}: {msg}") from None
    _check_consistency(book, origin)
    return book


def _check_consistency(book: Codebook, origin: str) -> None:
    seen: set[str] = set()
    for i, code in enumerate(book.codes):
        if code.id in seen:
            raise CodebookError(f"{origin}: codes[{i}].id: duplicate code id '{code.id}'")
        seen.add(code.id)
        for field in ("indicators", "exclusions"):
            for lang in getattr(code, field):
                if lang not in book.languages:
                    raise CodebookError(
                        f"{origin}: codes[{i}] ({code.id}).{field}.{lang}: language '{lang}' "
                        f"is not in languages {list(book.languages)}"
                    )
    for rule in book.rules:
        for code_id in rule.codes:
            if code_id not in seen:
                raise CodebookError(f"{origin}: rules ({rule.id}).codes: unknown code '{code_id}'")
    for join, answers in book.counter_map.items():
        if join not in seen:
            raise CodebookError(f"{origin}: counter_map.{join}: unknown code '{join}'")
        if book.by_id[join].family != Family.JOIN:
            raise CodebookError(f"{origin}: counter_map.{join}: '{join}' is not a join code")
        for answer in answers:
            if answer not in seen:
                raise CodebookError(f"{origin}: counter_map.{join}: unknown code '{answer}'")
            if book.by_id[answer].family != Family.EXIT:
                raise CodebookError(f"{origin}: counter_map.{join}: '{answer}' is not an exit code")


def bundled_codebooks() -> list[str]:
    """Ids of the codebooks that ship with defectio."""
    folder = resources.files("defectio") / "codebooks"
    return sorted(
        p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml")
    )


def read_codebook_text(name_or_path: str | Path = DEFAULT_CODEBOOK) -> tuple[str, str]:
    """The YAML text of a bundled codebook id or a file path, and where it came from."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} or path.exists():
        if not path.is_file():
            raise CodebookError(f"{path}: no such codebook file")
        return path.read_text(encoding="utf-8"), str(path)
    resource = resources.files("defectio") / "codebooks" / f"{name_or_path}.yaml"
    if not resource.is_file():
        known = ", ".join(bundled_codebooks())
        raise CodebookError(
            f"'{name_or_path}' is neither a codebook file nor a bundled one ({known})"
        )
    return resource.read_text(encoding="utf-8"), f"codebooks/{name_or_path}.yaml"


def load_codebook(name_or_path: str | Path = DEFAULT_CODEBOOK) -> Codebook:
    """Load and validate a bundled codebook by id (``icsr2015``) or a YAML file by path."""
    text, origin = read_codebook_text(name_or_path)
    return parse_codebook(text, origin)
