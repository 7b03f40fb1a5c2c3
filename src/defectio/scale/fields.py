"""What a batch job reads from each row, and its limits (no heavy imports: the CLI reads it)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

DEFAULT_BLOCKSIZE = 8 * 2**20  # bytes of JSONL or CSV per partition
DEFAULT_MAX_TEXT_BYTES = 64 * 1024  # a longer post goes to the rejects


@dataclass(frozen=True)
class Fields:
    """Where a row keeps what batch needs, and how much text one post may hold."""

    text: str = "text"
    id: str = "id"
    lang: str = "lang"
    date: str = "date"
    source: str = "source"
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
