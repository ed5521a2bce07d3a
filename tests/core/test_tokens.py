from annotator.core.tokens import Tokens


def test_snap_expands_to_whole_tokens_like_spacy(blank_nlp):
    text = "President Vladimir Putin said so."
    doc = blank_nlp(text)
    tokens = Tokens.from_doc(doc)
    for start, end in [(12, 15), (10, 20), (0, 1), (19, 24), (20, 27)]:
        expected = doc.char_span(start, end, alignment_mode="expand")
        assert tokens.snap(start, end) == (expected.start_char, expected.end_char)
    # spaCy answers a selection of one space with an empty span; we answer None (nothing to label)
    assert len(doc.char_span(24, 25, alignment_mode="expand")) == 0
    assert tokens.snap(24, 25) is None


def test_snap_ignores_whitespace_at_selection_edges(blank_nlp):
    text = "Mali  and Niger"
    tokens = Tokens.from_doc(blank_nlp(text))
    assert tokens.snap(4, 9, text) == (6, 9)  # "  and" -> "and"
    assert tokens.snap(4, 5, text) is None


def test_alignment_and_token_range(blank_nlp):
    tokens = Tokens.from_doc(blank_nlp("Wagner exits Mali."))
    assert tokens.is_aligned(0, 6)
    assert not tokens.is_aligned(0, 5)
    assert tokens.token_range(13, 17) == (2, 2)
    assert tokens.token_range(7, 17) == (1, 2)


def test_bytes_round_trip(blank_nlp):
    tokens = Tokens.from_doc(blank_nlp("A 🎉 test\r\nwith\ttabs"))
    again = Tokens.from_bytes(tokens.to_bytes())
    assert list(again.starts) == list(tokens.starts) and list(again.ends) == list(tokens.ends)


def test_move_edge_by_tokens(blank_nlp):
    text = "the spokesman  Dmitry Peskov said"
    tokens = Tokens.from_doc(blank_nlp(text))
    d = text.index("Dmitry")
    p_end = text.index("Peskov") + len("Peskov")
    assert tokens.move_edge(d, p_end, "start", -1, text) == (text.index("spokesman"), p_end)  # skips the double space
    assert tokens.move_edge(d, p_end, "end", 1, text) == (d, len(text))
    assert tokens.move_edge(d, p_end, "start", 1, text) == (text.index("Peskov"), p_end)
    assert tokens.move_edge(d, d + 6, "end", -1, text) is None  # would be empty
    assert tokens.move_edge(0, 3, "start", -1, text) is None  # already at the start
    assert tokens.move_edge(1, 3, "start", 1, text) is None  # not on a boundary
