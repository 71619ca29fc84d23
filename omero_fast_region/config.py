"""The app's configuration, resolved in one place (like django-debug-toolbar's ``get_config``).

Precedence: the Django setting ``FAST_REGION`` (a dict; standalone mode and tests), then the
``FAST_REGION_*`` globals OMERO.web resolved into :mod:`omero_fast_region.settings` from
``omero config``, then the defaults in ``settings.SETTINGS``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any

from . import settings as app_settings


@dataclass(frozen=True)
class Config:
    data_dir: str = "/OMERO"
    lut_dirs: tuple[str, ...] = ()
    catalog: str = "ice"
    metadata_cache_ttl: int = 300
    max_tile_length: int = 2048
    max_plane_width: int = 3192
    max_plane_height: int = 3192
    max_active_channels: int = 10
    max_request_bytes: int = 1 << 30
    cache_control: str = "private, max-age=3600"
    fallback: bool = True
    pool_size: int = 64
    s3_endpoint: str = ""
    s3_anonymous: bool = True
    ngff_roots: tuple[str, ...] = ()
    managed_dir: str = ""  # empty: <data_dir>/ManagedRepository
    metrics_allow: tuple[str, ...] = ("127.0.0.1", "::1")
    render_table_cache_mb: int = 192
    pyramid_cache_mb: int = 256
    thumbnail_cache_mb: int = 32
    decode_threads: int = 0  # 0: one per core, at most 4
    session_tracking: bool = True
    log_every_request: bool = False
    hosted_front: bool = True
    tile_lane: bool = True
    standalone: bool = False  # set by the standalone Django settings only
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def local_catalog_path(self) -> str | None:
        """The catalog file of a ``local:`` catalog, else None."""
        return self.catalog[len("local:"):] if self.catalog.startswith("local:") else None


def _from_django() -> dict[str, Any]:
    try:
        from django.conf import settings as django_settings

        return dict(getattr(django_settings, "FAST_REGION", {}) or {})
    except Exception:  # Django not configured (pure library use)
        return {}


@functools.lru_cache(maxsize=1)
def get_config() -> Config:
    """The resolved configuration (cached; call :func:`reset_config` after changing settings)."""
    overrides = _from_django()
    values: dict[str, Any] = {}
    for f in fields(Config):
        if f.name == "extra":
            continue
        spec = app_settings.SETTINGS.get(f.name)
        if f.name in overrides:
            raw = overrides[f.name]
            values[f.name] = spec[1](raw) if spec else raw
        elif hasattr(app_settings, f"FAST_REGION_{f.name.upper()}"):
            values[f.name] = getattr(app_settings, f"FAST_REGION_{f.name.upper()}")
        elif spec:
            values[f.name] = spec[0]
    for name in ("lut_dirs", "ngff_roots", "metrics_allow"):
        values[name] = tuple(values.get(name) or ())
    values["extra"] = {k: v for k, v in overrides.items() if k not in values}
    return Config(**values)


def reset_config() -> None:
    """Forget the cached configuration (tests, and Django's ``setting_changed`` signal)."""
    get_config.cache_clear()
