"""Every keyboard shortcut of the window, in one table (the Help sheet is made from it)."""

from __future__ import annotations

SHORTCUTS: list[tuple[str, str, str]] = [
    # (action name, key sequence, what it does)
    ("relabel_all", "Ctrl+R", "Relabel every occurrence of the current span's text (document or corpus)"),
    ("delete_span", "Del", "Delete the span at the cursor (or every span in the selection)"),
    ("next_span", "Tab", "Select the next span"),
    ("prev_span", "Shift+Tab", "Select the previous span"),
    ("start_left", "Alt+Left", "Move the span's start one token left"),
    ("start_right", "Alt+Right", "Move the span's start one token right"),
    ("end_left", "Alt+Shift+Left", "Move the span's end one token left"),
    ("end_right", "Alt+Shift+Right", "Move the span's end one token right"),
    ("mark_boilerplate", "B", "Mark the selection (or the line at the cursor) as boilerplate"),
    ("unmark_boilerplate", "Shift+B", "Unmark the selection (or the boilerplate at the cursor)"),
    ("accept_suggestions", "Ctrl+B", "Accept the boilerplate suggestions for this document"),
    ("accept_suggestion", "Alt+B", "Accept the boilerplate suggestion at the cursor"),
    ("dismiss_suggestion", "Alt+Shift+B", "Dismiss the boilerplate suggestion at the cursor (not offered again)"),
    ("accept", "Ctrl+Return", "Accept the document and open the next one to review"),
    ("skip", "Ctrl+Shift+Return", "Skip the document and open the next one to review"),
    ("next_doc", "Ctrl+PgDown", "Next document in the list"),
    ("prev_doc", "Ctrl+PgUp", "Previous document in the list"),
    ("undo", "Ctrl+Z", "Undo"),
    ("redo", "Ctrl+Shift+Z", "Redo"),
    ("cycle_reference", "F7", "Cycle what the left pane shows: model, stored pipelines, other annotators, all"),
    ("gold_only", "F8", "Show the gold pane only (small screens)"),
    ("find", "Ctrl+F", "Search the corpus (full text); the hits are outlined in the open document"),
    ("find_next", "F3", "Next hit of the search (Enter in the search box too), on into the next document with hits"),
    ("find_prev", "Shift+F3", "Previous hit of the search, back into the previous document with hits"),
    ("find_clear", "Esc", "Clear the search and its outlines; back to the gold text"),
    ("label_hits", "Ctrl+Shift+L", "Label every hit of the search (a preview, then one undoable step; "
                                   "never inside boilerplate)"),
    ("flag", "Ctrl+U", "Flag the document as unsure with a note for the lead (again: edit the note or remove the flag)"),
    ("focus_list", "Ctrl+L", "Go to the document list"),
    ("focus_text", "Ctrl+E", "Go to the gold text"),
    ("shortcuts", "F1", "This sheet"),
    ("evaluation", "Ctrl+Shift+E", "Evaluation: the model's scores against the accepted gold"),
]
# Review → Adjudicate (annotator.gui.adjudication_mode); listed on the Help sheet as they are
ADJUDICATION_SHORTCUTS: list[tuple[str, str]] = [
    ("F9", "Review → Adjudicate: the adjudication queue and the final gold (F9 again leaves)"),
    ("Alt+1…9", "Adjudicating: take the span at the cursor from annotator 1…9"),
    ("Alt+Shift+1…9", "Adjudicating: take all of annotator 1…9's spans"),
    ("Alt+A", "Adjudicating: take every span all annotators agree on"),
]
LABEL_HELP = "Select text (mouse, or Shift+arrows) and press a label's key: the span snaps to whole tokens. " \
             "With the cursor on a span, a label key relabels it."
