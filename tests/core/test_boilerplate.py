"""The boilerplate heuristic on the real seeds: finds the furniture, keeps the article."""

from pathlib import Path

import pytest

from annotator.core.boilerplate import corpus_line_counts, suggest_boilerplate

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.fixture(scope="module")
def seeds() -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}


@pytest.fixture(scope="module")
def suggested(seeds):
    counts = corpus_line_counts(seeds.values())
    return {key: suggest_boilerplate(text, counts) for key, text in seeds.items()}


def covered(text: str, suggestions, needle: str) -> bool:
    start = text.index(needle)
    return any(s.start <= start and start + len(needle) <= s.end for s in suggestions)


def touched(text: str, suggestions, needle: str) -> bool:
    start = text.index(needle)
    return any(s.start < start + len(needle) and start < s.end for s in suggestions)


def test_related_articles_block_and_furniture_in_000(seeds, suggested):
    text, sugg = seeds["000"], suggested["000"]
    for needle in ["Try Our AI Features", "No comments yet...", "Related Articles", "Business Recorder\n5 hours ago",
                   "Russia fired record 479 drones at Ukraine overnight\nKYIV"]:
        assert covered(text, sugg, needle), needle
    assert sugg[-1].end == len(text.rstrip())
    assert any("trailing block" in r for s in sugg for r in s.reasons)


def test_repeated_captions_and_appended_article_in_003(seeds, suggested):
    text, sugg = seeds["003"], suggested["003"]
    caption = "Malian soldiers celebrate after the handover ceremony"
    second = text.index(caption, text.index(caption) + 1)
    assert any(s.start <= second < s.end for s in sugg)
    assert covered(text, sugg, "Russian Troops Push into Ukraine’s Sumy Region")
    assert covered(text, sugg, "It also controls a sliver of Kharkiv region.")


@pytest.mark.parametrize(
    "key, paragraph",
    [
        ("000", "Mali, ruled by a junta that seized power in coups in 2020 and 2021"),
        ("000", "The Africa Corps is seen as its successor"),
        ("001", "Russia and China remain the top arms suppliers to the African continent."),
        ("002", "Overall, Russia’s deepening engagement in Africa"),
        ("003", "Mali's government has denied the presence of Russian mercenaries"),
        ("003", "Russian President Vladimir Putin has said the Wagner Group do not represent"),
        ("004", "Mali has been battling a jihadist insurgency over the past decade"),
        ("000", "Russia says aims to boost military ties in Africa after Wagner exits Mali"),
        ("003", "Mali Denies Deployment of Russian Mercenaries"),
    ],
)
def test_article_text_is_never_swallowed(seeds, suggested, key, paragraph):
    assert not touched(seeds[key], suggested[key], paragraph)


def test_clean_articles_get_no_suggestions(suggested):
    assert suggested["002"] == []


def test_suggestions_are_sorted_disjoint_and_inside_text(seeds, suggested):
    for key, sugg in suggested.items():
        previous_end = -1
        for s in sugg:
            assert previous_end < s.start < s.end <= len(seeds[key])
            previous_end = s.end


def test_rules_on_small_texts():
    text = "Headline about Mali\nBody sentence one is long enough to be body text, with a verb.\nShare\nBody sentence one is long enough to be body text, with a verb.\n"
    sugg = suggest_boilerplate(text)
    marked = [text[s.start:s.end] for s in sugg]
    assert marked == ["Share\nBody sentence one is long enough to be body text, with a verb."]
    assert suggest_boilerplate("\r\n\r\n") == []
