"""Agreement statistics: checked against sklearn and the krippendorff package, by hand, and on
a real store coded by the lexicon coder and reviewed by a second person."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from defectio.coding.registry import build_coder
from defectio.ingest.importer import import_paths
from defectio.model import Annotation, AnnotationStatus, CoderKind, Corpus
from defectio.review.agreement import (
    MACHINE,
    AgreementReport,
    agreement,
    cohen_kappa,
    judgements,
    krippendorff_alpha_nominal,
)
from defectio.store.repo import Store
from defectio.workflow import code_store
from tests.conftest import require

SECOND = "ana"


# -- the statistics on their own ----------------------------------------------------------------


def test_cohen_kappa_by_hand() -> None:
    # p_o = 3/4; marginals a: 1/2, 1/2; b: 1/4, 3/4; p_e = 1/8 + 3/8 = 1/2; kappa = 1/4 / 1/2.
    assert cohen_kappa([1, 1, 0, 0], [1, 0, 0, 0]) == pytest.approx(0.5)
    assert cohen_kappa([1, 0, 1], [1, 0, 1]) == pytest.approx(1.0)


def test_cohen_kappa_undefined() -> None:
    assert cohen_kappa([], []) is None
    assert cohen_kappa([0, 0, 0], [0, 0, 0]) is None  # one value throughout: p_e == 1
    with pytest.raises(ValueError):
        cohen_kappa([0, 1], [0])


@pytest.mark.parametrize("seed", range(8))
def test_cohen_kappa_matches_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(10, 200))
    a = rng.binomial(1, rng.uniform(0.2, 0.8), n).tolist()
    b = [x if rng.random() < 0.7 else 1 - x for x in a]
    assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b), abs=1e-12)


def test_alpha_by_hand() -> None:
    # Two coders, four units: (1,1) (1,0) (0,0) (0,0). Coincidences o11 = 2, o10 = o01 = 1,
    # o00 = 4; n1 = 3, n0 = 5, n = 8. alpha = 1 - (n-1) * (o10+o01) / (n^2 - n0^2 - n1^2)
    # = 1 - 7 * 2 / (64 - 25 - 9) = 1 - 14/30 = 8/15.
    assert krippendorff_alpha_nominal([[1, 1, 0, 0], [1, 0, 0, 0]]) == pytest.approx(8 / 15)


def test_alpha_on_krippendorffs_textbook_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", example C:
    # four observers, twelve units, missing values; nominal alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    assert krippendorff_alpha_nominal(data) == pytest.approx(0.743, abs=5e-4)


def test_alpha_undefined() -> None:
    assert krippendorff_alpha_nominal([]) is None
    assert krippendorff_alpha_nominal([[1, None], [None, 0]]) is None  # nothing pairable
    assert krippendorff_alpha_nominal([[1, 1, None], [1, 1, 0]]) is None  # one category paired
    with pytest.raises(ValueError):
        krippendorff_alpha_nominal([[1, 0], [1]])


@pytest.mark.parametrize("seed", range(10))
def test_alpha_matches_the_krippendorff_package(seed: int) -> None:
    require("krippendorff")
    import krippendorff

    rng = np.random.default_rng(seed)
    coders, units = int(rng.integers(2, 6)), int(rng.integers(10, 60))
    categories = int(rng.integers(2, 4))
    truth = rng.integers(0, categories, units)
    values = np.where(rng.random((coders, units)) < 0.75, truth, rng.integers(0, categories, units))
    missing = rng.random((coders, units)) < 0.3
    data = [
        [None if missing[c, u] else int(values[c, u]) for u in range(units)] for c in range(coders)
    ]
    expected = krippendorff.alpha(
        reliability_data=np.where(missing, np.nan, values.astype(float)),
        level_of_measurement="nominal",
    )
    mine = krippendorff_alpha_nominal(data)
    assert mine is not None
    assert mine == pytest.approx(expected, abs=1e-9)


# -- a real store ---------------------------------------------------------------------------------


@pytest.fixture
def coded(store: Store, reference_path: Path) -> Store:
    """The reference corpus imported (the reference coder), coded by the lexicon coder (the
    machine), and five passages reviewed by a second person."""
    import_paths(store, [reference_path])
    code_store(store, build_coder("lexicon.v1", store.codebook()))
    return store


def _second_person(store: Store) -> tuple[str, str]:
    """Ana agrees with the reference on some passages and rejects one of its codes on
    another; returns that unit, a disagreement."""
    corpus = store.corpus()
    ref_codes: dict[str, list[str]] = {}
    for a in corpus.annotations:
        if a.coder_kind == CoderKind.PERSON:
            ref_codes.setdefault(a.passage_id, []).append(a.code)
    labelled = [p.passage_id for p in corpus.passages if p.passage_id in ref_codes][:5]
    with store.unit_of_work(SECOND) as uow:
        for pid in labelled[:4]:
            for code in ref_codes[pid]:
                uow.add_annotation(_person(pid, code, AnnotationStatus.ACCEPTED))
        disputed = (labelled[4], ref_codes[labelled[4]][0])
        uow.add_annotation(_person(*disputed, AnnotationStatus.REJECTED))
    return disputed


def _person(pid: str, code: str, status: AnnotationStatus) -> Annotation:
    return Annotation(
        passage_id=pid, code=code, coder=SECOND, coder_kind=CoderKind.PERSON, status=status
    )


def _expected_values(store: Store, corpus: Corpus) -> dict[str, dict[tuple[str, str], int]]:
    """The same judgements, worked out here the plain way, from the store's own reads."""
    run = store.latest_run()
    assert run is not None
    codes = store.codebook().code_ids
    pids = [p.passage_id for p in corpus.passages]
    judged: dict[str, set[str]] = {MACHINE: store.passages_coded_by_run(run["run_id"])}
    applied: dict[str, set[tuple[str, str]]] = {MACHINE: set()}
    for a in corpus.annotations:
        if a.coder_kind == CoderKind.MACHINE:
            if a.run_id == run["run_id"]:
                applied[MACHINE].add((a.passage_id, a.code))
            continue
        judged.setdefault(a.coder, set()).add(a.passage_id)
        if a.status == AnnotationStatus.ACCEPTED:
            applied.setdefault(a.coder, set()).add((a.passage_id, a.code))
    return {
        c: {
            (p, k): int((p, k) in applied.get(c, set()))
            for p in pids
            if p in judged[c]
            for k in codes
        }
        for c in judged
    }


