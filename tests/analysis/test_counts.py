from __future__ import annotations

from collections import Counter

from defectio.analysis.counts import Basis, case_counts, code_counts, passage_codes
from defectio.codebook import Codebook
from defectio.model import Annotation, AnnotationStatus, CoderKind, Corpus
from defectio.reference import load_reference


def test_case_counts_match_the_reference_file(reference_rows) -> None:  # type: ignore[no-untyped-def]
    counts = case_counts(load_reference().corpus.cases)
    assert counts["cases"] == 37
    assert counts["by_gender"] == dict(Counter(r["gender"] for r in reference_rows))
    assert counts["by_region"] == dict(Counter(r["region"] for r in reference_rows))
    assert counts["by_year_left"] == dict(Counter(r["left"][:4] for r in reference_rows))
    assert counts["by_year_left"] == {"2014": 24, "2015": 13}


def test_code_counts_are_by_case_as_the_study_counted(codebook: Codebook, reference_rows) -> None:  # type: ignore[no-untyped-def]
    counts = {c.code: c for c in code_counts(load_reference().corpus, codebook, Basis.PEOPLE)}
    for code in codebook.code_ids:
        cases = sum(code in r["case_labels"] for r in reference_rows)
        passages = sum(code in p["labels"] for r in reference_rows for p in r["passages"])
        assert (counts[code].cases, counts[code].passages) == (cases, passages), code
    assert counts[codebook.code_ids[1]].unreviewed_cases == 0


def _corpus_with(annotations: list[Annotation]) -> Corpus:
    ref = load_reference().corpus
    return Corpus(cases=ref.cases, passages=ref.passages, annotations=tuple(annotations))


def test_a_person_decision_beats_a_machine_suggestion(codebook: Codebook) -> None:
    ref = load_reference().corpus
    p1, p2 = ref.passages[0].passage_id, ref.passages[5].passage_id
    code = codebook.code_ids[0]
    machine = [
        Annotation(passage_id=p, code=code, coder="lexicon.v1", probability=0.8, run_id=1)
        for p in (p1, p2)
    ]
    rejected = Annotation(
        passage_id=p1,
        code=code,
        coder="alice",
        coder_kind=CoderKind.PERSON,
        status=AnnotationStatus.REJECTED,
    )
    combined = passage_codes(_corpus_with([*machine, rejected]), Basis.COMBINED)
    assert [(c.passage_id, c.reviewed) for c in combined] == [(p2, False)]
    machine_only = passage_codes(_corpus_with([*machine, rejected]), Basis.MACHINE)
    assert {c.passage_id for c in machine_only} == {p1, p2}
    counts = {c.code: c for c in code_counts(_corpus_with([*machine, rejected]), codebook)}
    assert counts[code].cases == 1 and counts[code].unreviewed_cases == 1


def test_only_the_latest_machine_run_counts(codebook: Codebook) -> None:
    ref = load_reference().corpus
    pid = ref.passages[0].passage_id
    old = Annotation(passage_id=pid, code=codebook.code_ids[0], coder="x", run_id=1)
    new = Annotation(passage_id=pid, code=codebook.code_ids[1], coder="x", run_id=2)
    codes = passage_codes(_corpus_with([old, new]), Basis.MACHINE)
    assert [c.code for c in codes] == [codebook.code_ids[1]]


def test_a_reviewer_ruling_overrules_every_coder_on_that_passage(codebook: Codebook) -> None:
    ref = load_reference().corpus
    pid, code = ref.passages[0].passage_id, codebook.code_ids[0]

    def person(coder: str, status: AnnotationStatus) -> Annotation:
        return Annotation(
            passage_id=pid, code=code, coder=coder, coder_kind=CoderKind.PERSON, status=status
        )

    accepted = person("ana", AnnotationStatus.ACCEPTED)
    ruled_absent = person("settled:rev", AnnotationStatus.REJECTED)
    carried = {(c.passage_id, c.code) for c in passage_codes(_corpus_with([accepted]))}
    assert (pid, code) in carried
    overruled = passage_codes(_corpus_with([accepted, ruled_absent]))
    assert (pid, code) not in {(c.passage_id, c.code) for c in overruled}
    ruled_present = person("settled:rev", AnnotationStatus.ACCEPTED)
    rejected = person("ana", AnnotationStatus.REJECTED)
    upheld = passage_codes(_corpus_with([rejected, ruled_present]))
    assert (pid, code) in {(c.passage_id, c.code) for c in upheld}
