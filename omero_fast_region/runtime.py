"""Per-process shared state: the source pool, the LUT library and the catalog backend.

Created lazily on first use from :func:`config.get_config`; :func:`reset_runtime` drops it
(tests, settings changes). Thread-safe.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .catalog.base import Catalog
from .config import Config, get_config
from .pixels import S3Options, SourcePool
from .render import LutLibrary


@dataclass
class Runtime:
    config: Config
    catalog: Catalog
    pool: SourcePool
    luts: LutLibrary


_lock = threading.Lock()
_runtime: Runtime | None = None


def make_catalog(config: Config) -> Catalog:
    """The catalog backend named by the ``catalog`` setting."""
    path = config.local_catalog_path
    if path:
        from .catalog.local import LocalCatalog

        return LocalCatalog(path)
    if config.catalog == "ice":
        from .catalog.ice import IceCatalog  # the only module importing omero

        return IceCatalog(config)
    raise ValueError(f"unknown catalog setting {config.catalog!r} (expected 'ice' or 'local:/path')")


def apply_process_settings(config: Config) -> None:
    """Size the per-process caches (render tables, decoded pyramid tiles, thumbnails) and the
    JPEG-2000 decode threads."""
    from .pixels.decoded_cache import DECODED
    from .pixels.jpeg2k import set_decode_threads
    from .render.tables import TABLES
    from .service.thumbnail import THUMBNAILS

    TABLES.max_bytes = config.render_table_cache_mb << 20
    DECODED.max_bytes = config.pyramid_cache_mb << 20
    THUMBNAILS.max_bytes = config.thumbnail_cache_mb << 20
    set_decode_threads(config.decode_threads)


def get_runtime() -> Runtime:
    """The process's runtime, built on first use."""
    global _runtime
    if _runtime is None:
        with _lock:
            if _runtime is None:
                config = get_config()
                apply_process_settings(config)
                catalog = make_catalog(config)
                s3 = S3Options(endpoint_url=config.s3_endpoint or None, anonymous=config.s3_anonymous)
                _runtime = Runtime(
                    config=config,
                    catalog=catalog,
                    pool=SourcePool(max_open=config.pool_size, s3=s3),
                    luts=LutLibrary(list(config.lut_dirs) + catalog.lut_dirs()),
                )
    return _runtime


def reset_runtime() -> None:
    """Close every open source, forget the runtime and the thumbnails it rendered."""
    from .service.thumbnail import THUMBNAILS

    global _runtime
    with _lock:
        if _runtime is not None:
            _runtime.pool.close_all()
        _runtime = None
    THUMBNAILS.clear()
