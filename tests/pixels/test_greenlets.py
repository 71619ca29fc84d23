"""run_blocking is a plain call without gevent (gevent itself: tests/hardening/test_servers.py)."""

import threading

from omero_fast_region.pixels.greenlets import gevent_patched, run_blocking


def test_without_gevent_run_blocking_is_a_plain_call_in_this_thread():
    assert not gevent_patched()
    assert run_blocking(lambda a, b: (a + b, threading.get_ident()), 1, 2) == (3, threading.get_ident())
