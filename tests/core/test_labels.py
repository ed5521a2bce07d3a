import pytest

from annotator.core.errors import InputError
from annotator.core.labels import load_label_set
from annotator.ops.labels import default_label_set


def test_default_label_set_matches_the_default_pipeline():
    names = set(default_label_set().names)
    assert names == {
        "CARDINAL", "DATE", "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "MONEY", "NORP",
        "ORDINAL", "ORG", "PERCENT", "PERSON", "PRODUCT", "QUANTITY", "TIME", "WORK_OF_ART",
    }
    keys = [label.key for label in default_label_set().labels]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize(
    "text, message",
    [
        ("{", "not valid JSON"),
        ('{"labels": []}', "expected"),
        ('{"labels": [{"name": "A", "color": "red"}]}', "not #RRGGBB"),
        ('{"labels": [{"name": "A", "key": "x"}, {"name": "B", "key": "X"}]}', "used twice"),
    ],
)
def test_bad_label_files_are_explained(text, message):
    with pytest.raises(InputError, match=message):
        load_label_set(text, "labels.json")
