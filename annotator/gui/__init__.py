"""The reviewer's window (PySide6). Widgets call annotator.ops; no SQL, no annotation logic here."""
