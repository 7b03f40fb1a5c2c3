"""Every format reads into the same records: the reference JSONL, CSV, text, Markdown, HTML,
PDF and DOCX, each into a real SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from defectio.ingest.importer import BATCH, import_paths
from defectio.store.repo import Store
from tests.fixtures.documents import write_docx, write_html, write_pdf

PARAGRAPHS = [
    "I joined because I wanted to defend the people of Syria against the regime. "
    "That was the only reason I went.",
    "Later they ordered us to attack other rebel groups instead of the regime. "
    "Muslims were killing Muslims and nobody talked about Assad any more.",
    "I saw a public execution of a young man in the square. I could not sleep for weeks. "
    "I decided then that I would escape at the first chance.",
]


def test_reference_jsonl_gives_37_cases_and_103_passages(
    store: Store, reference_path: Path, reference_rows
) -> None:  # type: ignore[no-untyped-def]
    report = import_paths(store, [reference_path])
    counts = store.counts()
    assert counts["cases"] == 37 and counts["passages"] == 103
    assert report.counts["cases"]["added"] == 37
    assert report.counts["passages"]["added"] == 103
    labels = sum(len(p["labels"]) for r in reference_rows for p in r["passages"])
    assert report.counts["codes"]["added"] == labels
    assert counts["sources"] == len({u for r in reference_rows for u in r["source_urls"]})


def test_reimporting_the_same_file_changes_nothing(store: Store, reference_path: Path) -> None:
    import_paths(store, [reference_path])
    before = store.counts()
    report = import_paths(store, [reference_path])
    after = store.counts()
    assert report.counts["cases"] == {"added": 0, "updated": 0, "unchanged": 37}
    assert report.counts["passages"] == {"added": 0, "updated": 0, "unchanged": 103}
    assert report.counts["codes"]["added"] == 0
    assert {k: v for k, v in after.items() if k != "events"} == {
        k: v for k, v in before.items() if k != "events"
    }


def test_changed_case_fields_count_as_updated(
    store: Store, tmp_path: Path, reference_path: Path
) -> None:
    import_paths(store, [reference_path])
    rows = [json.loads(line) for line in reference_path.read_text("utf-8").splitlines()]
    rows[0]["status_after"] = "sentenced"
    path = tmp_path / "v2.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = import_paths(store, [path])
    assert report.counts["cases"] == {"added": 0, "updated": 1, "unchanged": 36}
    case = next(c for c in store.cases() if c.case_id == rows[0]["case_id"])
    assert case.status_after.value == "sentenced"


def test_csv_with_a_passage_per_row(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "rows.csv"
    path.write_text(
        "case_id,alias,gender,region,left,text,voice,labels,source_url\n"
        'C1,Returnee A,f,Western Europe,2015-03,"I went to marry, and found only fear.",first,'
        "belonging_material,https://example.org/a\n"
        'C1,Returnee A,f,Western Europe,2015-03,"She says the hisba beat women in the street, '
        'for a veil ""worn wrong"".",third,brutality,https://example.org/a\n'
        "C2,Fighter B,m,Central Asia,2014,We were never paid what they promised.,first,,\n",
        encoding="utf-8",
    )
    report = import_paths(store, [path])
    assert report.counts["cases"]["added"] == 2
    assert report.counts["passages"]["added"] == 3
    corpus = store.corpus()
    texts = [p.text for p in corpus.passages if p.case_id == "C1"]
    assert 'for a veil "worn wrong".' in texts[1]
    assert {a.code for a in corpus.annotations} == {"belonging_material", "brutality"}


def test_csv_without_a_text_column_is_refused(store: Store, tmp_path: Path) -> None:
    from defectio.errors import InputError

    path = tmp_path / "rows.csv"
    path.write_text("case_id,alias,passage\nC1,A,hello\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"rows\.csv:1: field 'text': the header has no 'text'"):
        import_paths(store, [path])


def test_markdown_with_front_matter_is_one_case(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "interview.md"
    body = "\n\n".join(PARAGRAPHS)
    path.write_text(
        "---\ncase_id: M1\nalias: The medic from Raqqa\ngender: m\nleft: 2015-06\n"
        "region: Middle East & North Africa\n---\n# Interview\n\n" + body + "\n",
        encoding="utf-8",
    )
    import_paths(store, [path])
    (case,) = store.cases()
    assert (case.case_id, str(case.left)) == ("M1", "2015-06")
    passages = store.corpus().passages
    assert [p.text for p in passages] == PARAGRAPHS
    assert all(p.lang == "en" for p in passages)


def test_long_paragraph_is_cut_into_passages_of_at_most_five_sentences(
    store: Store, tmp_path: Path
) -> None:
    sentences = [f"This is sentence number {i} of a long answer about the camp." for i in range(12)]
    path = tmp_path / "long.txt"
    path.write_text("---\ncase_id: T1\nalias: T\n---\n" + " ".join(sentences), encoding="utf-8")
    import_paths(store, [path])
    passages = store.corpus().passages
    assert len(passages) == 3
    assert all(1 <= p.text.count(".") <= 5 for p in passages)


@pytest.mark.parametrize("writer", [write_html, write_pdf, write_docx])
def test_documents_become_passages_with_a_sidecar_case(
    store: Store, tmp_path: Path, writer
) -> None:  # type: ignore[no-untyped-def]
    ext = {write_html: ".html", write_pdf: ".pdf", write_docx: ".docx"}[writer]
    path = writer(tmp_path / f"report{ext}", PARAGRAPHS)
    (tmp_path / "report.case.yaml").write_text(
        "case_id: R1\nalias: Former fighter (report)\ngender: m\nsource_url: https://example.org/r1\n",
        encoding="utf-8",
    )
    import_paths(store, [path])
    (case,) = store.cases()
    assert case.alias == "Former fighter (report)"
    texts = " ".join(p.text for p in store.corpus().passages)
    assert "Muslims were killing Muslims" in texts
    assert "Subscribe" not in texts and "Home" not in texts
    assert store.corpus().sources[0].url == "https://example.org/r1"


def test_document_without_sidecar_takes_its_case_id_from_the_file_name(
    store: Store, tmp_path: Path
) -> None:
    path = write_docx(tmp_path / "witness 7.docx", PARAGRAPHS, title="Witness seven")
    import_paths(store, [path])
    (case,) = store.cases()
    assert (case.case_id, case.alias) == ("witness-7", "Witness seven")


def test_identity_fields_are_sealed_not_stored_in_clear(keyed_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(
        json.dumps(
            {
                "case_id": "P1",
                "alias": "Witness P",
                "identity": {"legal_name": "Zzyzx Qwerty-Example", "contact": "+00 000 000"},
                "passages": [{"text": "I left in the winter.", "voice": "first", "labels": []}],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    import_paths(keyed_store, [path])
    raw = Path(keyed_store.path).read_bytes()  # type: ignore[arg-type]
    assert b"Zzyzx" not in raw and b"+00 000" not in raw
    identity = keyed_store.reveal_identity("P1")
    assert identity is not None and identity.legal_name == "Zzyzx Qwerty-Example"
    assert keyed_store.events()[-1]["action"] == "identity.reveal"


def test_identity_without_a_key_is_refused_and_nothing_is_written(
    store: Store, tmp_path: Path
) -> None:
    from defectio.errors import VaultError

    path = tmp_path / "ids.jsonl"
    path.write_text(
        json.dumps(
            {
                "case_id": "P1",
                "alias": "W",
                "legal_name": "Somebody Example",
                "passages": ["I left."],
            }
        )
        + "\n",
        encoding="utf-8",
    )
    with pytest.raises(VaultError, match="no key is configured"):
        import_paths(store, [path])
    assert store.counts()["cases"] == 0


def test_a_case_repeated_across_import_batches_is_written_once_with_every_new_passage(
    store: Store, tmp_path: Path
) -> None:
    # More records than one write batch; case R1 comes back in the last batch with one of its
    # passages again (unchanged, same label) and one new passage.
    def record(case_id: str, texts: list[str]) -> str:
        passages = [{"text": t, "lang": "en", "labels": ["corruption"]} for t in texts]
        return json.dumps({"case_id": case_id, "alias": f"case {case_id}", "passages": passages})

    lines = [record("R1", ["The emir kept the money.", "The emir kept the money."])]
    lines += [record(f"R{i}", [f"Passage of case {i}."]) for i in range(2, BATCH + 20)]
    lines.append(record("R1", ["The emir kept the money.", "They shot the deserters."]))
    path = tmp_path / "batches.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = import_paths(store, [path])
    assert report.counts["cases"] == {"added": BATCH + 19, "updated": 0, "unchanged": 0}
    assert report.counts["passages"] == {"added": BATCH + 20, "updated": 0, "unchanged": 2}
    assert report.counts["codes"] == {"added": BATCH + 20, "updated": 0, "unchanged": 2}
    mine = [(p.position, p.text) for pid, p in store.passages() if p.case_id == "R1"]
    assert mine == [(0, "The emir kept the money."), (3, "They shot the deserters.")]
    again = import_paths(store, [path])
    assert again.counts["passages"]["unchanged"] == BATCH + 22
    assert store.counts()["annotations"] == BATCH + 20
