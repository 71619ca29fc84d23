"""WSGI entry point of standalone mode (``omero-fast-region serve`` runs it under gunicorn).

Django's application, with the app's endpoints dispatched directly (:mod:`.direct_dispatch`)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omero_fast_region.standalone_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

from omero_fast_region.direct_dispatch import DirectDispatch  # noqa: E402

application = DirectDispatch(get_wsgi_application())  # apps.ready() tunes the allocator
