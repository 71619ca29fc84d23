"""The nginx ``location`` that routes the render URLs to this app's label prefix (DESIGN.md §7, 3).

``omero-fast-region nginx`` prints it; a sysadmin appends it to
``omero.web.nginx_server_extra_config`` (docs/mounting.md). It rewrites
``<prefix>/(webgateway|webclient)[/<share_id>]/<endpoint>/…`` to
``<prefix>/omero_fast_region/…`` (where :mod:`omero_fast_region.urls` serves the same paths)
and proxies to OMERO.web's upstream exactly as OMERO.web's own generated ``location`` does.
The endpoints are read from the app's URL patterns, so nginx never sends a path the app
does not serve.
"""

from __future__ import annotations

import os
import re

LABEL = "omero_fast_region"
_STOCK_PATH = re.compile(r"^\^(?:webgateway|webclient)/(?:\(\?:\(\?P<share_id>[^)]*\)/\)\?)?([A-Za-z_]+)/")


def served_endpoints() -> list[str]:
    """The stock path names (``render_image_region``, …) that :mod:`omero_fast_region.urls` answers."""
    from . import urls

    names = []
    for pattern in urls.urlpatterns:
        match = _STOCK_PATH.match(str(getattr(pattern.pattern, "_regex", pattern.pattern)))
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names


def configured_prefix() -> str:
    """``omero.web.prefix`` from OMERO.web's ``$OMERODIR/etc/grid/config.xml`` ("" when unset or unreadable)."""
    omerodir = os.environ.get("OMERODIR")
    if not omerodir:
        return ""
    path = os.path.join(omerodir, "etc", "grid", "config.xml")
    if not os.path.isfile(path):
        return ""
    try:
        from omero.config import ConfigXml

        config = ConfigXml(path, exclusive=False, read_only=True)
        try:
            return config.as_map().get("omero.web.prefix", "") or ""
        finally:
            config.close()
    except Exception:
        return ""


def upstream_name(prefix: str) -> str:
    """The upstream OMERO.web's nginx template defines: ``omeroweb`` or ``omeroweb_<prefix word chars>``."""
    word = re.sub(r"\W+", "", prefix)
    return f"omeroweb_{word}" if word else "omeroweb"


def nginx_location(prefix: str | None = None, upstream: str | None = None) -> str:
    """The ``location`` block; ``prefix`` defaults to ``omero.web.prefix``, ``upstream`` to OMERO.web's."""
    if prefix is None:
        prefix = configured_prefix()
    prefix = "/" + prefix.strip("/") if prefix.strip("/") else ""
    upstream = upstream or upstream_name(prefix)
    names = "|".join(served_endpoints())
    escaped = re.escape(prefix) if prefix else ""
    return (
        f"# omero-fast-region: the render URLs, answered by the {LABEL} app\n"
        f"location ~ ^{escaped}/(webgateway|webclient)/([0-9]+/)?({names})/ {{\n"
        f"    rewrite ^{escaped}/(.*)$ {prefix}/{LABEL}/$1 break;\n"
        "    proxy_set_header X-Forwarded-Proto $scheme;\n"
        "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
        "    proxy_set_header Host $http_host;\n"
        "    proxy_redirect off;\n"
        "    proxy_buffering off;\n"
        f"    proxy_pass http://{upstream};\n"
        "}"
    )
