"""``FastRenderMiddleware``: answer the stock render views wherever they are mounted (DESIGN.md §7, 2).

Django calls ``process_view`` after URL resolution. When the resolved view *is* one of the
stock webgateway functions listed in :data:`fallback.STOCK_NAMES` (by identity, so
``/webgateway/…``, ``/webclient/…``, ``/webclient/<share_id>/…`` and other apps reusing the
function, e.g. omero-figure's ``render_thumbnail``, are all caught), our view of the same
endpoint answers with the same arguments; the intercepted function is left on the request
(:data:`fallback.STOCK_ATTR`) so a hand-over calls exactly it. It must come after
``SessionMiddleware`` (index > 3 in ``omero.web.middleware``).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any, Callable

from .fallback import STOCK_ATTR, STOCK_NAMES

logger = logging.getLogger(__name__)


def stock_to_fast() -> dict[Callable, Callable]:
    """Each stock view function -> our view answering the same endpoint (only those both sides have)."""
    try:
        stock = importlib.import_module("omeroweb.webgateway.views")
    except ImportError:
        return {}
    from . import views

    table = {}
    for endpoint, stock_name in STOCK_NAMES.items():
        stock_fn = getattr(stock, stock_name, None)
        fast_fn = getattr(views, stock_name, None)  # ours carry the stock function's name
        if stock_fn is not None and getattr(fast_fn, "fast_region_endpoint", None) == endpoint:
            table[stock_fn] = fast_fn
    return table


class FastRenderMiddleware:
    """Replace the stock render view functions by this app's views; everything else passes through."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        self.table = stock_to_fast()
        logger.info("FastRenderMiddleware: %d stock views answered by omero_fast_region", len(self.table))

    def __call__(self, request: Any) -> Any:
        return self.get_response(request)

    def process_view(self, request: Any, view_func: Callable, view_args: tuple, view_kwargs: dict) -> Any:
        fast = self.table.get(view_func)
        if fast is None:
            return None
        setattr(request, STOCK_ATTR, view_func)
        return fast(request, *view_args, **view_kwargs)
