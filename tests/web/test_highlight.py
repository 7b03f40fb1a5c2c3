from __future__ import annotations

from defectio.web.highlight import Run, colour_classes, evidence_runs


def test_overlapping_evidence_is_cut_into_runs_with_every_covering_code() -> None:
    runs = evidence_runs("abcdefghij", [("x", 2, 5), ("y", 4, 8)])
    assert runs == [
        Run("ab", ()),
        Run("cd", ("x",)),
        Run("e", ("x", "y")),
        Run("fgh", ("y",)),
        Run("ij", ()),
    ]
    assert "".join(r.text for r in runs) == "abcdefghij"


def test_spans_outside_the_text_are_clipped_or_dropped() -> None:
    assert evidence_runs("abc", [("x", -3, 2), ("y", 5, 9)]) == [Run("ab", ("x",)), Run("c", ())]
    assert evidence_runs("abc", []) == [Run("abc", ())]


def test_each_code_gets_a_stable_colour_class() -> None:
    assert colour_classes(["a", "b"], 8) == {"a": "hl0", "b": "hl1"}
    assert colour_classes([str(i) for i in range(10)], 8)["9"] == "hl1"
