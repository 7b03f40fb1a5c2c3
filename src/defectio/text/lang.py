"""Language detection with lingua, restricted to a configured set of languages."""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from defectio.errors import DefectioError

LANGUAGES_ENV = "DEFECTIO_LANGUAGES"
# Wider than the languages the coders support, so an unsupported one is named, not mistaken.
DEFAULT_LANGUAGES = ("en", "ar", "fr", "de", "tr", "es", "it", "nl", "ru", "fa", "ur", "id")
MIN_CONFIDENCE = 0.5
MIN_LETTERS = 12


def configured_languages() -> tuple[str, ...]:
    """``DEFECTIO_LANGUAGES`` (comma-separated ISO 639-1 codes) or the default set."""
    env = os.environ.get(LANGUAGES_ENV)
    if not env:
        return DEFAULT_LANGUAGES
    return tuple(code.strip().lower() for code in env.split(",") if code.strip())


@lru_cache(maxsize=4)
def _detector(codes: tuple[str, ...]) -> LanguageDetector:
    languages = []
    for code in codes:
        try:
            languages.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
        except AttributeError:
            raise DefectioError(
                f"'{code}' is not an ISO 639-1 language code lingua knows"
            ) from None
    if len(languages) < 2:
        raise DefectioError("language detection needs at least two configured languages")
    return LanguageDetectorBuilder.from_languages(*languages).build()


def detect_languages(texts: Sequence[str], codes: Sequence[str] | None = None) -> list[str | None]:
    """ISO 639-1 code of each text, or None when it is too short or too uncertain to tell."""
    detector = _detector(tuple(codes or configured_languages()))
    values = detector.compute_language_confidence_values_in_parallel(list(texts))
    out: list[str | None] = []
    for text, ranked in zip(texts, values, strict=True):
        letters = sum(ch.isalpha() for ch in text)
        if not ranked or letters < MIN_LETTERS or ranked[0].value < MIN_CONFIDENCE:
            out.append(None)
            continue
        out.append(ranked[0].language.iso_code_639_1.name.lower())
    return out


def detect_language(text: str, codes: Sequence[str] | None = None) -> str | None:
    return detect_languages([text], codes)[0]
