"""The stock render URLs, served by this app (DESIGN.md §7).

Included at the root when ``omero.web.root_application = omero_fast_region``, or under
``/omero_fast_region/`` (the app label) for the nginx override. Patterns repeat the stock
regexes (omero-web.md §2.2) for ``webgateway/`` and ``webclient/`` (with optional share id).
"""

from django.urls import re_path

from . import views

IID = r"(?P<iid>[0-9]+)"
ZT = r"(?P<z>[0-9]+)/(?P<t>[0-9]+)/"
OPT_ZT = r"(?:(?P<z>[0-9]+)/)?(?:(?P<t>[0-9]+)/)?"
SHARE = r"(?:(?P<share_id>[0-9]+)/)?"

urlpatterns = [
    re_path(rf"^webgateway/render_image_region/{IID}/{ZT}$", views.render_image_region, name="fast_region_render_image_region"),
    re_path(rf"^webgateway/render_image/{IID}/{OPT_ZT}$", views.render_image, name="fast_region_render_image"),
    re_path(rf"^webclient/{SHARE}render_image_region/{IID}/{ZT}$", views.render_image_region, name="fast_region_webclient_render_image_region"),
    re_path(rf"^webclient/{SHARE}render_image/{IID}/{OPT_ZT}$", views.render_image, name="fast_region_webclient_render_image"),
    re_path(rf"^webclient/{SHARE}render_image_download/{IID}/{OPT_ZT}$", views.render_image, {"download": True}, name="fast_region_webclient_render_image_download"),
]
