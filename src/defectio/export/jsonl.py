"""JSON lines in the reference format (one case per line), which ``defectio import`` reads back.

People's accepted codes travel as ``labels`` and come back as accepted codes; unreviewed machine
suggestions travel as ``suggestions`` (code, p, run) for the record, and are not imported as
anyone's decision: run ``defectio code`` again. Identity fields are never exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from defectio.analysis.counts import Basis, passage_codes
from defectio.codebook import Codebook
from defectio.ingest.records import CASE_FIELDS
from defectio.model import Corpus


def case_records(corpus: Corpus, codebook: Codebook) -> Iterator[dict[str, Any]]:
    """One dict per case in the reference JSONL shape."""
    order = {c: i for i, c in enumerate(codebook.code_ids)}
    labels: dict[str, list[str]] = {}
    for pc in passage_codes(corpus, Basis.PEOPLE):
        labels.setdefault(pc.passage_id, []).append(pc.code)
    suggestions: dict[str, list[dict[str, Any]]] = {}
    for pc in passage_codes(corpus, Basis.COMBINED):
        if not pc.reviewed:
            suggestions.setdefault(pc.passage_id, []).append({"code": pc.code, "p": pc.probability})
    sources = corpus.source_by_id
    by_case: dict[str, list[Any]] = {}
    for p in sorted(corpus.passages, key=lambda p: (p.case_id, p.position)):
        by_case.setdefault(p.case_id, []).append(p)
    for case in corpus.cases:
        data = case.model_dump(mode="json", exclude_none=True)
        record: dict[str, Any] = {k: data[k] for k in CASE_FIELDS if k in data}
        urls = [sources[s].url for s in corpus.case_sources.get(case.case_id, ()) if s in sources]
        record["source_urls"] = urls
        passages = []
        for p in by_case.get(case.case_id, []):
            item: dict[str, Any] = {
                "text": p.text,
                "voice": p.voice.value,
                "labels": sorted(labels.get(p.passage_id, []), key=lambda c: order.get(c, 0)),
            }
            if p.lang:
                item["lang"] = p.lang
            url = sources[p.source_id].url if p.source_id in sources else None
            if url and (not urls or url != urls[0]):
                item["source_url"] = url
            if p.passage_id in suggestions:
                item["suggestions"] = suggestions[p.passage_id]
            passages.append(item)
        record["passages"] = passages
        record["case_labels"] = sorted(
            {c for item in passages for c in item["labels"]}, key=lambda c: order.get(c, 0)
        )
        yield record


def write_jsonl(corpus: Corpus, codebook: Codebook, out: Path) -> Path:
    with out.open("w", encoding="utf-8") as handle:
        for record in case_records(corpus, codebook):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out
