"""Results of pure functions of immutable objects the hot path hands over as the same instances.

A viewer sends the same render keys with every tile: their parse is one :class:`~..query.RenderQuery`
instance per combination (``query.parse_render_query``), and an image's saved rendering settings
are one instance while its descriptor is cached. What is derived from the pair (the settings with
the request's changes applied, their text in the ETag) is then the same for every tile, but
cannot be looked up by value: ``maps`` holds JSON dicts, and hashing the nested settings would
cost about what deriving them does. :class:`IdentityMemo` looks them up by the arguments'
identity instead.
"""

from __future__ import annotations

from typing import Any, Callable, Generic, TypeVar

R = TypeVar("R")

#: entries an :class:`IdentityMemo` keeps by default (a worker sees a few images × a few settings)
DEFAULT_ENTRIES = 256


class IdentityMemo(Generic[R]):
    """``fn(*args)`` remembered per identity of ``args`` (at most ``maxsize`` entries, oldest out first).

    Only for a pure ``fn`` of immutable arguments. Each entry holds its arguments, so no id in a
    key can be reused by another object while the entry exists; the lookup still checks that the
    arguments are the very objects remembered. Equal but distinct arguments compute afresh.
    Safe under threads: the worst a race does is compute an entry twice.
    """

    def __init__(self, fn: Callable[..., R], maxsize: int = DEFAULT_ENTRIES) -> None:
        self.fn = fn
        self.maxsize = maxsize
        self._entries: dict[tuple[int, ...], tuple[tuple[Any, ...], R]] = {}

    def __call__(self, *args: Any) -> R:
        key = tuple(map(id, args))
        entry = self._entries.get(key)
        if entry is not None and all(held is given for held, given in zip(entry[0], args)):
            return entry[1]
        result = self.fn(*args)
        entries = self._entries
        while len(entries) >= self.maxsize:
            try:
                del entries[next(iter(entries))]
            except (KeyError, RuntimeError, StopIteration):  # another thread changed it meanwhile
                break
        entries[key] = (args, result)
        return result

    def __len__(self) -> int:
        return len(self._entries)
