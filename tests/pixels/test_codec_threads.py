"""Worker processes decode Blosc chunks in the request's thread (pixels/codec_threads.py)."""

from __future__ import annotations

import subprocess
import sys

import numcodecs
import numpy as np
from numcodecs import blosc

from omero_fast_region.pixels.codec_threads import decode_chunks_in_caller


def test_blosc_decodes_in_the_calling_thread_after_pinning(monkeypatch):
    monkeypatch.setattr(blosc, "use_threads", None)
    decode_chunks_in_caller()
    assert blosc.use_threads is False
    data = np.arange(512 * 512, dtype=np.uint16)
    codec = numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)
    assert np.array_equal(np.frombuffer(codec.decode(codec.encode(data)), np.uint16), data)


def test_django_workers_pin_blosc_when_the_app_loads():
    probe = ("import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'omero_fast_region.standalone_settings'; "
             "django.setup(); from numcodecs import blosc; print(blosc.use_threads)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
