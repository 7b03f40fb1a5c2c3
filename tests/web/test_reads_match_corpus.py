"""Every API answer and every page's data, read in SQL, equals what the whole-corpus path
(``store.corpus()`` filtered in Python, as the app did before) gives, on SQLite and on
PostgreSQL, over a store with people's codes, two machine runs, reviews and a settlement."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from defectio import service
from defectio.accounts import service as accounts
from defectio.accounts.roles import Role
from defectio.analysis.counts import (
    Basis,
    case_counts,
    code_counts,
    passage_codes,
    stats_summary,
    year_left,
)
from defectio.analysis.prevalence import prevalence
from defectio.cli import app as cli
from defectio.coding.registry import build_coder
from defectio.ingest.importer import import_paths
from defectio.model import AnnotationStatus, Case, Corpus
from defectio.reference import reference_jsonl
from defectio.report.brief import prevalence_table_svg, timeline_svg
from defectio.report.charts import strip_ids
from defectio.review.agreement import (
    agreement,
    cohen_kappa,
    judgements,
    krippendorff_alpha_nominal,
)
from defectio.review.queue import review_order
from defectio.store import reads
from defectio.store import review as review_store
from defectio.store.repo import Store
from defectio.web import WebSettings, create_app, views
from defectio.workflow import code_store
from tests.store.databases import BACKENDS, fresh_database

PASSWORD = "a long enough passphrase"
EXTRA = {
    "case_id": "T900",
    "alias": "a case with no date of leaving",
    "gender": "f",
    "region": "Western Europe",
    "passages": [
        {"text": "The emir kept the money the fighters were owed.", "labels": ["corruption"]},
        {"text": "I left when they turned on other Sunnis.", "labels": []},
    ],
}


@dataclass(frozen=True)
class Built:
    url: str
    store: Store
    tokens: dict[Role, str]


def _review(store: Store) -> None:
    """People at work on the store: decisions on suggestions, codes added by two people who
    disagree, a settlement, then a second run whose suggestions are the ones that count."""
    known = set(store.codebook().code_ids)
    first = review_order(review_store.open_suggestions(store))
    with store.unit_of_work("ana") as uow:
        review_store.decide(uow, first[0].annotation_id, AnnotationStatus.ACCEPTED)
        review_store.decide(uow, first[1].annotation_id, AnnotationStatus.REJECTED)
    target = first[2]
    with store.unit_of_work("ana") as uow:
        review_store.add_code(uow, target.passage_id, "corruption", known)
    with store.unit_of_work("ben") as uow:
        review_store.add_code(uow, target.passage_id, "brutality", known)
        review_store.decide(uow, target.annotation_id, AnnotationStatus.REJECTED)
    code_store(store, build_coder("lexicon.v1", store.codebook()), actor="setup")
    again = review_order(review_store.open_suggestions(store))
    with store.unit_of_work("ana") as uow:
        review_store.decide(uow, again[0].annotation_id, AnnotationStatus.REJECTED)
        review_store.decide(uow, again[3].annotation_id, AnnotationStatus.ACCEPTED)
    with store.unit_of_work("cleo") as uow:
        review_store.settle(uow, target.passage_id, "corruption", False, known)


@pytest.fixture(scope="module", params=BACKENDS)
def built(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Built]:
    folder = tmp_path_factory.mktemp("reads")
    extra = folder / "extra.jsonl"
    extra.write_text(json.dumps(EXTRA) + "\n", encoding="utf-8")
    with fresh_database(request.param, folder) as url:
        store = Store(url)
        try:
            import_paths(store, [reference_jsonl(), extra], actor="setup")
            code_store(store, build_coder("lexicon.v1", store.codebook()), actor="setup")
            _review(store)
            tokens = {}
            for role in (Role.VIEWER, Role.REVIEWER):
                accounts.add_user(store, role.value, role, PASSWORD, actor="setup")
                tokens[role] = accounts.create_token(store, role.value, actor="setup")[0]
            yield Built(url, store, tokens)
        finally:
            store.dispose()


@pytest.fixture(scope="module")
def api(built: Built) -> Iterator[TestClient]:
    app = create_app(WebSettings(db_url=built.url, coder="lexicon.v1"))
    with TestClient(app, follow_redirects=False) as c:
        c.headers["Authorization"] = f"Bearer {built.tokens[Role.REVIEWER]}"
        yield c
    app.state.defectio.store.dispose()


# -- the whole-corpus path, as the app computed it before --------------------------------
def old_case_codes(corpus: Corpus, basis: Basis = Basis.COMBINED) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for c in passage_codes(corpus, basis):
        out[c.case_id].add(c.code)
    return out


def old_filter_cases(
    corpus: Corpus, flt: dict[str, str], basis: Basis = Basis.COMBINED
) -> list[tuple[Case, list[str]]]:
    codes = old_case_codes(corpus, basis)
    out = []
    for case in corpus.cases:
        mine = sorted(codes.get(case.case_id, set()))
        if flt.get("gender") and case.gender.value != flt["gender"]:
            continue
        if flt.get("region") and case.region.value != flt["region"]:
            continue
        if flt.get("year") and year_left(case) != flt["year"]:
            continue
        if flt.get("code") and flt["code"] not in mine:
            continue
        out.append((case, mine))
    return out


def old_case_out(case: Case, codes: list[str]) -> dict[str, Any]:
    return {**case.model_dump(mode="json"), "codes": codes}


def old_passage_out(p: Any) -> dict[str, Any]:
    return {
        "passage_id": p.passage_id,
        "case_id": p.case_id,
        "text": p.text,
        "lang": p.lang,
        "voice": p.voice.value,
        "position": p.position,
        "source_id": p.source_id,
    }


def old_dashboard(corpus: Corpus, store: Store) -> dict[str, Any]:
    codebook = store.codebook()
    combined = passage_codes(corpus, Basis.COMBINED)
    unreviewed = sum(1 for c in combined if not c.reviewed)
    n_cases = len(corpus.cases)
    return {
        "cases": n_cases,
        "passages": len(corpus.passages),
        "codes_total": len(combined),
        "codes_unreviewed": unreviewed,
        "unreviewed_share": unreviewed / len(combined) if combined else 0.0,
        "rows": [
            {
                "code": c.code,
                "label": c.label,
                "family": c.family,
                "cases": c.cases,
                "share": c.share(n_cases),
                "unreviewed_cases": c.unreviewed_cases,
            }
            for c in code_counts(corpus, codebook)
        ],
    }


def old_agreement(store: Store, corpus: Corpus) -> dict[str, Any]:
    runs = [a.run_id for a in corpus.annotations if a.coder_kind.value == "machine" and a.run_id]
    run = max(runs) if runs else None
    coverage = store.passages_coded_by_run(run) if run is not None else None
    report = agreement(
        corpus,
        store.codebook(),
        machine_passages=coverage,
        settled=review_store.settled_units(store.events()),
    )
    return report.to_dict()


def _filters(corpus: Corpus) -> list[dict[str, str]]:
    """No filter, each value of each field, and a few combinations and misses."""
    out: list[dict[str, str]] = [{}]
    out += [{"gender": g} for g in sorted({c.gender.value for c in corpus.cases})]
    out += [{"region": r} for r in sorted({c.region.value for c in corpus.cases})]
    out += [{"year": y} for y in sorted({year_left(c) for c in corpus.cases})]
    out += [{"code": code} for code in corpus_codes(corpus)]
    out += [
        {"gender": "m", "year": "2014"},
        {"region": "Western Europe", "code": "corruption"},
        {"year": "14"},
        {"code": "no-such-code"},
        {"gender": ""},
    ]
    return out


def corpus_codes(corpus: Corpus) -> list[str]:
    return sorted({a.code for a in corpus.annotations})


# -- the comparisons ---------------------------------------------------------------------
def test_case_lists_match_for_every_filter_basis_and_page(built: Built, api: TestClient) -> None:
    corpus = built.store.corpus()
    for flt in _filters(corpus):
        for basis in Basis:
            expected = old_filter_cases(corpus, flt, basis)
            for limit, offset in ((1000, 0), (7, 0), (7, 5), (3, len(expected) - 1)):
                params: dict[str, str | int] = {
                    **flt,
                    "basis": basis.value,
                    "limit": limit,
                    "offset": max(offset, 0),
                }
                got = api.get("/api/v1/cases", params=params)
                assert got.status_code == 200, got.text
                window = expected[max(offset, 0) : max(offset, 0) + limit]
                assert got.json() == [old_case_out(c, codes) for c, codes in window], (flt, basis)
        rows, matched = reads.find_cases(built.store, views.CaseFilter(**flt).query())
        assert (rows, matched) == (old_filter_cases(corpus, flt), len(rows))


def test_every_case_detail_matches(built: Built, api: TestClient) -> None:
    corpus = built.store.corpus()
    codes = old_case_codes(corpus)
    by_id = {s.source_id: s for s in corpus.sources}
    for case in corpus.cases:
        sources = [
            {
                "source_id": s.source_id,
                "url": s.url,
                "outlet": s.outlet,
                "title": s.title,
                "published": str(s.published) if s.published else None,
            }
            for sid in corpus.case_sources.get(case.case_id, ())
            if (s := by_id.get(sid)) is not None
        ]
        passages = [
            old_passage_out(p)
            for p in sorted(corpus.passages, key=lambda p: p.position)
            if p.case_id == case.case_id
        ]
        expected = {
            **old_case_out(case, sorted(codes.get(case.case_id, set()))),
            "sources": sources,
            "passages": passages,
        }
        assert api.get(f"/api/v1/cases/{case.case_id}").json() == expected
    assert api.get("/api/v1/cases/NO-SUCH-CASE").status_code == 404


def test_passage_pages_match(built: Built, api: TestClient) -> None:
    everything = [old_passage_out(p) for _, p in built.store.passages()]
    for params in ({"limit": 1000}, {"limit": 20, "offset": 40}, {"limit": 5, "offset": 10**6}):
        got = api.get("/api/v1/passages", params=params).json()
        offset, limit = int(params.get("offset", 0)), int(params["limit"])
        assert got == everything[offset : offset + limit]
    for case_id in ("D001", "T900", "NO-SUCH-CASE"):
        mine = [p for p in everything if p["case_id"] == case_id]
        got = api.get("/api/v1/passages", params={"case_id": case_id, "limit": 1000}).json()
        assert got == mine


def test_stats_match_the_corpus_summary_in_the_api_and_the_command_line(
    built: Built, api: TestClient
) -> None:
    expected = stats_summary(built.store.corpus(), built.store.codebook())
    assert api.get("/api/v1/stats").json() == expected
    out = CliRunner().invoke(cli, ["--db", built.url, "stats", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output) == expected
    assert case_counts(built.store.corpus().cases)["by_year_left"]["unknown"] >= 1


def test_code_counts_match_on_every_basis(built: Built) -> None:
    corpus, book = built.store.corpus(), built.store.codebook()
    for basis in Basis:
        assert service.code_counts(built.store, book, basis) == code_counts(corpus, book, basis)
        assert service.prevalence(built.store, book, basis).equals(prevalence(corpus, book, basis))


def test_agreement_matches_the_whole_corpus_computation(built: Built, api: TestClient) -> None:
    expected = old_agreement(built.store, built.store.corpus())
    assert expected["disagreements"]["count"] >= 1 and len(expected["coders"]) >= 3
    assert service.store_agreement(built.store).to_dict() == expected
    got = api.get("/api/v1/agreement").json()
    assert got == {
        **expected,
        "disagreements": {
            "count": expected["disagreements"]["count"],
            "items": expected["disagreements"]["items"][:50],
        },
    }


def test_counted_agreement_equals_the_tabulated_statistics(built: Built) -> None:
    corpus, book = built.store.corpus(), built.store.codebook()
    run = max(a.run_id for a in corpus.annotations if a.run_id is not None)
    coverage = built.store.passages_coded_by_run(run)
    report = agreement(corpus, book, machine_passages=coverage)
    values = judgements(corpus, book, coverage)
    for pair in report.pairs:
        shared = [u for u in values[pair.coder_a] if u in values[pair.coder_b]]
        va = [values[pair.coder_a][u] for u in shared]
        vb = [values[pair.coder_b][u] for u in shared]
        assert (pair.n, pair.kappa) == (len(shared), cohen_kappa(va, vb))
    for row in (*report.codes, None):
        codes = book.code_ids if row is None else [row.code]
        units = [(p.passage_id, code) for p in corpus.passages for code in codes]
        dense = krippendorff_alpha_nominal([[values[c].get(u) for u in units] for c in values])
        alpha = report.alpha_overall if row is None else row.alpha
        assert (alpha is None) == (dense is None)
        assert alpha is None or alpha == pytest.approx(dense, abs=1e-12)


def test_dashboard_and_its_charts_match(built: Built) -> None:
    corpus, book = built.store.corpus(), built.store.codebook()
    assert service.dashboard(built.store, book) == old_dashboard(corpus, built.store)
    timeline = strip_ids(timeline_svg(service.timeline_corpus(built.store)))
    assert timeline == strip_ids(timeline_svg(corpus))
    old_svg = prevalence_table_svg(prevalence(corpus, book), book)
    new_svg = prevalence_table_svg(service.prevalence(built.store, book), book)
    assert strip_ids(new_svg) == strip_ids(old_svg)


def test_case_page_data_and_filter_options_match(built: Built) -> None:
    corpus, book = built.store.corpus(), built.store.codebook()
    assert views.filter_options(built.store, book) == {
        "gender": sorted({c.gender.value for c in corpus.cases}),
        "region": sorted({c.region.value for c in corpus.cases}),
        "year": sorted({year_left(c) for c in corpus.cases}),
        "code": list(book.code_ids),
    }
    for case in corpus.cases:
        annotations = review_store.list_annotations(built.store, case_id=case.case_id, limit=10_000)
        old = views.case_passages(
            sorted(
                (p for p in corpus.passages if p.case_id == case.case_id), key=lambda p: p.position
            ),
            annotations,
        )
        new = views.case_passages(
            reads.find_passages(built.store, case_id=case.case_id), annotations
        )
        assert new == old
        sources = {s.source_id: s for s in corpus.sources}
        assert reads.case_sources(built.store, case.case_id) == [
            sources[s] for s in corpus.case_sources.get(case.case_id, ()) if s in sources
        ]


def test_review_queue_matches_the_sorted_open_suggestions(built: Built) -> None:
    everything = review_order(review_store.open_suggestions(built.store))
    assert len(everything) > 2
    for limit in (2, 25):
        first, total = review_store.review_queue(built.store, limit)
        assert (first, total) == (everything[:limit], len(everything))
    texts = reads.passage_texts(built.store, {a.passage_id for a in first})
    passages = dict(built.store.passages())
    assert texts == {
        a.passage_id: (passages[a.passage_id].case_id, passages[a.passage_id].text) for a in first
    }


def test_pages_render_from_the_sql_reads(built: Built, tmp_path: Path) -> None:
    app = create_app(WebSettings(db_url=built.url, coder="lexicon.v1"))
    with TestClient(app, follow_redirects=False) as c:
        page = c.get("/sign-in")
        token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed = c.post(
            "/sign-in",
            data={"username": "reviewer", "password": PASSWORD, "csrf_token": token, "next": "/"},
        )
        assert signed.status_code == 303
        for path in (
            "/",
            "/cases",
            "/cases?code=corruption",
            "/cases/T900",
            "/review",
            "/agreement",
            "/charts/prevalence.svg",
            "/charts/timeline.svg",
        ):
            assert c.get(path).status_code == 200, path
        cases = c.get("/cases").text
        assert f"({len(built.store.cases())} of {len(built.store.cases())})" in cases
    app.state.defectio.store.dispose()
