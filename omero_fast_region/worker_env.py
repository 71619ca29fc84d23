"""The environment ``serve`` starts gunicorn with: numeric libraries' own thread pools at one thread.

A worker renders one request at a time on its one thread (``keepalive``, ``sync``), and the
render path calls no BLAS or OpenMP routine, so those pools would only hold idle threads (numpy's
OpenBLAS starts one per extra core at import). The decoders it does call are kept in the caller
by ``pixels.codec_threads`` (Blosc) and the ``decode_threads`` setting (OpenJPEG). The variables
are read when each library loads, so they must be in the environment before the worker imports
numpy: ``serve`` sets them for gunicorn; inside OMERO.web, docs/install.md sets them for
``omero web start``. A value the sysadmin has set is kept.
"""

from __future__ import annotations

from typing import MutableMapping

#: the thread-pool size variables of OpenBLAS (numpy's wheels), OpenMP and MKL (conda's numpy)
LIBRARY_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def pin_library_threads(environ: MutableMapping[str, str]) -> list[str]:
    """Set each of :data:`LIBRARY_THREAD_VARIABLES` that ``environ`` lacks to ``1``; returns those set."""
    missing = [name for name in LIBRARY_THREAD_VARIABLES if not environ.get(name)]
    for name in missing:
        environ[name] = "1"
    return missing
