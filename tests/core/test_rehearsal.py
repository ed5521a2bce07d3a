"""Rehearsal material: the base's predictions, masked where the reviewers corrected the base."""

from annotator.core.rehearsal import (
    ReviewedText, corrected_surfaces, label_retention, rehearsal_annotation, surface_pattern,
)
from annotator.core.spans import Range, Span


def at(text, needle, label, nth=0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Span(start, start + len(needle), label, "model")


def test_corrections_are_where_gold_and_base_differ_outside_boilerplate(tokenize):
    text = "Mali's junta met Peskov in Moscow.\nRelated: Kyiv"
    base = [at(text, "Mali", "PERSON"), at(text, "Peskov", "PERSON"), at(text, "Moscow", "GPE"),
            at(text, "Related", "ORG"), at(text, "Kyiv", "PERSON")]
    gold = [at(text, "Mali", "GPE"), at(text, "junta", "NORP"), at(text, "Peskov", "PERSON"),
            at(text, "Moscow", "GPE"), at(text, "Kyiv", "PERSON")]
    boilerplate = [Range(text.index("Related"), len(text))]
    found = corrected_surfaces([ReviewedText(text, gold, base, boilerplate)])
    assert found == {"Mali", "junta"}  # relabelled, added; agreed spans and boilerplate correct nothing
    gold_without_related = [s for s in gold if s.label != "ORG"]
    assert corrected_surfaces([ReviewedText(text, gold_without_related, base)]) == {"Mali", "junta", "Related"}


def test_rehearsal_masks_corrected_text_on_token_boundaries_only(tokenize):
    text = "Mali said Malians in Mali-Niger talks and Bamako, Mali agreed with Wagner."
    tokens = tokenize(text)
    predicted = [at(text, "Mali", "PERSON"), at(text, "Bamako", "GPE"), at(text, "Mali", "PERSON", nth=3),
                 at(text, "Wagner", "ORG")]
    kept, missing = rehearsal_annotation(text, tokens, predicted, surface_pattern({"Mali"}))
    assert kept == [at(text, "Bamako", "GPE"), at(text, "Wagner", "ORG")]
    masked = [text[r.start:r.end] for r in missing]
    assert masked.count("Mali") == 3  # "Mali" said, "Mali"-Niger (its own token) and Bamako, "Mali"; not "Malians"
    assert all(tokens.is_aligned(r.start, r.end) for r in missing)
    assert rehearsal_annotation(text, tokens, predicted, surface_pattern([])) == (predicted, [])


def test_label_retention_counts_the_base_entities_the_trained_pipeline_kept():
    base = [[Span(0, 4, "DATE"), Span(5, 9, "PERCENT")], [Span(0, 3, "DATE")]]
    trained = [[Span(0, 4, "DATE"), Span(5, 9, "MONEY")], []]
    result = label_retention(base, trained)
    assert result["DATE"] == {"base": 2, "kept": 1, "trained": 1, "retention": 0.5}
    assert result["PERCENT"] == {"base": 1, "kept": 0, "trained": 0, "retention": 0.0}
    assert result["MONEY"] == {"base": 0, "kept": 0, "trained": 1, "retention": 0.0}
