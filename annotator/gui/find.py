"""Find in text: the corpus search box also outlines its hits in the open document.

A mixin of MainWindow. Ctrl+F goes to the search box (with the gold pane's selection in it
when that is a short phrase); the document list shows the documents the full-text index
finds, and the open document's hits are outlined in both panes. F3 and Shift+F3 (or Enter in
the box) select the next / previous hit in the gold pane, crossing to the next / previous
document of the list when the open one has no more: the list's query (FTS, one id by key)
says which, never a scan of the corpus. Esc clears the search and the outlines and gives the
keys back to the gold pane. Ctrl+Shift+L labels every hit (:meth:`EditingMixin.label_all_hits`:
a preview, then one undoable step; never inside boilerplate).

Finding in the open document is a case-insensitive substring search of its text, as a
browser's find bar does: ~20 ms on a 1 MB document (/tmp/find_bench.py in the report).
"""

from __future__ import annotations

import re
from bisect import bisect_left

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from annotator.gui.text_view import HIT_COLOR

STATUS_STYLE = "QLabel { border-left: 1px solid palette(mid); padding: 0 8px; }"  # apart from its neighbours
PREFILL_MAX = 80  # characters of a selection Ctrl+F puts in the search box
MAX_HOPS = 50  # documents the index holds but where the phrase is not a substring (rare): skipped at most


def find_hits(text: str, needle: str) -> list[tuple[int, int]]:
    """[start, end) of every case-insensitive, non-overlapping occurrence of ``needle`` in ``text``
    as whole words: what the full-text index finds for the list and what Ctrl+Shift+L labels
    ("Russia" is not outlined inside "Russian", which the list does not count either)."""
    if not needle:
        return []
    hits = []
    for m in re.finditer(re.escape(needle), text, re.IGNORECASE):
        start, end = m.span()
        if (start == 0 or not text[start - 1].isalnum()) and (end == len(text) or not text[end].isalnum()):
            hits.append((start, end))
    return hits


def _label_hits_icon() -> QIcon:
    """A hit's outline around a label swatch: 'label the hits'."""
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.fillRect(QRectF(3.5, 5, 9, 6), QColor("#44BB99"))
    painter.setPen(QPen(HIT_COLOR, 1.6))
    painter.drawRoundedRect(QRectF(1.5, 3, 13, 10), 2.5, 2.5)
    painter.end()
    return QIcon(pixmap)


