"""Root URLconf of standalone mode: the render URLs at their stock paths, plus the demo viewer."""

from django.urls import include, path

urlpatterns = [
    path("", include("omero_fast_region.urls")),
]
