from __future__ import annotations

from defectio.text.lang import detect_languages
from defectio.text.segment import passages_from_text, sentence_spans, sentences


def test_sentences_split_on_terminal_punctuation_but_not_abbreviations() -> None:
    text = 'Dr. Karim treated us. He said: "Run!" We ran at night, e.g. past the checkpoint.'
    assert sentences(text) == [
        "Dr. Karim treated us.",
        'He said: "Run!"',
        "We ran at night, e.g. past the checkpoint.",
    ]


def test_arabic_question_mark_ends_a_sentence_and_spans_point_into_the_text() -> None:
    text = "هل رأيت الإعدام؟ نعم رأيته بعيني."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == ["هل رأيت الإعدام؟", "نعم رأيته بعيني."]


def test_short_paragraphs_stay_whole() -> None:
    assert passages_from_text("One. Two.\n\nThree.") == ["One. Two.", "Three."]


def test_languages_are_detected_within_the_configured_set() -> None:
    texts = [
        "They executed people in the square and I could not stay any longer.",
        "Ils ont exécuté des gens sur la place et je ne pouvais plus rester.",
        "Sie haben Menschen auf dem Platz hingerichtet, ich konnte nicht bleiben.",
        "Meydanda insanları idam ettiler ve artık kalamazdım.",
        "أعدموا الناس في الساحة ولم أعد أستطيع البقاء.",
        "ok",
    ]
    assert detect_languages(texts) == ["en", "fr", "de", "tr", "ar", None]
