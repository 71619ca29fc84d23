"""Root URLconf of standalone mode: the render URLs at their stock paths, ``metrics/``, and the
demo viewer at ``/`` (with its static files, served here because standalone mode has no web
server in front)."""

from django.http import Http404
from django.urls import include, path, re_path
from django.views.static import serve

from . import views_demo


def serve_static(request, path, document_root=None):
    """``django.views.static.serve``, with a name the file system refuses (``ENAMETOOLONG``,
    ``EINVAL``, …) a 404 rather than a 500."""
    try:
        return serve(request, path, document_root=document_root)
    except OSError:
        raise Http404("no such static file") from None


urlpatterns = [
    path("", views_demo.viewer, name="fast_region_viewer"),
    path("viewer/images.json", views_demo.images_json, name="fast_region_viewer_images"),
    re_path(r"^static/(?P<path>omero_fast_region/.+)$", serve_static, {"document_root": views_demo.STATIC_DIR}),
    path("", include("omero_fast_region.urls")),
]
