"""TIFF tiles and strips read from tifffile's store in the caller's thread (pixels/tiff_chunks.py)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tifffile
import zarr
from tifffile.zarr import ZarrTiffStore

from omero_fast_region.pixels import open_source
from omero_fast_region.pixels.tiff_chunks import TiffChunks, run_to_end
from omero_fast_region.pixels.zarr_direct import NeedsEventLoop
from omero_fast_region.sample import downsample2, write_ome_tiff

from .conftest import assert_reads, sample
from .test_tiff import tiff_spec


def _write_layouts(root) -> dict[str, list[np.ndarray]]:
    """Files of the layouts TiffSource reads, each with the truth of every level (t, c, z, y, x)."""
    truths = {}
    pyramid = sample("uint16", shape=(2, 3, 2, 150, 170), seed=3)
    write_ome_tiff(str(root / "pyramid.ome.tif"), pyramid, tile=(32, 48), levels=3, compression="zlib")
    truths["pyramid.ome.tif"] = [pyramid, downsample2(pyramid), downsample2(downsample2(pyramid))]
    floats = sample("float", shape=(1, 2, 1, 70, 90), seed=4)
    write_ome_tiff(str(root / "floats.ome.tif"), floats, tile=(16, 16), levels=1)
    truths["floats.ome.tif"] = [floats]
    strips = sample("uint8", shape=(3, 1, 1, 61, 45), seed=5)
    tifffile.imwrite(root / "strips.tif", strips[:, 0, 0], photometric="minisblack", rowsperstrip=7,
                     compression="lzw", metadata=None)
    truths["strips.tif"] = [strips]
    big_endian = sample("int16", shape=(1, 1, 1, 50, 66), seed=6)
    tifffile.imwrite(root / "be.tif", big_endian[0, 0, 0], byteorder=">", tile=(16, 32), predictor=True,
                     compression="zlib")
    truths["be.tif"] = [big_endian]
    planar = sample("uint8", shape=(1, 3, 1, 40, 52), seed=7)[:, :, 0]  # (1, 3, y, x): samples planar
    tifffile.imwrite(root / "planar.tif", planar[0], photometric="rgb", planarconfig="separate", tile=(16, 16))
    truths["planar.tif"] = [planar[:, :, None]]
    contig = planar[0].transpose(1, 2, 0).copy()
    tifffile.imwrite(root / "contig.tif", contig, photometric="rgb", tile=(16, 16), compression="zlib")
    truths["contig.tif"] = [planar[:, :, None]]
    return truths


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiff_chunks")
    return root, _write_layouts(root)


@pytest.fixture()
def no_zarr_reads(monkeypatch):
    """Fail any read of a zarr array's values (metadata is still read by zarr)."""
    def refuse(self, selection):
        raise AssertionError(f"zarr read {selection}")

    monkeypatch.setattr(zarr.Array, "__getitem__", refuse)
    monkeypatch.setattr(zarr.Array, "get_orthogonal_selection", refuse)


@pytest.mark.parametrize("name", ["pyramid.ome.tif", "floats.ome.tif", "strips.tif", "be.tif", "planar.tif",
                                  "contig.tif"])
def test_every_region_is_read_from_the_store_without_zarr(layouts, name, no_zarr_reads):
    root, truths = layouts
    with open_source(tiff_spec(root, name)) as src:
        assert all(isinstance(reader, TiffChunks) for reader in src._direct), src._direct
        assert_reads(src, truths[name])


def test_direct_reads_equal_zarrs_reads_across_tile_edges(layouts):
    root, _ = layouts
    rng = np.random.default_rng(11)
    with open_source(tiff_spec(root, "pyramid.ome.tif")) as direct, open_source(tiff_spec(root, "pyramid.ome.tif")) as by_zarr:
        by_zarr._direct = [None] * len(by_zarr._direct)
        for _ in range(60):
            level = int(rng.integers(0, len(direct.levels)))
            width, height = direct.levels[level]
            x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
            w, h = int(rng.integers(1, width - x + 1)), int(rng.integers(1, height - y + 1))
            z, c, t = int(rng.integers(0, 2)), int(rng.integers(0, 3)), int(rng.integers(0, 2))
            got = direct.read_region(z, c, t, level, x, y, w, h)
            np.testing.assert_array_equal(got, by_zarr.read_region(z, c, t, level, x, y, w, h))
            assert got.dtype.isnative


def test_a_read_after_the_source_was_closed_opens_the_file_again(layouts, no_zarr_reads):
    root, truths = layouts
    src = open_source(tiff_spec(root, "pyramid.ome.tif"))
    src.close()  # evicted from the pool while a request still holds it
    np.testing.assert_array_equal(src.read_region(1, 2, 1, 1, 10, 20, 40, 30), truths["pyramid.ome.tif"][1][1, 2, 1, 20:50, 10:50])
    src.close()


def test_a_store_that_suspends_sends_that_level_back_to_zarr(layouts, monkeypatch):
    root, truths = layouts
    original = ZarrTiffStore.get

    async def awaiting_get(self, key, prototype, byte_range=None):
        await asyncio.sleep(0)  # as a tifffile that decodes in a thread would
        return await original(self, key, prototype, byte_range)

    monkeypatch.setattr(ZarrTiffStore, "get", awaiting_get)
    with open_source(tiff_spec(root, "pyramid.ome.tif")) as src:
        truth = truths["pyramid.ome.tif"][0]
        np.testing.assert_array_equal(src.read_region(0, 1, 0, 0, 5, 6, 70, 50), truth[0, 1, 0, 6:56, 5:75])
        assert src._direct[0] is None and isinstance(src._direct[1], TiffChunks)
        np.testing.assert_array_equal(src.read_region(1, 0, 1, 0, 0, 0, 33, 33), truth[1, 0, 1, :33, :33])
        assert not src.broken


def test_concurrent_reads_from_threads_share_the_file_exactly(layouts):
    """gthread workers read one source from several threads: the store reads under the file's lock."""
    root, truths = layouts
    truth = truths["pyramid.ome.tif"][0]
    with open_source(tiff_spec(root, "pyramid.ome.tif")) as src:
        def work(seed: int) -> int:
            rng = np.random.default_rng(seed)
            for _ in range(150):
                z, c, t = int(rng.integers(2)), int(rng.integers(3)), int(rng.integers(2))
                x, y = int(rng.integers(0, 160)), int(rng.integers(0, 140))
                w, h = int(rng.integers(1, 171 - x)), int(rng.integers(1, 151 - y))
                np.testing.assert_array_equal(src.read_region(z, c, t, 0, x, y, w, h), truth[t, c, z, y : y + h, x : x + w])
            return seed

        with ThreadPoolExecutor(6) as pool:  # a failed read re-raises here
            assert list(pool.map(work, range(6))) == list(range(6))


def test_z_stacks_are_read_plane_by_plane_without_zarr(layouts, no_zarr_reads):
    root, truths = layouts
    truth = truths["pyramid.ome.tif"]
    with open_source(tiff_spec(root, "pyramid.ome.tif")) as src:
        for level in range(3):
            np.testing.assert_array_equal(src.read_stack(2, 1, level, 4, 6, 30, 20, 0, 1), truth[level][1, 2, :, 6:26, 4:34])
            np.testing.assert_array_equal(src.read_stack(0, 0, level, 0, 0, 9, 9, 1, 1), truth[level][0, 0, 1:2, :9, :9])


def test_run_to_end():
    async def done():
        return 7

    async def suspends():
        await asyncio.sleep(0)
        return 8

    assert run_to_end(done()) == 7
    with pytest.raises(NeedsEventLoop):
        run_to_end(suspends())
