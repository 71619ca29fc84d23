"""Codec threading inside a worker process.

A gunicorn deployment already runs about one worker per core, so Blosc's own thread pool only
adds hand-over cost: a 512² NGFF chunk decodes in about 0.2 ms, and waking Blosc's threads for
it costs more CPU than it saves (``python -m benchmarks.experiments blosc``: on an idle machine
the median moves by a few percent, but with the other core busy single runs with the pool cost
up to 1 ms more per 3-channel tile). numcodecs' default uses the pool whenever it is called
from the main thread, which is exactly where a sync worker answers requests.
Long decodes (JPEG-2000 tiles, ``jpeg2k.DECODE_THREADS``) are the opposite case and keep theirs.
"""

from __future__ import annotations


def decode_chunks_in_caller() -> None:
    """Make numcodecs' Blosc decode in the calling thread, for this whole process."""
    try:
        from numcodecs import blosc
    except ImportError:  # numcodecs comes with zarr; without it there is nothing to pin
        return
    blosc.use_threads = False
