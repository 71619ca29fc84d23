"""OME-NGFF 0.4 / 0.5 images, local and on S3 (pixels/ngff.py, ngff_format.py, stores.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import zarr

from omero_fast_region.descriptor import SourceSpec
from omero_fast_region.errors import NotFound, UnsafePath, Unsupported
from omero_fast_region.pixels import NgffSource, S3Options, open_source
from omero_fast_region.sample import downsample2, write_bioformats2raw, write_ngff, write_ngff_labels

from .conftest import TYPES, assert_reads, sample

VERSIONS = ["0.4", "0.5"]


def levels_of(data: np.ndarray, n: int) -> list[np.ndarray]:
    out = [data]
    for _ in range(n - 1):
        out.append(downsample2(out[-1]))
    return out


def ngff_spec(root, name: str, series: int = 0) -> SourceSpec:
    return SourceSpec("ngff", str(root / name), str(root), series=series)


def test_downsample2_is_rounded_block_mean_dropping_odd_edge():
    plane = np.array([[[[[1, 2, 9], [3, 5, 9], [9, 9, 9]]]]], np.uint8)
    np.testing.assert_array_equal(downsample2(plane)[0, 0, 0], [[3]])  # (1+2+3+5+2)//4
    floats = np.array([[[[[1.0, 2.0], [3.0, 5.0]]]]], np.float32)
    assert downsample2(floats)[0, 0, 0, 0, 0] == np.float32(2.75)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("pixel_type", list(TYPES))
def test_ngff_reads_every_level_plane_and_region_of_every_type(tmp_path, version, pixel_type):
    data = sample(pixel_type, shape=(2, 2, 3, 70, 90))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(32, 32), levels=3)
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert src.pixel_type == pixel_type and src.version == version
        assert (src.size_x, src.size_y, src.size_z, src.size_c, src.size_t) == (90, 70, 3, 2, 2)
        assert src.tile_size(0) == (32, 32)
        assert_reads(src, levels_of(data, 3))


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("axes", ["tczyx", "xyzct", "czyx", "zyx", "cyx", "tyx", "yx", "xy", "ytxcz"])
def test_ngff_axis_orders_and_fewer_dimensions(tmp_path, version, axes):
    shape = [2 if a in axes else 1 for a in "tcz"] + [40, 50]
    data = sample("uint16", shape=tuple(shape))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=2, axes=axes)
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert (src.size_x, src.size_y) == (50, 40)
        assert_reads(src, levels_of(data, 2))
        np.testing.assert_array_equal(
            src.read_stack(src.size_c - 1, src.size_t - 1, 0, 3, 4, 20, 10, 0, src.size_z - 1),
            data[-1, -1, :, 4:14, 3:23],
        )


@pytest.mark.parametrize("version", VERSIONS)
def test_ngff_z_downsampled_levels_map_full_resolution_z(tmp_path, version):
    data = sample("uint8", shape=(1, 1, 5, 40, 40))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=3, downsample_z=True)
    truth = [data]
    for _ in range(2):
        truth.append(downsample2(truth[-1])[:, :, ::2])
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert src.size_z == 5
        assert_reads(src, truth)
        stack = src.read_stack(0, 0, 2, 0, 0, 10, 10, 0, 4)
        np.testing.assert_array_equal(stack, truth[2][0, 0, [z * 2 // 5 for z in range(5)], :10, :10])


@pytest.mark.parametrize("version", VERSIONS)
def test_ngff_missing_chunks_read_as_fill_value(tmp_path, version):
    data = np.zeros((1, 1, 2, 64, 64), np.uint16)
    data[0, 0, 1, 40:50, 5:20] = 7
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), omit_empty=True)
    chunk_files = [f for _, _, files in os.walk(tmp_path / "img.zarr" / "0") for f in files if not f.startswith((".", "zarr"))]
    assert 0 < len(chunk_files) < 2 * 16
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert_reads(src, [data])


@pytest.mark.parametrize("version", VERSIONS)
def test_ngff_uses_dataset_paths_as_written(tmp_path, version):
    data = sample("int16", shape=(1, 2, 1, 33, 47))
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=2, dataset_paths=["s0", "s1"])
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert_reads(src, levels_of(data, 2))


def _rewrite_first_path(group_path, path):
    group = zarr.open_group(str(group_path), mode="r+")
    attrs = group.attrs.asdict()
    meta = attrs.get("ome", attrs)
    meta["multiscales"][0]["datasets"][0]["path"] = path
    group.attrs.update(attrs)


@pytest.mark.parametrize("bad", ["../../outside", "/etc"])
def test_ngff_dataset_path_escaping_the_image_is_refused(tmp_path, bad):
    write_ngff(str(tmp_path / "img.zarr"), sample("uint8", shape=(1, 1, 1, 8, 8)), "0.4", chunks=(8, 8))
    _rewrite_first_path(tmp_path / "img.zarr", bad)
    with pytest.raises(UnsafePath):
        open_source(ngff_spec(tmp_path, "img.zarr"))


def test_ngff_dataset_symlinked_outside_the_repository_is_read_like_an_in_place_import(tmp_path):
    root, outside = tmp_path / "repo", tmp_path / "outside"
    root.mkdir()
    write_ngff(str(outside), sample("uint8", shape=(1, 1, 1, 8, 8)), "0.4", chunks=(8, 8))
    write_ngff(str(root / "img.zarr"), sample("uint8", shape=(1, 1, 1, 8, 8)), "0.4", chunks=(8, 8))
    os.symlink(outside / "0", root / "img.zarr" / "out")
    _rewrite_first_path(root / "img.zarr", "out")
    with open_source(ngff_spec(root, "img.zarr")) as src:
        assert src.size_x == 8


@pytest.mark.parametrize("version", VERSIONS)
def test_bioformats2raw_layout_opens_the_requested_series(tmp_path, version):
    images = [sample("uint16", shape=(1, 2, 1, 30, 40), seed=1), sample("uint16", shape=(1, 1, 2, 20, 24), seed=2)]
    write_bioformats2raw(str(tmp_path / "plate.zarr"), images, version, chunks=(16, 16), levels=2)
    assert (tmp_path / "plate.zarr" / "OME" / "METADATA.ome.xml").is_file()
    for series, image in enumerate(images):
        with open_source(ngff_spec(tmp_path, "plate.zarr", series)) as src:
            assert_reads(src, levels_of(image, 2))
    with pytest.raises(NotFound):
        open_source(ngff_spec(tmp_path, "plate.zarr", 5))


@pytest.mark.parametrize("version", VERSIONS)
def test_label_images_open_as_sources(tmp_path, version):
    image = sample("uint8", shape=(1, 1, 1, 40, 40))
    labels = np.zeros((1, 1, 1, 40, 40), np.int64)
    labels[0, 0, 0, 5:20, 10:30] = 3
    labels[0, 0, 0, 30:, :] = 2**40
    path = str(tmp_path / "img.zarr")
    write_ngff(path, image, version, chunks=(16, 16), levels=2)
    write_ngff_labels(path, "cells", labels, version, chunks=(16, 16), levels=2)
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert src.label_names() == ["cells"]
        with src.open_label("cells") as label:
            assert label.pixel_type == "int64"
            assert_reads(label, [labels, labels[..., ::2, ::2]])
        with pytest.raises(UnsafePath):
            src.open_label("../x")


def test_int64_image_is_unsupported_but_wide_labels_are_fine(tmp_path):
    write_ngff(str(tmp_path / "img.zarr"), np.zeros((1, 1, 1, 8, 8), np.int64), "0.4", chunks=(8, 8))
    with pytest.raises(Unsupported):
        open_source(ngff_spec(tmp_path, "img.zarr"))


def test_group_without_multiscales_is_unsupported_and_missing_group_not_found(tmp_path):
    zarr.open_group(str(tmp_path / "empty.zarr"), mode="w", zarr_format=2)
    with pytest.raises(Unsupported):
        open_source(ngff_spec(tmp_path, "empty.zarr"))
    with pytest.raises(NotFound):
        open_source(ngff_spec(tmp_path, "absent.zarr"))


def test_big_endian_zarr_v2_reads_native(tmp_path):
    data = sample("uint16", shape=(1, 1, 1, 20, 20))
    write_ngff(str(tmp_path / "img.zarr"), data, "0.4", chunks=(8, 8))
    group = zarr.open_group(str(tmp_path / "img.zarr"), mode="r+")
    del group["0"]
    group.create_array("0", shape=data.shape, chunks=(1, 1, 1, 8, 8), dtype=">u2")[...] = data
    assert zarr.open_array(str(tmp_path / "img.zarr" / "0")).dtype.byteorder == ">"
    with open_source(ngff_spec(tmp_path, "img.zarr")) as src:
        assert_reads(src, [data])


# ---------------------------------------------------------------- S3 (moto server on loopback)


def _upload(local_dir, bucket, prefix, endpoint):
    import s3fs

    fs = s3fs.S3FileSystem(key="test", secret="test", client_kwargs={"endpoint_url": endpoint})
    if not fs.exists(bucket):
        fs.mkdir(bucket)
    fs.put(str(local_dir) + "/", f"{bucket}/{prefix}", recursive=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_ngff_on_s3_reads_like_local(tmp_path, s3_server, version):
    data = sample("uint16", shape=(1, 2, 2, 40, 50))
    data[0, 1, 1, :16, :16] = 0
    write_ngff(str(tmp_path / "img.zarr"), data, version, chunks=(16, 16), levels=2, omit_empty=True)
    bucket = f"bucket{version.replace('.', '')}"
    _upload(tmp_path / "img.zarr", bucket, "data/img.zarr", s3_server)
    options = S3Options(anonymous=False, endpoint_url=s3_server, key="test", secret="test", region="us-east-1")
    with open_source(SourceSpec("ngff", f"s3://{bucket}/data/img.zarr", "/unused"), s3=options) as src:
        assert src.version == version
        assert_reads(src, levels_of(data, 2), planes=[(0, 0, 0), (1, 1, 0)])
    with pytest.raises(NotFound):
        open_source(SourceSpec("ngff", f"s3://{bucket}/nothing.zarr", "/unused"), s3=options)


def test_s3_options_build_anonymous_or_credentialed_fsspec_options():
    assert S3Options().storage_options() == {"anon": True}
    opts = S3Options(anonymous=False, endpoint_url="http://127.0.0.1:9000", key="k", secret="s").storage_options()
    assert opts == {"anon": False, "key": "k", "secret": "s", "client_kwargs": {"endpoint_url": "http://127.0.0.1:9000"}}


def test_ngff_source_class_opens_a_local_folder_directly(tmp_path):
    data = sample("float", shape=(1, 1, 1, 16, 16))
    write_ngff(str(tmp_path / "img.zarr"), data, "0.5", chunks=(8, 8))
    with NgffSource(str(tmp_path / "img.zarr")) as src:
        np.testing.assert_array_equal(src.read_region(0, 0, 0, 0, 0, 0, 16, 16), data[0, 0, 0])
