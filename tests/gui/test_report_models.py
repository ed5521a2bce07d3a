"""Report tables sort and filter their records in Python, keeping the selection on the same record."""

from PySide6.QtCore import QPersistentModelIndex, Qt

from annotator.gui.report_models import Column, RecordModel, pct

ROWS = [("b", 0.5), ("a", None), ("C", 0.25), ("d", 1.0)]


def model_of(rows=ROWS) -> RecordModel:  # noqa: ANN001
    model = RecordModel((Column("Name", lambda r: r[0]), Column("Score", lambda r: r[1], pct, True)))
    model.set_rows(rows)
    return model


def shown(model: RecordModel) -> list[str]:
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_sort_by_raw_values_keeps_persistent_indexes(qtmodeltester):
    model = model_of()
    qtmodeltester.check(model)
    held = QPersistentModelIndex(model.index(2, 1))  # "C", 25.0
    model.sort(1, Qt.SortOrder.DescendingOrder)
    assert shown(model) == ["d", "b", "C", "a"], "numbers as numbers, an undefined score last"
    assert [model.index(r, 1).data() for r in range(4)] == ["100.0", "50.0", "25.0", "—"]
    assert held.row() == 2 and held.data() == "25.0"
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert shown(model) == ["a", "b", "C", "d"], "text without regard to case"
    assert held.row() == 2 and model.row_at(held.row()) == ("C", 0.25)
    qtmodeltester.check(model)


def test_filter_and_total(qtmodeltester):
    model = model_of()
    model.sort(0, Qt.SortOrder.DescendingOrder)
    model.set_filter(lambda r: r[1] is not None and r[1] >= 0.5)
    qtmodeltester.check(model)
    assert shown(model) == ["d", "b"] and model.total() == 4, "the filter keeps the order"
    model.set_filter(None)
    assert shown(model) == ["d", "C", "b", "a"]
    model.set_rows([])
    qtmodeltester.check(model)
    assert model.rowCount() == 0 and model.total() == 0
