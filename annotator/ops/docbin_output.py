"""Where ``export --format spacy`` writes: one DocBin file when small, a folder of shards when large.

A DocBin is built in memory and serialised whole, so one file for a large corpus would need
memory in proportion to the corpus. The export therefore holds at most ``SHARD_TOKENS``
tokens in a DocBin: an export that stays within that is one ``.spacy`` file, as always; a
larger one becomes a folder (named as given, e.g. ``gold.spacy/``) of numbered shards
``000000.spacy``, ``000001.spacy``, ... of at most that many tokens each. spaCy's corpus reader
(``[corpora.train] path = "gold.spacy"``, ``spacy train --paths.train gold.spacy``) reads a
folder as one corpus, in file-name order, so the documents keep their order.

Both are written atomically: a temporary file or folder beside the target, moved into
place only when complete (a folder replaces an earlier export of the same name, file or
folder); a killed export leaves a temporary that the next export to that name removes.

The training corpora (:mod:`annotator.ops.training_data`) are written the same way.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotator.core.errors import OutputError
from annotator.tempfiles import is_stream, remove_stale_temps, stale_temps, temp_path

SHARD_TOKENS = 500_000  # about 700 news articles of 4 KB; a DocBin this size takes ~80 MB to build and write
# What the exported Docs carry (words and spaces are always stored): the entities and missing annotation.
# spaCy's default list adds tags, heads, lemmas, ..., all empty here, at 8 bytes per token each.
ATTRS = ["ENT_IOB", "ENT_TYPE", "ENT_KB_ID", "ENT_ID"]
SHARD_SUFFIX = ".spacy"
FOLDER_TEMP = ".dir.part"


def _fsync_folder(folder: Path) -> None:
    if os.name == "posix":
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class DocBinOutput:
    """Collect spaCy Docs and write them as one DocBin file or a folder of shards (see module)."""

    def __init__(self, path: Path, shard_tokens: int | None = None):
        from spacy.tokens import DocBin

        self._new = lambda: DocBin(attrs=ATTRS, store_user_data=False)
        self.path = Path(path)
        self.shard_tokens = SHARD_TOKENS if shard_tokens is None else shard_tokens
        self.shards = 0  # shards written (0 while it is still one file)
        self.documents = 0
        self._docbin = self._new()
        self._tokens = 0
        self._folder: Path | None = None
        folder = self.path.parent if str(self.path.parent) else Path(".")
        if not folder.is_dir():
            raise OutputError(f"folder {folder} does not exist", path=self.path)
        if self.path.is_dir() and not is_shard_folder(self.path):
            raise OutputError("is a folder; give a file name to write", path=self.path)
        for stale in stale_temps(self.path, FOLDER_TEMP):
            shutil.rmtree(stale, ignore_errors=True)
        remove_stale_temps(self.path, ".part")

    @property
    def sharded(self) -> bool:
        return self._folder is not None

    def add(self, doc: Any) -> None:
        if self._tokens and self._tokens + len(doc) > self.shard_tokens:
            self._write_shard()
        self._docbin.add(doc)
        self._tokens += len(doc)
        self.documents += 1

    def _write_shard(self) -> None:
        if self._folder is None:
            if is_stream(self.path):
                raise OutputError("is a device or a pipe, and a spaCy export this large is a folder of DocBin "
                                  "shards: give a file name (it becomes the folder)", path=self.path)
            self._folder = temp_path(self.path, FOLDER_TEMP)
            try:
                self._folder.mkdir()
            except OSError as exc:
                raise OutputError(f"cannot write here: {exc.strerror}", path=self.path) from None
        shard = self._folder / f"{self.shards:06d}{SHARD_SUFFIX}"
        data = self._docbin.to_bytes()
        self._docbin, self._tokens = self._new(), 0
        try:
            with open(shard, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc} (nothing was written)", path=self.path) from None
        self.shards += 1

    def finish(self) -> None:
        """Write what is left and move the result into place."""
        from annotator.ops.exporting import atomic_output

        if self._folder is None:
            earlier = None
            if self.path.is_dir():  # an earlier, sharded export of the same name
                earlier = temp_path(self.path, FOLDER_TEMP)
                os.replace(self.path, earlier)
            try:
                with atomic_output(self.path, binary=True) as fh:
                    fh.write(self._docbin.to_bytes())
            except BaseException:
                if earlier is not None:
                    os.replace(earlier, self.path)
                raise
            if earlier is not None:
                shutil.rmtree(earlier, ignore_errors=True)
            return
        if len(self._docbin):
            self._write_shard()
        try:
            os.chmod(self._folder, 0o777 & ~_umask())
            _fsync_folder(self._folder)
            if self.path.is_dir() and not self.path.is_symlink():
                old = temp_path(self.path, FOLDER_TEMP)
                os.replace(self.path, old)  # the earlier export goes aside, then away
                os.replace(self._folder, self.path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                if self.path.exists() or self.path.is_symlink():
                    self.path.unlink()
                os.replace(self._folder, self.path)
            _fsync_folder(self.path.parent if str(self.path.parent) else Path("."))
        except OSError as exc:
            raise OutputError(f"cannot write: {exc.strerror or exc} (nothing was written)", path=self.path) from None
        self._folder = None

    def discard(self) -> None:
        """Remove a half-written folder (on any error)."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def __enter__(self) -> DocBinOutput:
        return self

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        """Finish when the block ended normally; otherwise keep nothing."""
        try:
            if exc_type is None:
                self.finish()
        finally:
            self.discard()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def is_shard_folder(path: Path) -> bool:
    """True for a folder this module wrote: nothing in it but numbered shards."""
    return all(re.fullmatch(r"\d{6}" + re.escape(SHARD_SUFFIX), p.name) and p.is_file() for p in Path(path).iterdir())


def docbin_paths(path: Path) -> list[Path]:
    """The DocBin files an export wrote at ``path``: the file itself, or the folder's shards in order."""
    path = Path(path)
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.name.endswith(SHARD_SUFFIX) and not p.name.startswith("."))
    return [path]


def read_docbins(path: Path, vocab: Any) -> Iterator[Any]:
    """Every Doc an export wrote at ``path`` (a file or a folder of shards), in order."""
    from spacy.tokens import DocBin

    for part in docbin_paths(path):
        yield from DocBin().from_disk(part).get_docs(vocab)