class FindMixin:
    """Hits of the search in the open document: outlined, stepped through, counted."""

    def _init_find(self) -> None:
        self.find_needle = ""
        self.find_hits_here: list[tuple[int, int]] = []
        self.find_current = -1
        self.find_status = QLabel()
        self.find_status.setObjectName("findStatus")
        self.find_status.setStyleSheet(STATUS_STYLE)
        self.find_status.hide()
        self.statusBar().addPermanentWidget(self.find_status)
        self._search_timer.timeout.connect(self.update_find)  # after the list's filter (connected first)
        self.search.returnPressed.connect(self.find_next)
        clear = self.actions_by_name["find_clear"]
        clear.setEnabled(False)  # only while there is something to clear: Esc stays free otherwise
        label_hits = QAction("Label every hit…", self)  # a button in the find box; its icon when first shown
        label_hits.setObjectName("label_hits_button")
        label_hits.setToolTip("Label every hit of the search… (Ctrl+Shift+L)")
        label_hits.triggered.connect(self.label_all_hits)
        self.search.addAction(label_hits, QLineEdit.ActionPosition.TrailingPosition)
        label_hits.setVisible(False)  # hidden after adding: hidden before, Qt lays it over the clear button

        def typed(text: str) -> None:
            clear.setEnabled(bool(text.strip()))
            if text.strip() and label_hits.icon().isNull():  # painted once, not on the way to the first document
                label_hits.setIcon(_label_hits_icon())
            label_hits.setVisible(bool(text.strip()))

        self.search.textChanged.connect(typed)

    def find_handlers(self) -> dict:
        """Handlers of the find keys in the shortcut table."""
        return {"find": self.find_in_text, "find_next": self.find_next, "find_prev": self.find_prev,
                "label_hits": self.label_all_hits, "find_clear": self.clear_find}

    def find_in_text(self) -> None:
        """Ctrl+F: to the search box, which takes the gold pane's selection when it is a short phrase."""
        if self.view is not None and QApplication.focusWidget() is self.gold_view:
            start, end = self.gold_view.selection()
            phrase = self.view.document.text[start:end].strip()
            if 0 < len(phrase) <= PREFILL_MAX and "\n" not in phrase:
                self.search.setText(phrase)
        self.focus_search()

    # -- state ------------------------------------------------------------------------
    def update_find(self) -> None:
        """The search text changed (or a document opened): find its hits in the open document."""
        needle = self.search.text().strip()
        self.find_needle = needle
        text = self.view.document.text if self.view is not None else ""
        self.find_hits_here = find_hits(text, needle)
        self.find_current = -1
        self._show_hits()

    def _show_hits(self) -> None:
        for view in (self.model_view, self.gold_view):
            view.set_find_hits(self.find_hits_here, self.find_current)
        self.show_find_status()

    def show_find_status(self) -> None:
        """'hit 3 of 12 in this document · 40 documents' while a search is on."""
        if getattr(self, "find_status", None) is None:
            return
        self.find_status.setVisible(bool(self.find_needle))
        if not self.find_needle:
            self.find_status.setText("")
            return
        n = len(self.find_hits_here)
        here = (f"hit {self.find_current + 1} of {n} in this document" if self.find_current >= 0
                else f"{n} hit{'s' if n != 1 else ''} in this document")
        self.find_status.setText(f"{here} · {self.list_count.text()}")

    def clear_find(self) -> None:
        """Esc: no search, no outlines; the keys back to the gold text."""
        self.search.clear()
        self._search_timer.stop()
        self.apply_filter()
        self.update_find()
        self.gold_view.setFocus()

    # -- stepping ---------------------------------------------------------------------
    def find_next(self) -> None:
        self._step_hit(forward=True)

    def find_prev(self) -> None:
        self._step_hit(forward=False)

    def _step_hit(self, forward: bool) -> None:
        if self._search_timer.isActive():  # typed just now: filter and find first
            self._search_timer.stop()
            self.apply_filter()
            self.update_find()
        if not self.find_needle:
            self.statusBar().showMessage("Type what to find first (Ctrl+F).", 5000)
            self.focus_search()
            return
        if self.view is None:
            return
        k = self._neighbour_hit(forward)
        if k is None:
            self._hop_document(forward)
            return
        self._select_hit(k)

    def _neighbour_hit(self, forward: bool) -> int | None:
        """The index of the next (previous) hit after (before) the current one or the cursor."""
        hits = self.find_hits_here
        if not hits:
            return None
        if self.find_current >= 0 and self.gold_view.selection() == hits[self.find_current]:
            k = self.find_current + (1 if forward else -1)
        else:
            start, end = self.gold_view.selection()
            k = bisect_left(hits, (end if forward else start, -1))
            if not forward:
                k -= 1
        return k if 0 <= k < len(hits) else None

    def _hop_document(self, forward: bool) -> None:
        """Open the next (previous) document of the list that has a hit; wrap around the list."""
        listing, query = self.doc_model.listing, self.doc_model.query
        here = self.view.document.id
        current = here
        for _ in range(MAX_HOPS):
            nxt = listing.next_id(query, current) if forward else listing.prev_id(query, current)
            if nxt is None:
                break
            if nxt == here:  # around the list and back: the open document's first (last) hit again
                if self.find_hits_here:
                    self._select_hit(0 if forward else len(self.find_hits_here) - 1)
                    self.statusBar().showMessage("Search wrapped around the list.", 4000)
                else:
                    self.statusBar().showMessage(f"No other document holds “{self.find_needle}”.", 5000)
                return
            text = self.store.document(nxt).text
            if find_hits(text, self.find_needle):
                self.show_document(nxt)  # finds its hits (update_find)
                self._select_hit(0 if forward else len(self.find_hits_here) - 1)
                return
            current = nxt
        self.statusBar().showMessage(f"No further hit of “{self.find_needle}”.", 5000)

    def _select_hit(self, k: int) -> None:
        self.find_current = k
        start, end = self.find_hits_here[k]
        view = self.gold_view
        view.select_range(start, end)
        height = view.viewport().height()
        if not height // 6 <= view.offset_top(start) <= height * 2 // 3:  # not at an edge: a third down
            view.scroll_to_offset_at(start, height // 3)
        view.setFocus()
        self._show_hits()
