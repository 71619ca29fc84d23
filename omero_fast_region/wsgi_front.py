"""OMERO.web's WSGI application made with the hosted front, whichever server loads it.

OMERO.web's ``omeroweb/wsgi.py`` (what ``omero web start`` hands to gunicorn, and what uWSGI,
mod_wsgi or ``runserver`` load) is ``application = get_wsgi_application()``. Django's function sets
Django up first, which runs this app's ``ready()``, and only then makes its handler from the name
``WSGIHandler`` in ``django.core.wsgi``. ``ready()`` points that one name at :func:`fronted_handler`
(:func:`install`), so the application any server loads is Django's handler wrapped by
:func:`.hosted_front.front_for`: the render URLs through the hosted front and the tile lane, under
gunicorn's stock ``sync`` and ``gthread`` workers as under the app's keep-alive worker, with no
``omero.web.wsgi_args`` needed (docs/benchmarks.md, finding 36).

Nothing else changes: ``django.core.handlers.wsgi.WSGIHandler`` (the class) is untouched,
``front_for`` returns the handler itself whenever the front does not apply (the ``hosted_front``
setting off, request methods that are not Django's own, middleware it cannot replay, the app's
views not mounted), and standalone mode keeps its own wrapper
(:class:`.direct_dispatch.DirectDispatch`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

import django.core.wsgi
from django.core.handlers.wsgi import WSGIHandler


def fronted_handler() -> Callable[..., Iterable[bytes]]:
    """What ``get_wsgi_application()`` returns once :func:`install` ran: Django's handler, inside
    OMERO.web wrapped in the hosted front when it applies."""
    from .config import get_config

    handler = WSGIHandler()
    if get_config().standalone:
        return handler
    from .hosted_front import front_for  # imports the middleware and views: not before Django is set up

    return front_for(handler)


def install() -> None:
    """Make ``get_wsgi_application()`` build :func:`fronted_handler` (once; idempotent)."""
    module: Any = django.core.wsgi
    if module.WSGIHandler is WSGIHandler:
        module.WSGIHandler = fronted_handler


def installed() -> bool:
    """Whether ``get_wsgi_application()`` builds :func:`fronted_handler`."""
    return django.core.wsgi.WSGIHandler is fronted_handler  # type: ignore[comparison-overlap]