def _report(store: Store, settled: set[tuple[str, str]] | None = None) -> AgreementReport:
    run = store.latest_run()
    assert run is not None
    return agreement(
        store.corpus(),
        store.codebook(),
        machine_passages=store.passages_coded_by_run(run["run_id"]),
        settled=settled or set(),
    )


def test_on_a_reviewed_store(coded: Store) -> None:
    require("krippendorff")
    import krippendorff

    disputed = _second_person(coded)
    corpus, book = coded.corpus(), coded.codebook()
    # The import's labels are one person's codes, by a coder named after the file.
    reference = next(
        a.coder
        for a in corpus.annotations
        if a.coder_kind == CoderKind.PERSON and a.coder != SECOND
    )
    assert reference.endswith(":defectors_2014_2015.jsonl")
    report = _report(coded)
    assert set(report.coders) == {MACHINE, reference, SECOND}
    assert report.coders[0] == MACHINE

    expected = _expected_values(coded, corpus)
    run = coded.latest_run()
    assert run is not None
    assert judgements(corpus, book, coded.passages_coded_by_run(run["run_id"])) == expected
    for pair in report.pairs:
        a, b = expected[pair.coder_a], expected[pair.coder_b]
        shared = sorted(set(a) & set(b))
        assert pair.n == len(shared) > 0
        va, vb = [a[u] for u in shared], [b[u] for u in shared]
        assert pair.observed == pytest.approx(np.mean(np.equal(va, vb)))
        if len(set(va) | set(vb)) > 1:
            assert pair.kappa == pytest.approx(cohen_kappa_score(va, vb), abs=1e-12)
    machine_ref = next(p for p in report.pairs if {p.coder_a, p.coder_b} == {MACHINE, reference})
    assert machine_ref.kappa is not None and -1 <= machine_ref.kappa <= 1

    coders = list(expected)
    checked = 0
    for row in report.codes:
        matrix = np.array(
            [
                [expected[c].get((p.passage_id, row.code), np.nan) for p in corpus.passages]
                for c in coders
            ],
            dtype=float,
        )
        pairable = (~np.isnan(matrix)).sum(axis=0) >= 2
        assert row.n_units == int(pairable.sum())
        paired = matrix[:, pairable]
        if len(np.unique(paired[~np.isnan(paired)])) < 2:
            assert row.alpha is None
            continue
        package = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        assert row.alpha == pytest.approx(package, abs=1e-9)
        checked += 1
    assert checked >= 3
    assert report.alpha_overall is not None

    found = [d for d in report.disagreements if (d.passage_id, d.code) == disputed]
    assert len(found) == 1
    assert reference in found[0].present and SECOND in found[0].absent
    case_of = {p.passage_id: p for p in corpus.passages}
    keys = [(d.case_id, case_of[d.passage_id].position, d.code) for d in report.disagreements]
    assert keys == sorted(keys)

    settled = _report(coded, {disputed})
    assert disputed not in {(d.passage_id, d.code) for d in settled.disagreements}
    assert len(settled.disagreements) == len(report.disagreements) - 1


