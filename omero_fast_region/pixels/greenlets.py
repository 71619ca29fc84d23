"""``run_blocking``: zarr 3 calls that work under gunicorn's gevent worker (monkey-patched threading).

zarr 3 runs every read on an asyncio loop in its own IO thread and waits for it with
``concurrent.futures.wait``. Under ``gevent.monkey.patch_all`` that "thread" is a greenlet in the
caller's OS thread, so ``sync()`` finds the loop running and raises ``SyncError``. Moving only the
loop to a native thread is not enough: the greenlet waiting in ``concurrent.futures.wait`` (a gevent
``Event``) is never woken from another OS thread. So, when ``threading`` is patched:

* zarr's IO loop runs in a native thread (the original ``start_new_thread``, a native selector);
* zarr waits for it with a native lock (``zarr.core.sync.wait`` replaced), which blocks an OS thread;
* every zarr call (open and read) therefore runs in gevent's native threadpool
  (``get_hub().threadpool.apply``): the worker's greenlets keep running while it waits.

Without gevent (or unpatched), :func:`run_blocking` is a plain call; nothing else knows about gevent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

_prepared = False


def gevent_patched() -> bool:
    """True when gevent has monkey-patched ``threading`` in this process."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def run_blocking(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``; under gevent in a native threadpool thread, with zarr's IO loop made native."""
    if not gevent_patched() or _in_native_worker():
        return fn(*args)
    import gevent

    _prepare_zarr()
    return gevent.get_hub().threadpool.apply(_as_native_worker, (fn, args))


def _original(module: str, name: str) -> Any:
    from gevent import monkey

    return monkey.get_original(module, name)


_native_local: Any = None


def _local() -> Any:
    global _native_local
    if _native_local is None:
        _native_local = _original("_thread", "_local")()
    return _native_local


def _in_native_worker() -> bool:
    return bool(getattr(_local(), "inside", False))


def _as_native_worker(fn: Callable[..., T], args: tuple) -> T:
    state = _local()
    state.inside = True
    try:
        return fn(*args)
    finally:
        state.inside = False


def _native_wait(fs: Any, timeout: float | None = None, return_when: Any = None) -> tuple[set, set]:
    """``concurrent.futures.wait`` for zarr's one future, blocking this OS thread on a native lock."""
    lock = _original("_thread", "allocate_lock")()
    lock.acquire()
    pending = list(fs)
    remaining = [len(pending)]
    guard = _original("_thread", "allocate_lock")()

    def done(_future: Any) -> None:
        with guard:
            remaining[0] -= 1
            if remaining[0] == 0:
                lock.release()

    for future in pending:
        future.add_done_callback(done)
    lock.acquire(True, -1 if timeout is None else timeout)
    finished = {f for f in pending if f.done()}
    return finished, set(pending) - finished


class _InlineExecutor(ThreadPoolExecutor):
    """Runs ``asyncio.to_thread`` work (zarr's file reads and decoding) in the loop's own native thread:
    the standard pool's threads would be greenlets of a hub that never runs in that thread."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def _prepare_zarr() -> None:
    """Start zarr's IO loop in a native thread and make zarr wait for it natively (once)."""
    global _prepared
    if _prepared:
        return
    import asyncio
    import selectors

    import zarr.core.sync as zsync

    with zsync._get_lock():
        if _prepared:
            return
        if zsync.loop[0] is None:
            selector_class = getattr(selectors, "EpollSelector", None) or _original("selectors", "DefaultSelector")
            loop = asyncio.SelectorEventLoop(selector_class())
            loop.set_default_executor(_InlineExecutor())  # patched pool threads would never run here
            _original("_thread", "start_new_thread")(loop.run_forever, ())
            zsync.loop[0] = loop
        zsync.wait = _native_wait  # type: ignore[assignment]
        _prepared = True
