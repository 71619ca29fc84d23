"""JPEG-2000 tile decoding at a reduced resolution, for OMERO pyramids (reference §6.4).

Full resolution is decoded by imagecodecs (OpenJPEG). Lower resolutions live inside the same
codestream: imagecodecs cannot stop early, Pillow's OpenJPEG plug-in can (``Image.reduce``),
so reduced tiles go through Pillow. Pillow widens samples to its 8/16-bit modes (adds
``2**(prec-1)`` to signed samples and shifts ``prec`` up to the container); that is undone
here from the codestream's own SIZ marker, so the result is the stored sample values.

Full-resolution tiles are the expensive ones (about 30 ms for a 512² 16-bit tile); OpenJPEG
decodes their code-blocks on :data:`DECODE_THREADS` threads (the ``decode_threads`` setting),
which roughly halves a cold tile's wait on two cores for about 20% more CPU, paid once per tile
thanks to the decoded cache.
"""

from __future__ import annotations

import io
import os
import struct
from dataclasses import dataclass

import imagecodecs
import numpy as np
from PIL import Image

from ..errors import Unsupported

_SOC_SIZ = b"\xff\x4f\xff\x51"

#: most threads :func:`decode_tile` gives OpenJPEG by default
MAX_AUTO_THREADS = 4


def auto_decode_threads() -> int:
    """One thread per CPU this process may run on, at most :data:`MAX_AUTO_THREADS`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(MAX_AUTO_THREADS, cores))


#: threads OpenJPEG uses for one full-resolution tile (set from the ``decode_threads`` setting)
DECODE_THREADS = auto_decode_threads()


def set_decode_threads(threads: int) -> None:
    """``threads`` per decode; 0 means :func:`auto_decode_threads`."""
    global DECODE_THREADS
    DECODE_THREADS = threads if threads > 0 else auto_decode_threads()


@dataclass(frozen=True)
class CodestreamInfo:
    """What the main header says: component precision, signedness and decomposition levels."""

    precision: int
    signed: bool
    decompositions: int


def codestream_info(data: bytes) -> CodestreamInfo:
    """Parse SIZ and COD of a J2K codestream (or the codestream inside a JP2 file)."""
    start = data.find(_SOC_SIZ)
    if start < 0:
        raise Unsupported("not a JPEG-2000 codestream")
    pos = start + 2
    precision = signed = decompositions = None
    while pos + 4 <= len(data):
        marker, length = struct.unpack_from(">HH", data, pos)
        if marker == 0xFF51:  # SIZ: Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz Csiz, then Ssiz
            ssiz = data[pos + 4 + 2 + 32 + 2]
            precision, signed = (ssiz & 0x7F) + 1, bool(ssiz & 0x80)
        elif marker == 0xFF52:  # COD: Scod, SGcod (order, layers x2, MCT), SPcod starts with levels
            decompositions = data[pos + 4 + 1 + 4]
        elif marker == 0xFF90:  # SOT: main header ends
            break
        pos += 2 + length
    if precision is None or decompositions is None:
        raise Unsupported("JPEG-2000 codestream without SIZ/COD")
    return CodestreamInfo(precision, signed, decompositions)


def decode_tile(data: bytes, reduce: int, dtype: np.dtype) -> np.ndarray:
    """The tile at resolution ``1/2**reduce`` as ``dtype`` (native order)."""
    dtype = np.dtype(dtype).newbyteorder("=")
    if reduce == 0:
        return np.asarray(imagecodecs.jpeg2k_decode(data, numthreads=DECODE_THREADS)).astype(dtype, copy=False)
    if dtype.itemsize > 2 or dtype.kind == "f":
        raise Unsupported(f"reduced JPEG-2000 decoding of {dtype} tiles")
    info = codestream_info(data)
    with Image.open(io.BytesIO(data)) as image:
        image.reduce = reduce  # Pillow's OpenJPEG plug-in: decode only the lower resolutions
        image.load()
        raw = np.asarray(image)
    container = 8 if raw.dtype.itemsize == 1 else 16
    values = raw.astype(np.int32) >> (container - info.precision)
    if info.signed:
        values -= 1 << (info.precision - 1)
    return values.astype(dtype)
