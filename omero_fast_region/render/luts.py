"""``LutLibrary``: the ``.lut`` files under configured folders, found by basename (reference §2.5)."""

from __future__ import annotations

import os
import threading
from typing import Sequence

import numpy as np

from .lutfiles import read_lut


class LutLibrary:
    """Lookup tables under ``dirs`` (searched recursively), keyed by lower-cased basename.

    Like OMERO's ``LutProviderImpl`` the folders are scanned once (lazily, on first use); a later
    file with the same basename replaces an earlier one. Names are matched case-insensitively.
    Files that cannot be read as a LUT are skipped, so their name falls back to the colour.
    """

    def __init__(self, dirs: Sequence[str]) -> None:
        self.dirs = [os.fspath(d) for d in dirs]
        self._paths: dict[str, str] | None = None
        self._tables: dict[str, np.ndarray | None] = {}
        self._lock = threading.Lock()

    def _scan(self) -> dict[str, str]:
        paths: dict[str, str] = {}
        for root in self.dirs:
            for folder, subdirs, files in os.walk(root):
                subdirs.sort()
                for name in sorted(files):
                    if name.lower().endswith(".lut"):
                        paths[name.lower()] = os.path.join(folder, name)
        return paths

    def _index(self) -> dict[str, str]:
        with self._lock:
            if self._paths is None:
                self._paths = self._scan()
            return self._paths

    def names(self) -> list[str]:
        """Every LUT basename found (lower case), sorted."""
        return sorted(self._index())

    def get(self, name: str | None) -> np.ndarray | None:
        """The (256, 3) uint8 table for ``name`` (e.g. ``"fire.lut"``), or None when unknown."""
        if not name:
            return None
        key = name.lower()
        path = self._index().get(key)
        if path is None:
            return None
        with self._lock:
            if key not in self._tables:
                try:
                    with open(path, "rb") as handle:
                        table = read_lut(handle.read())
                except OSError:
                    table = None
                if table is not None:
                    table.setflags(write=False)
                self._tables[key] = table
            return self._tables[key]
