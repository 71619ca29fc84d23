"""Operator URLs under the app's prefix: ``metrics/`` (Prometheus text, per worker process).

Included from ``urls.py`` (inside OMERO.web: ``/omero_fast_region/metrics/``, or ``/metrics/``
when this app is the root application) and from ``urls_standalone.py``. Only clients in the
``metrics_allow`` setting may read it (default: loopback); behind a proxy that sets
``X-Forwarded-For`` (OMERO.web's generated nginx config does), the last forwarded address must be
allowed too, so a loopback nginx does not open the endpoint to everyone.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest, HttpResponse
from django.urls import path

from . import metrics
from . import settings as app_settings
from .config import get_config

DEFAULT_METRICS_ALLOW = ("127.0.0.1", "::1")


def metrics_allow_list() -> list[str]:
    """The ``metrics_allow`` setting (JSON list of IPs or CIDR networks)."""
    config = get_config()
    value = getattr(config, "metrics_allow", None)
    if value is None:
        value = config.extra.get("metrics_allow")
    if value is None:
        value = getattr(app_settings, "FAST_REGION_METRICS_ALLOW", None)
    if value is None:
        value = app_settings.SETTINGS.get("metrics_allow", (list(DEFAULT_METRICS_ALLOW),))[0]
    return app_settings.parse_list(value)


def _allowed(address: str, allow: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for entry in allow:
        try:
            if ip in ipaddress.ip_network(entry.strip(), strict=False):
                return True
        except ValueError:
            continue
    return False


def metrics_client_allowed(request: HttpRequest) -> bool:
    """True when the peer, and the last ``X-Forwarded-For`` hop if any, are allow-listed."""
    allow = metrics_allow_list()
    if not _allowed(request.META.get("REMOTE_ADDR", ""), allow):
        return False
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    return not forwarded or _allowed(forwarded.split(",")[-1], allow)


def metrics_view(request: HttpRequest) -> HttpResponse:
    """``GET metrics/``: this worker process's metrics in the Prometheus text format."""
    if not metrics_client_allowed(request):
        return HttpResponse("Forbidden: not in omero.web.fast_region.metrics_allow\n", status=403,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(metrics.REGISTRY.exposition(), content_type="text/plain; version=0.0.4; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


urlpatterns = [
    path("metrics/", metrics_view, name="fast_region_metrics"),
]
