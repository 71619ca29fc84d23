"""The per-process runtime: built once from the settings, which size its caches."""

from __future__ import annotations

from pathlib import Path

from omero_fast_region.pixels import jpeg2k
from omero_fast_region.pixels.decoded_cache import DECODED
from omero_fast_region.render.tables import TABLES
from omero_fast_region.runtime import get_runtime
from omero_fast_region.service.thumbnail import THUMBNAILS


def test_process_settings_size_the_caches_and_the_decode_threads(settings, raw_catalog: Path) -> None:
    settings.FAST_REGION = {"catalog": f"local:{raw_catalog}", "standalone": True,
                            "render_table_cache_mb": "7", "pyramid_cache_mb": "9", "decode_threads": "3",
                            "thumbnail_cache_mb": "5"}
    runtime = get_runtime()
    assert runtime.config.render_table_cache_mb == 7 and runtime.config.pyramid_cache_mb == 9
    assert TABLES.max_bytes == 7 << 20 and DECODED.max_bytes == 9 << 20
    assert jpeg2k.DECODE_THREADS == 3
    assert THUMBNAILS.max_bytes == 5 << 20
    settings.FAST_REGION = {"catalog": f"local:{raw_catalog}", "standalone": True, "decode_threads": "0"}
    get_runtime()
    assert jpeg2k.DECODE_THREADS == jpeg2k.auto_decode_threads()


def test_the_runtime_is_built_once_per_process(settings, raw_catalog: Path) -> None:
    settings.FAST_REGION = {"catalog": f"local:{raw_catalog}", "standalone": True}
    assert get_runtime() is get_runtime()
    assert get_runtime().catalog.image_ids() == [1]
