"""The stock render URLs, served by this app (DESIGN.md §7).

Included at the root when ``omero.web.root_application = omero_fast_region``, or under
``/omero_fast_region/`` (the app label) for the nginx override. Patterns repeat the stock
regexes (omero-web.md §2.2) for ``webgateway/`` and ``webclient/`` (with the optional share id
where stock has it), plus the microservice's routes (ms-image-region.md §1.2). Stock views we do
not implement (split channel, row/col plots, OME-TIFF, movies) are not routed here.
"""

from django.urls import include, path, re_path

from . import service, views

IID = r"(?P<iid>[0-9]+)"
ZT = r"(?P<z>[0-9]+)/(?P<t>[0-9]+)/"
OPT_ZT = r"(?:(?P<z>[0-9]+)/)?(?:(?P<t>[0-9]+)/)?"
OPT_WH = r"(?:(?P<w>[0-9]+)/)?(?:(?P<h>[0-9]+)/)?"
SHARE = r"(?:(?P<share_id>[0-9]+)/)?"
LONGEST = r"(?:(?P<longestSide>[0-9]+)/?)?"
SHAPE = r"(?P<shapeId>[0-9]+)"
DEFCB = {"_defcb": service.placeholder_thumbnail}


def _route(regex: str, view, name: str, kwargs: dict | None = None):
    return re_path(regex, view, kwargs, name=f"fast_region_{name}")


webgateway = [
    _route(rf"^webgateway/render_image_region/{IID}/{ZT}$", views.render_image_region, "render_image_region"),
    _route(rf"^webgateway/render_image/{IID}/{OPT_ZT}$", views.render_image, "render_image"),
    _route(rf"^webgateway/render_image_region_rdef/{IID}/{ZT}$", views.render_image_region_rdef, "render_image_region_rdef"),
    _route(rf"^webgateway/render_image_rdef/{IID}/{OPT_ZT}$", views.render_image_rdef, "render_image_rdef"),
    _route(rf"^webgateway/render_thumbnail/{IID}/{OPT_WH}$", views.render_thumbnail, "render_thumbnail"),
    _route(rf"^webgateway/render_birds_eye_view/{IID}/(?:(?P<size>[0-9]+)/)?$", views.render_birds_eye_view, "render_birds_eye_view"),
    _route(rf"^webgateway/render_shape_mask/{SHAPE}/$", views.render_shape_mask, "render_shape_mask"),
    _route(r"^webgateway/get_thumbnails/(?:(?P<w>[0-9]+)/)?$", views.get_thumbnails_json, "get_thumbnails"),
    _route(rf"^webgateway/get_thumbnail/{IID}/{OPT_WH}$", views.get_thumbnail_json, "get_thumbnail"),
    _route(rf"^webgateway/imgData/{IID}/(?:(?P<key>[^/]+)/)?$", views.imageData_json, "imgData"),
    _route(rf"^webgateway/histogram_json/{IID}/channel/(?P<theC>[0-9]+)/", views.histogram_json, "histogram_json"),
]

webclient = [
    _route(rf"^webclient/get_thumbnails/{SHARE}$", views.get_thumbnails_json, "webclient_get_thumbnails"),
    _route(rf"^webclient/get_thumbnail/{IID}/{SHARE}$", views.get_thumbnail_json, "webclient_get_thumbnail", DEFCB),
    _route(rf"^webclient/render_thumbnail/{IID}/{SHARE}$", views.render_thumbnail, "webclient_render_thumbnail", DEFCB),
    _route(rf"^webclient/render_thumbnail/size/(?P<w>[0-9]+)/{IID}/{SHARE}$", views.render_thumbnail,
           "webclient_render_thumbnail_size", DEFCB),
    _route(rf"^webclient/{SHARE}render_image_region/{IID}/{ZT}$", views.render_image_region, "webclient_render_image_region"),
    _route(rf"^webclient/{SHARE}render_birds_eye_view/{IID}/(?:(?P<size>[0-9]+)/)?$", views.render_birds_eye_view,
           "webclient_render_birds_eye_view"),
    _route(rf"^webclient/{SHARE}render_image/{IID}/{OPT_ZT}$", views.render_image, "webclient_render_image"),
    _route(rf"^webclient/{SHARE}render_image_download/{IID}/{OPT_ZT}$", views.render_image,
           "webclient_render_image_download", {"download": True}),
    _route(rf"^webclient/{SHARE}imgData/{IID}/$", views.imageData_json, "webclient_imgData"),
]

microservice = [
    _route(r"^omero_ms_image_region/$", views.microservice_details, "microservice_details"),
    _route(rf"^omero_ms_image_region/get_shape_mask_bytes/{SHAPE}/?$", views.get_shape_mask_bytes, "get_shape_mask_bytes"),
    _route(rf"^omero_ms_image_region/get_label_image_metadata/{SHAPE}/?$", views.get_label_image_metadata,
           "get_label_image_metadata"),
    _route(rf"^webclient/render_image_region_rdef/{IID}/{ZT}$", views.render_image_region_rdef, "webclient_render_image_region_rdef"),
    _route(rf"^webclient/render_image_rdef/{IID}/{OPT_ZT}$", views.render_image_rdef, "webclient_render_image_rdef"),
    _route(rf"^(?:webgateway|webclient)/render_thumbnail_ngff/size/{LONGEST}{IID}/?$", views.render_thumbnail_ngff,
           "webclient_render_thumbnail_ngff_size"),
    _route(rf"^(?:webgateway|webclient)/render_(?:thumbnail|birds_eye_view)_ngff/{IID}/?{LONGEST}$",
           views.render_thumbnail_ngff, "render_thumbnail_ngff"),
    _route(rf"^(?:webgateway|webclient)/get_thumbnails_ngff/?{LONGEST}$", views.get_thumbnails_ngff, "get_thumbnails_ngff"),
    _route(rf"^pathviewer/imgData/{IID}/(?:(?P<key>[^/]+)/?)?$", views.imageData_json, "pathviewer_imgData"),
    _route(rf"^pathviewer/histogram_json/{IID}/channel/(?P<theC>[0-9]+)/?", views.histogram_json, "pathviewer_histogram_json"),
]

operator = [path("", include("omero_fast_region.urls_ops"))]

urlpatterns = webgateway + webclient + microservice + operator
