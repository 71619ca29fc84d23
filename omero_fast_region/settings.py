"""``omero.web.fast_region.*`` settings, declared the way OMERO.web plug-ins declare theirs.

OMERO.web imports ``<app>.settings`` for every app in ``omero.web.apps`` and runs
``process_custom_settings`` on it, which sets the module attributes named below from
``config.xml`` (``omero config set omero.web.fast_region.data_dir /OMERO``). Outside OMERO.web
(standalone mode, tests) the same names come from the Django setting ``FAST_REGION``.
Read values through :func:`omero_fast_region.config.get_config`, never from here directly.
"""

from __future__ import annotations

import json
from typing import Any


def parse_bool(value: Any) -> bool:
    """OMERO.web's own boolean parsing: true/false, yes/no, 1/0 (case-insensitive)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off", ""):
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_list(value: Any) -> list[str]:
    """A JSON list of strings, as ``omero config set`` stores lists."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    parsed = json.loads(value) if str(value).strip() else []
    if not isinstance(parsed, list):
        raise ValueError(f"not a JSON list: {value!r}")
    return [str(v) for v in parsed]


def parse_positive_int(value: Any) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(f"must be a positive integer: {value!r}")
    return number


def parse_non_negative_int(value: Any) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(f"must be zero or more: {value!r}")
    return number


#: name -> (default, parser, description). The single source of truth for settings and their docs.
SETTINGS: dict[str, tuple[Any, Any, str]] = {
    "data_dir": ("/OMERO", str, "The OMERO binary repository root (the folder holding `Pixels/` and `ManagedRepository/`, i.e. `omero.data.dir`)."),
    "lut_dirs": ([], parse_list, "Extra folders searched recursively for `*.lut` lookup tables (typically OMERO's `lib/scripts`), as a JSON list."),
    "catalog": ("ice", str, "Where image metadata comes from: `ice` (the OMERO server, with the user's session) or `local:/path/to/catalog.json` (standalone)."),
    "metadata_cache_ttl": (300, parse_non_negative_int, "Seconds an image descriptor may be reused for one OMERO session; 0 disables the cache."),
    "max_tile_length": (2048, parse_positive_int, "Largest tile width or height served; larger requests are clamped, as OMERO does with `omero.pixeldata.max_tile_length`."),
    "max_plane_width": (3192, parse_positive_int, "Largest plane width read at once (whole-plane renders of bigger images need a lower resolution level)."),
    "max_plane_height": (3192, parse_positive_int, "Largest plane height read at once."),
    "max_active_channels": (10, parse_positive_int, "Most active channels one request may render."),
    "cache_control": ("private, max-age=3600", str, "`Cache-Control` header value on image responses."),
    "fallback": (True, parse_bool, "Hand requests this app cannot answer exactly to the stock OMERO.web view."),
    "pool_size": (64, parse_positive_int, "Most pixel sources (open files) kept open per worker process."),
    "s3_endpoint": ("", str, "S3 endpoint URL for `s3://` NGFF locations (empty: the AWS default)."),
    "s3_anonymous": (True, parse_bool, "Read `s3://` locations anonymously; when false, credentials come from the usual AWS environment/config."),
    "max_request_bytes": (1 << 30, parse_non_negative_int, "Most memory (bytes) one request may need for its reads and render (projections, big regions, thumbnails); larger requests get a 400. 0 disables the check."),
    "metrics_allow": (["127.0.0.1", "::1"], parse_list, "Client addresses (IPs or CIDR networks, JSON list) allowed to read `metrics/`; behind a proxy the last `X-Forwarded-For` address must be allowed too. `[]` turns the endpoint off."),
    "managed_dir": ("", str, "OMERO's managed repository (`omero.managed.dir`), where imported filesets live; empty: `<data_dir>/ManagedRepository`."),
    "ngff_roots": ([], parse_list, "Folders besides `data_dir` where the NGFF images named by an image's ExternalInfo may be read, as a JSON list; NGFF anywhere else is left to the stock view."),
    "render_table_cache_mb": (192, parse_non_negative_int, "Most memory (MiB) per worker process for cached render tables (one per channel and settings, up to 256 KiB for 16-bit data, 512 KiB when channels overlap); 0 disables the cache."),
    "pyramid_cache_mb": (256, parse_non_negative_int, "Most memory (MiB) per worker process for decoded tiles of OMERO `_pyramid` files, so zooming and panning decode each JPEG-2000 tile once per resolution; 0 disables the cache."),
    "thumbnail_cache_mb": (32, parse_non_negative_int, "Most memory (MiB) per worker process for encoded thumbnails, kept per OMERO session and looked up after that session's own image lookup, so a revisited grid is not rendered again (a 96 px thumbnail is about 3 KiB); 0 disables the cache."),
    "session_tracking": (True, parse_bool, "Read OMERO.web's Django session (the `cache` engine on django-redis) through one Redis connection per worker with client tracking (Redis ≥ 6), so a tile needs no Redis round trip while its session is unchanged; Redis pushes the logout or expiry at once. False: one Redis read per request, as stock."),
    "log_every_request": (False, parse_bool, "Write a line on the logger `omero_fast_region.requests` for every request, rendered ones included. False: only requests handed to the stock view, refused or failed are logged (a viewer asks for hundreds of tiles a minute; the front-end's access log, `metrics/` and `Server-Timing` cover them)."),
    "hosted_front": (True, parse_bool, "Under any server that loads OMERO.web's `omeroweb.wsgi` (gunicorn's `sync` or `gthread` worker, the app's `KeepAliveWorker`, uWSGI, mod_wsgi), answer the render URLs through OMERO.web's own middleware instances called in Django's order, without Django's per-request scaffolding (request signals with nothing to do, URL resolution repeated per tile); answers are unchanged. False: every request goes through Django's handler."),
    "tile_lane": (True, parse_bool, "Answer `render_image_region` tiles that render to a 200 (or a 304) straight from the WSGI request, without Django's request and response objects: standalone, and inside OMERO.web under the hosted front while the middleware is OMERO.web's own list. The same status, headers and body; anything else goes through the view. False: every tile goes through the view."),
    "decode_threads": (0, parse_non_negative_int, "Threads OpenJPEG may use to decode one full-resolution JPEG-2000 tile of an OMERO `_pyramid` (what the first view of an image waits for); 0 means one per CPU core, at most 4; 1 decodes in the request's own thread."),
}

#: OMERO.web's CUSTOM_SETTINGS_MAPPINGS: "omero.web.<key>": [GLOBAL_NAME, default-as-string, parser, doc]
CUSTOM_SETTINGS_MAPPINGS = {
    f"omero.web.fast_region.{name}": [
        f"FAST_REGION_{name.upper()}",
        json.dumps(default) if isinstance(default, (list, bool)) else str(default),
        parser,
        doc,
    ]
    for name, (default, parser, doc) in SETTINGS.items()
}

def _resolve_inside_omeroweb() -> None:
    """Inside OMERO.web (which imports this module while its own settings run): read config.xml.

    Only then: standalone mode must never import omeroweb (it would pull in omero and Ice).
    """
    import sys

    omeroweb_settings = sys.modules.get("omeroweb.settings")
    process = getattr(omeroweb_settings, "process_custom_settings", None)
    if process is None:
        return
    module = sys.modules[__name__]
    process(module)
    report = getattr(omeroweb_settings, "report_settings", None)
    if report is not None:
        report(module)


_resolve_inside_omeroweb()
