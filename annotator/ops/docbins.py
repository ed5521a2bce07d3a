"""spaCy corpora written as they are made: one ``.spacy`` file while the documents fit in one
shard (:data:`SHARD_TOKENS`), else a folder of numbered shards (spaCy's ``Corpus`` reads every ``.spacy`` file in a
folder, in name order). Only one shard of Docs is ever held in memory.

The file or folder appears at its path only when complete (written beside it under a
temporary name first); whatever was there before is replaced then.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from annotator.core.errors import OutputError
from annotator.tempfiles import stale_temps, temp_path

SHARD_TOKENS = 100_000  # tokens per shard: a DocBin of all attributes holds ~50 bytes a token, and
# writing it takes a few copies of that (~30 MB for a shard), however large the corpus


class ShardedDocBin:
    """Add Docs one at a time; :meth:`close` moves the file or folder into place."""

    def __init__(self, path: Path, shard_tokens: int | None = None):
        from spacy.tokens import DocBin

        self._DocBin = DocBin
        self.path = Path(path)
        self.shard_tokens = shard_tokens or SHARD_TOKENS
        self.documents = 0
        self._tokens = 0  # in the shard being filled
        self.shards = 0
        self._folder: Path | None = None
        self._docbin = DocBin(store_user_data=False)
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(f"folder {folder} does not exist", path=self.path)
        for stale in stale_temps(self.path, ".part"):  # left by a killed run
            _remove(stale)

    def add(self, doc: Any) -> None:
        self._docbin.add(doc)
        self.documents += 1
        self._tokens += len(doc)
        if self._tokens >= self.shard_tokens:
            self._flush()

    def _flush(self) -> None:
        if self._folder is None:
            self._folder = temp_path(self.path, ".part")
            self._folder.mkdir()
        self._write(self._folder / f"{self.shards:06d}.spacy", self._docbin.to_bytes())
        self.shards += 1
        self._docbin = self._DocBin(store_user_data=False)
        self._tokens = 0

    def _write(self, path: Path, data: bytes) -> None:
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=self.path) from None

    def close(self) -> Path:
        """Write what is left and move the corpus into place (a file, or a folder of shards)."""
        if self._folder is None:
            temp = temp_path(self.path, ".part")
            self._write(temp, self._docbin.to_bytes())
        else:
            if len(self._docbin):
                self._flush()
            temp = self._folder
        try:
            _remove(self.path)
            os.replace(temp, self.path)
        except OSError as exc:
            _remove(temp)
            raise OutputError(f"cannot write: {exc.strerror or exc}", path=self.path) from None
        self._folder = None
        return self.path

    def discard(self) -> None:
        """Remove the shards written so far (the corpus is not wanted after all)."""
        if self._folder is not None:
            _remove(self._folder)
            self._folder = None

    def __enter__(self) -> "ShardedDocBin":
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.discard()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
