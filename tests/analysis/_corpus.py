"""A tiny corpus built in code, so each statistic can be checked by hand."""

from __future__ import annotations

from defectio.model import Annotation, AnnotationStatus, Case, CoderKind, Corpus, Passage


def tiny_corpus(
    profiles: dict[str, list[str]],
    *,
    attrs: dict[str, dict[str, str]] | None = None,
    machine: dict[str, list[str]] | None = None,
) -> Corpus:
    """One passage per case; ``profiles`` codes are a person's (accepted), ``machine`` codes are
    unreviewed suggestions of run 1."""
    attrs = attrs or {}
    machine = machine or {}
    cases, passages, annotations = [], [], []
    for case_id in sorted(set(profiles) | set(machine)):
        fields = {"case_id": case_id, "alias": f"alias {case_id}", **attrs.get(case_id, {})}
        cases.append(Case.model_validate(fields))
        passage = Passage(case_id=case_id, text=f"testimony of {case_id}")
        passages.append(passage)
        for code in profiles.get(case_id, []):
            annotations.append(
                Annotation(
                    passage_id=passage.passage_id,
                    code=code,
                    coder="tester",
                    coder_kind=CoderKind.PERSON,
                    status=AnnotationStatus.ACCEPTED,
                )
            )
        for code in machine.get(case_id, []):
            annotations.append(
                Annotation(
                    passage_id=passage.passage_id, code=code, coder="m", run_id=1, probability=0.7
                )
            )
    return Corpus(cases=tuple(cases), passages=tuple(passages), annotations=tuple(annotations))