def test_machine_is_the_latest_run_whatever_the_status(coded: Store) -> None:
    """A second run replaces the first; a suggestion a person rejected is still the machine's;
    a passage in the run's coverage with no suggestion is judged, every code 0."""
    code_store(coded, build_coder("lexicon.v1", coded.codebook()))
    corpus, book = coded.corpus(), coded.codebook()
    latest = max(a.run_id for a in corpus.annotations if a.run_id is not None)
    mine = [a for a in corpus.annotations if a.coder_kind == CoderKind.MACHINE]
    assert {a.run_id for a in mine} == {latest - 1, latest}
    suggestion = next(a for a in mine if a.run_id == latest)
    values = judgements(corpus, book)
    assert values[MACHINE][(suggestion.passage_id, suggestion.code)] == 1
    rejected = corpus.model_copy(
        update={
            "annotations": tuple(
                a.model_copy(update={"status": AnnotationStatus.REJECTED}) if a is suggestion else a
                for a in corpus.annotations
            )
        }
    )
    assert judgements(rejected, book)[MACHINE] == values[MACHINE]

    seen = {a.passage_id for a in mine if a.run_id == latest}
    silent = next(p.passage_id for p in corpus.passages if p.passage_id not in seen)
    assert not any(pid == silent for pid, _ in values[MACHINE])
    covered = judgements(corpus, book, machine_passages={silent})
    assert {covered[MACHINE][(silent, code)] for code in book.code_ids} == {0}


def test_an_empty_corpus_has_nothing_to_compare(codebook) -> None:  # type: ignore[no-untyped-def]
    report = agreement(Corpus(), codebook)
    assert report.coders == () and report.pairs == () and report.alpha_overall is None
    assert all(c.alpha is None and c.n_units == 0 for c in report.codes)
    out = report.to_dict()
    assert out["disagreements"] == {"count": 0, "items": []}
    assert [c["code"] for c in out["codes"]] == codebook.code_ids


def test_to_dict_rounds_and_limits(coded: Store) -> None:
    _second_person(coded)
    report = _report(coded)
    assert len(report.disagreements) > 2
    out = report.to_dict(limit=2)
    assert out["disagreements"]["count"] == len(report.disagreements)
    assert len(out["disagreements"]["items"]) == 2
    for pair in out["pairs"]:
        assert set(pair) == {"coder_a", "coder_b", "n", "observed", "kappa"}
        assert pair["kappa"] is None or pair["kappa"] == round(pair["kappa"], 4)
    assert len(report.to_dict()["disagreements"]["items"]) == len(report.disagreements)
