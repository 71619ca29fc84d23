"""Broken data on disk: missing, truncated or corrupt files, chunks and tiles, malformed metadata,
an image deleted after it was opened. Always a short 404 (standalone has no stock view to hand
over to), never a 5xx or a traceback; a broken source is dropped from the pool and re-opened.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from omero_fast_region.runtime import get_runtime
from omero_fast_region.sample.writers import write_ngff, write_ome_tiff, write_omero_pyramid, write_romio

from .conftest import check_answer

DATA = (np.arange(2 * 64 * 96) % 251).astype(np.uint8).reshape(1, 2, 1, 64, 96)
ROMIO, NGFF, TIFF, PYRAMID, NGFF3 = 1, 2, 3, 4, 5
TILE = "/webgateway/render_image_region/{iid}/0/0/?tile=0,0,0&c=1,2"


def write_broken_set(root: Path) -> Path:
    """One small image per format (fresh per test, so each test can break its files)."""
    write_romio(str(root / "Pixels" / "1"), DATA)
    write_ngff(str(root / "ngff" / "2.zarr"), DATA, version="0.4", chunks=(32, 32), levels=2)
    write_ome_tiff(str(root / "tiff" / "3.ome.tiff"), DATA, tile=(32, 32), levels=1, compression="zlib")
    write_omero_pyramid(str(root / "Pixels" / "4_pyramid"), DATA.astype(np.uint8), tile=(32, 32))
    write_ngff(str(root / "ngff" / "5.zarr"), DATA, version="0.5", chunks=(32, 32), levels=1)
    pixels = {"type": "uint8", "size_x": 96, "size_y": 64, "size_z": 1, "size_c": 2, "size_t": 1}
    images = [
        {"id": ROMIO, "source": {"format": "romio", "path": "Pixels/1"}, "pixels": pixels},
        {"id": NGFF, "source": {"format": "ngff", "path": "ngff/2.zarr"}},
        {"id": TIFF, "source": {"format": "tiff", "path": "tiff/3.ome.tiff"}},
        {"id": PYRAMID, "source": {"format": "pyramid", "path": "Pixels/4_pyramid"}, "pixels": pixels},
        {"id": NGFF3, "source": {"format": "ngff", "path": "ngff/5.zarr"}},
    ]
    for image in images:
        image["channels"] = [{"stats": [0, 255]}, {"stats": [0, 255]}]
    catalog = root / "catalog.json"
    catalog.write_text(json.dumps({"images": images}))
    return catalog


@pytest.fixture
def broken(settings, tmp_path) -> Path:
    """The folder of a fresh small image set the app serves (fallback off: nothing to hide behind)."""
    catalog = write_broken_set(tmp_path)
    settings.FAST_REGION = {"catalog": f"local:{catalog}", "standalone": True, "fallback": False}
    return tmp_path


def get_checked(client, fuzz_module, url: str):
    response = client.get(url)
    check_answer(fuzz_module, response, url)
    return response


def all_ok(client, fuzz_module) -> None:
    for iid in (ROMIO, NGFF, TIFF, PYRAMID, NGFF3):
        assert get_checked(client, fuzz_module, TILE.format(iid=iid)).status_code == 200, iid


def chunk_files(folder: Path) -> list[Path]:
    names = (".zarray", ".zattrs", ".zgroup", "zarr.json")
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in names)


def test_every_format_serves_before_anything_breaks(broken, client, fuzz_module):
    all_ok(client, fuzz_module)


@pytest.mark.parametrize("iid, relative", [
    (ROMIO, "Pixels/1"), (TIFF, "tiff/3.ome.tiff"), (PYRAMID, "Pixels/4_pyramid"),
    (NGFF, "ngff/2.zarr"), (NGFF3, "ngff/5.zarr"),
])
def test_an_image_deleted_before_it_is_opened_is_404(broken, client, fuzz_module, error_log, iid, relative):
    get_runtime()  # the catalog is loaded while the files exist
    path = broken / relative
    shutil.rmtree(path) if path.is_dir() else path.unlink()
    response = get_checked(client, fuzz_module, TILE.format(iid=iid))
    assert response.status_code == 404 and len(response.content) < 500
    assert error_log.records == []


@pytest.mark.parametrize("iid, relative", [(ROMIO, "Pixels/1"), (TIFF, "tiff/3.ome.tiff"), (PYRAMID, "Pixels/4_pyramid")])
def test_a_file_deleted_after_opening_is_served_from_the_open_file_then_404_once_evicted(
        broken, client, fuzz_module, iid, relative):
    assert client.get(TILE.format(iid=iid)).status_code == 200
    (broken / relative).unlink()
    response = get_checked(client, fuzz_module, TILE.format(iid=iid))
    assert response.status_code in (200, 404)
    get_runtime().pool.close_all()  # evicted (LRU, restart): the next request opens afresh
    assert get_checked(client, fuzz_module, TILE.format(iid=iid)).status_code == 404


@pytest.mark.parametrize("iid, relative", [
    (ROMIO, "Pixels/1"), (TIFF, "tiff/3.ome.tiff"), (PYRAMID, "Pixels/4_pyramid")])
def test_a_truncated_file_is_404(broken, client, fuzz_module, error_log, iid, relative):
    get_runtime()
    path = broken / relative
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    response = get_checked(client, fuzz_module, TILE.format(iid=iid))
    assert response.status_code == 404
    assert error_log.records == []


@pytest.mark.parametrize("iid", [NGFF, NGFF3])
def test_a_corrupt_chunk_is_404_and_the_pool_drops_the_source(broken, client, fuzz_module, error_log, iid):
    assert client.get(TILE.format(iid=iid)).status_code == 200
    folder = broken / "ngff" / f"{iid}.zarr"
    for chunk in chunk_files(folder):
        chunk.write_bytes(b"\xde\xad\xbe\xef" * 7)
    pool = get_runtime().pool
    response = get_checked(client, fuzz_module, "/webgateway/render_image_region/%d/0/0/?tile=0,1,1&c=1" % iid)
    assert response.status_code == 404 and len(response.content) < 500
    discarded = pool.stats()["discarded"]
    get_checked(client, fuzz_module, TILE.format(iid=iid))
    assert pool.stats()["discarded"] > discarded  # the broken source was dropped, then re-opened
    assert error_log.records == []


@pytest.mark.parametrize("iid", [NGFF, NGFF3])
def test_a_missing_chunk_reads_as_the_fill_value_as_omero_does(broken, client, fuzz_module, iid):
    get_runtime()
    for chunk in chunk_files(broken / "ngff" / f"{iid}.zarr"):
        chunk.unlink()
    assert get_checked(client, fuzz_module, TILE.format(iid=iid)).status_code == 200


BAD_METADATA = [b"{not json", b"[]", b'{"multiscales": 7}', b"", b'{"zarr_format": 99}']


@pytest.mark.parametrize("iid, name, content", [
    pytest.param(iid, name, content, id=f"{iid}-{name}-{content[:12]!r}")
    for iid, name in [(NGFF, ".zattrs"), (NGFF, ".zarray"), (NGFF3, "zarr.json")] for content in BAD_METADATA
])
def test_malformed_zarr_metadata_is_404(broken, client, fuzz_module, error_log, iid, name, content):
    get_runtime()
    for path in (broken / "ngff" / f"{iid}.zarr").rglob(name):
        path.write_bytes(content)
    response = get_checked(client, fuzz_module, TILE.format(iid=iid))
    assert response.status_code in (200, 404)  # 200 only when the broken file is not needed
    assert error_log.records == []


@pytest.mark.parametrize("offset", [8, 16, 200, 600])
def test_a_corrupt_tiff_header_or_ifd_is_404(broken, client, fuzz_module, error_log, offset):
    """(A damaged header may also change the shape the file claims: then 400 "outside the level".)"""
    get_runtime()
    for relative in ("tiff/3.ome.tiff", "Pixels/4_pyramid"):
        path = broken / relative
        data = bytearray(path.read_bytes())
        data[offset:offset + 64] = b"\xff" * 64
        path.write_bytes(bytes(data))
    for iid in (TIFF, PYRAMID):
        response = get_checked(client, fuzz_module, TILE.format(iid=iid))
        assert response.status_code in (200, 400, 404)
    assert error_log.records == []


def test_corrupt_pyramid_tiles_are_404_and_the_pool_drops_the_source(broken, client, fuzz_module, error_log):
    assert client.get(TILE.format(iid=PYRAMID)).status_code == 200
    path = broken / "Pixels" / "4_pyramid"
    import tifffile

    with tifffile.TiffFile(str(path)) as tif:
        offsets = [int(o) for page in tif.pages for o in page.dataoffsets]
    data = bytearray(path.read_bytes())
    for offset in offsets:
        data[offset + 2:offset + 40] = b"\x00" * 38
    path.write_bytes(bytes(data))
    pool = get_runtime().pool
    # a tile not decoded before the damage (decoded tiles stay cached with their source: OMERO
    # writes a pyramid once, and a regenerated one is a new file, hence a new source)
    unseen = TILE.format(iid=PYRAMID).replace("tile=0,0,0", "tile=0,2,1")
    response = get_checked(client, fuzz_module, unseen)
    assert response.status_code == 404
    before = pool.stats()["discarded"]
    get_checked(client, fuzz_module, unseen)
    assert pool.stats()["discarded"] > before
    assert error_log.records == []


def test_every_endpoint_on_broken_images_answers_4xx(broken, client, fuzz_module, error_log):
    get_runtime()
    for path in (broken / "ngff").rglob("*"):
        if path.is_file() and path.name not in (".zattrs", ".zarray", ".zgroup", "zarr.json"):
            path.write_bytes(b"garbage")
    for relative in ("Pixels/1", "tiff/3.ome.tiff", "Pixels/4_pyramid"):
        (broken / relative).write_bytes(b"garbage")
    urls = []
    for iid in (ROMIO, NGFF, TIFF, PYRAMID, NGFF3):
        urls += [TILE.format(iid=iid), f"/webgateway/render_image/{iid}/", f"/webgateway/render_thumbnail/{iid}/",
                 f"/webgateway/get_thumbnail/{iid}/", f"/webgateway/histogram_json/{iid}/channel/0/",
                 f"/webgateway/imgData/{iid}/", f"/webgateway/render_birds_eye_view/{iid}/"]
    urls.append("/webgateway/get_thumbnails/?id=1&id=2&id=3&id=4&id=5")
    for url in urls:
        response = get_checked(client, fuzz_module, url)
        assert response.status_code in (200, 404), url
    assert error_log.unexpected() == []


TRUNCATE_WHILE_MAPPED = r"""
import numpy as np, os, sys
from omero_fast_region.pixels.romio import RomioSource
from omero_fast_region.render.model import PixelsInfo
path = sys.argv[1]
np.zeros((64, 4096), dtype=">u2").tofile(path)
src = RomioSource(path, PixelsInfo(pixel_type="uint16", size_x=4096, size_y=64, size_z=1, size_c=1, size_t=1))
src.read_region(0, 0, 0, 0, 0, 0, 16, 16)
os.truncate(path, 100)
try:
    src.read_region(0, 0, 0, 0, 0, 60, 16, 4)
except Exception as exc:
    print("raised", type(exc).__name__, getattr(src, "broken", None))
print("alive")
"""


def test_a_romio_file_truncated_while_mapped_does_not_kill_the_worker(tmp_path):
    proc = subprocess.run([sys.executable, "-c", TRUNCATE_WHILE_MAPPED, str(tmp_path / "pixels")],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0 and "alive" in proc.stdout, (proc.returncode, proc.stderr[-500:])
    assert "raised NotFound True" in proc.stdout  # a clean 404, and the pool drops the source


@pytest.mark.parametrize("multiscales", [7, "abc", {"datasets": []}, None, []])
def test_multiscales_that_are_not_a_list_are_not_an_image(multiscales):
    from omero_fast_region.pixels import ngff_format

    assert ngff_format.read_multiscale({"multiscales": multiscales}) is None
    assert ngff_format.read_multiscale({"ome": {"multiscales": multiscales}}) is None


def test_a_multiscales_entry_that_is_not_an_object_is_unsupported():
    from omero_fast_region.errors import Unsupported
    from omero_fast_region.pixels import ngff_format

    with pytest.raises(Unsupported):
        ngff_format.read_multiscale({"multiscales": [7]})
