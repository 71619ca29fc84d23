"""WSGI entry point of standalone mode (``omero-fast-region serve`` runs it under gunicorn)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "omero_fast_region.standalone_settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402

application = get_wsgi_application()  # apps.ready() tunes the allocator
