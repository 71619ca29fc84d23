"""Root URLconf of standalone mode: the render URLs at their stock paths, ``metrics/``, and the
demo viewer at ``/``."""

from django.urls import include, path

urlpatterns = [
    path("", include("omero_fast_region.urls_ops")),
    path("", include("omero_fast_region.urls")),
]
