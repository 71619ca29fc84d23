"""Write one (T, C, Z, Y, X) numpy array as each on-disk format the pixel sources read.

Lower resolution levels (NGFF, OME-TIFF) are made by :func:`downsample2`: the mean of each
2x2 block, rounded half up for integer types, the odd last row/column dropped, so level ``i``
is ``floor(size / 2**i)`` as OMERO's resolution descriptions assume. The OMERO pyramid keeps
its levels inside the JPEG-2000 codestreams instead (reference/renderer.md §6.4), so its
reduced levels are the wavelet's low-pass bands, not this mean.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import imagecodecs
import numpy as np
import tifffile
import zarr
import zarr.storage

AXES = "tczyx"


def downsample2(data: np.ndarray) -> np.ndarray:
    """Halve the last two axes by 2x2 block means (integers rounded half up), plane by plane."""
    h, w = data.shape[-2] // 2, data.shape[-1] // 2
    out = np.empty(data.shape[:-2] + (h, w), data.dtype)
    acc = np.int64 if data.dtype.itemsize >= 4 else np.int32
    for index in np.ndindex(data.shape[:-2]):
        plane = data[index][: 2 * h, : 2 * w]
        if data.dtype.kind in "iu":
            total = plane[0::2, 0::2].astype(acc) + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]
            out[index] = (total + 2) // 4
        else:
            total = plane[0::2, 0::2].astype(np.float64) + plane[1::2, 0::2] + plane[0::2, 1::2] + plane[1::2, 1::2]
            out[index] = total / 4
    return out


def _pyramid(data: np.ndarray, levels: int) -> list[np.ndarray]:
    """``data`` and its ``levels - 1`` halvings, stopping before a level would be empty."""
    out = [data]
    while len(out) < levels and min(out[-1].shape[-2:]) >= 2:
        out.append(downsample2(out[-1]))
    return out


def _check_5d(data: np.ndarray) -> np.ndarray:
    data = np.asarray(data)
    if data.ndim != 5:
        raise ValueError(f"expected a (T, C, Z, Y, X) array, got shape {data.shape}")
    return data


def _make_parent(path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def write_romio(path: str, data: np.ndarray) -> str:
    """OMERO's raw ``Pixels/<id>``: headerless, big-endian, XYZCT (X fastest) — C order of (T, C, Z, Y, X)."""
    data = _check_5d(data)
    _make_parent(path)
    np.ascontiguousarray(data, dtype=data.dtype.newbyteorder(">")).tofile(path)
    return path


# ---------------------------------------------------------------- NGFF


def _default_compressor(zarr_format: int):
    if zarr_format == 2:
        from numcodecs import Blosc

        return Blosc(cname="lz4", clevel=5, shuffle=Blosc.SHUFFLE)
    return zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle")


def _to_axes(level: np.ndarray, axes: str) -> np.ndarray:
    """(T, C, Z, Y, X) -> the array in ``axes`` order, dropping absent axes (which must have size 1)."""
    dropped = tuple(i for i, name in enumerate(AXES) if name not in axes)
    if any(level.shape[i] != 1 for i in dropped):
        raise ValueError(f"axes {axes!r} drop a dimension of size > 1 in {level.shape}")
    squeezed = level.squeeze(axis=dropped) if dropped else level
    kept = [name for name in AXES if name in axes]
    return squeezed.transpose([kept.index(name) for name in axes])


def _ngff_attrs(version: str, body: dict) -> dict:
    return {"ome": {"version": version, **body}} if version == "0.5" else body


def write_ngff(
    path: str,
    data: np.ndarray,
    version: str = "0.4",
    chunks: Sequence[int] = (256, 256),
    levels: int = 1,
    axes: str = AXES,
    dataset_paths: Sequence[str] | None = None,
    compressor: object = "default",
    omit_empty: bool = False,
    downsample_z: bool = False,
    labels: bool = False,
) -> str:
    """An NGFF multiscales image: 0.4 on zarr v2 or 0.5 on zarr v3, level i at ``dataset_paths[i]``.

    ``chunks`` is (y, x) (other axes chunked by 1) or one size per axis of ``axes``;
    ``omit_empty`` leaves chunks equal to the fill value (0) unwritten; ``downsample_z`` keeps
    every other Z plane at each lower level; ``labels`` halves by nearest sample (label values
    must not be averaged).
    """
    if version not in ("0.4", "0.5"):
        raise ValueError(f"NGFF version {version!r}")
    data = _check_5d(data)
    zarr_format = 2 if version == "0.4" else 3
    pyramid = [data]
    while len(pyramid) < levels and min(pyramid[-1].shape[-2:]) >= 2:
        last = pyramid[-1]
        h, w = last.shape[-2] // 2 * 2, last.shape[-1] // 2 * 2
        smaller = last[..., :h:2, :w:2] if labels else downsample2(last)
        pyramid.append(smaller[:, :, ::2] if downsample_z else smaller)
    paths = list(dataset_paths or [str(i) for i in range(len(pyramid))])[: len(pyramid)]
    if compressor == "default":
        compressor = _default_compressor(zarr_format)
    store = zarr.storage.LocalStore(path)
    group = zarr.open_group(store, mode="w", zarr_format=zarr_format)
    datasets = []
    for level, (array, name) in enumerate(zip(pyramid, paths)):
        stored = _to_axes(array, axes)
        chunk = tuple(chunks) if len(chunks) == len(axes) else tuple(
            {"y": chunks[0], "x": chunks[1]}.get(a, 1) for a in axes
        )
        chunk = tuple(min(c, s) for c, s in zip(chunk, stored.shape))
        extra = {"dimension_names": list(axes)} if zarr_format == 3 else {}
        target = group.create_array(
            name,
            shape=stored.shape,
            chunks=chunk,
            dtype=stored.dtype,
            compressors=compressor,
            fill_value=0,
            config={"write_empty_chunks": not omit_empty},
            **extra,
        )
        target[...] = stored
        scale = [{"x": 2.0**level, "y": 2.0**level, "z": (2.0**level if downsample_z else 1.0)}.get(a, 1.0) for a in axes]
        datasets.append({"path": name, "coordinateTransformations": [{"type": "scale", "scale": scale}]})
    types = {"t": "time", "c": "channel", "z": "space", "y": "space", "x": "space"}
    multiscale = {"name": os.path.basename(path.rstrip("/")), "axes": [{"name": a, "type": types[a]} for a in axes], "datasets": datasets}
    if version == "0.4":
        multiscale["version"] = "0.4"
    group.attrs.update(_ngff_attrs(version, {"multiscales": [multiscale]}))
    return path


def write_ngff_labels(image_path: str, name: str, labels: np.ndarray, version: str = "0.4", **kwargs) -> str:
    """A label image ``<image>/labels/<name>`` (and the ``labels`` group listing it)."""
    zarr_format = 2 if version == "0.4" else 3
    labels_path = os.path.join(image_path, "labels")
    group = zarr.open_group(zarr.storage.LocalStore(labels_path), mode="a", zarr_format=zarr_format)
    names = list(group.attrs.asdict().get("ome", group.attrs.asdict()).get("labels", []))
    group.attrs.update(_ngff_attrs(version, {"labels": [*names, name]}))
    label_path = write_ngff(os.path.join(labels_path, name), labels, version, labels=True, **kwargs)
    label_group = zarr.open_group(zarr.storage.LocalStore(label_path), mode="r+")
    attrs = label_group.attrs.asdict()
    meta = attrs["ome"] if version == "0.5" else attrs
    meta["image-label"] = {"version": version, "source": {"image": "../../"}}
    label_group.attrs.update(attrs)
    return label_path


def write_bioformats2raw(path: str, images: Sequence[np.ndarray], version: str = "0.4", **kwargs) -> str:
    """A bioformats2raw layout: root attribute ``bioformats2raw.layout: 3``, ``OME/METADATA.ome.xml``, series ``<n>/``."""
    zarr_format = 2 if version == "0.4" else 3
    root = zarr.open_group(zarr.storage.LocalStore(path), mode="w", zarr_format=zarr_format)
    root.attrs.update(_ngff_attrs(version, {"bioformats2raw.layout": 3}))
    ome = tifffile.OmeXml()
    for index, image in enumerate(images):
        image = _check_5d(image)
        t, c, z, y, x = image.shape
        ome.addimage(image.dtype, image.shape, (t * c * z, 1, 1, y, x, 1), axes="TCZYX")
        write_ngff(os.path.join(path, str(index)), image, version, **kwargs)
    zarr.open_group(zarr.storage.LocalStore(os.path.join(path, "OME")), mode="w", zarr_format=zarr_format)
    with open(os.path.join(path, "OME", "METADATA.ome.xml"), "w", encoding="utf-8") as handle:
        handle.write(ome.tostring(declaration=True))
    return path


# ---------------------------------------------------------------- TIFF


def _tiff_tile(tile: Sequence[int], height: int, width: int) -> tuple[int, int]:
    """(rows, columns) of a tile no larger than needed, in multiples of 16 as TIFF requires."""
    def fit(n: int, size: int) -> int:
        return min(n, -(-size // 16) * 16)

    return fit(tile[1], height), fit(tile[0], width)


def write_ome_tiff(
    path: str,
    data: np.ndarray | Sequence[np.ndarray],
    tile: Sequence[int] = (256, 256),
    levels: int = 1,
    compression: str | None = None,
) -> str:
    """An OME-TIFF (BigTIFF), one series per array, lower levels in SubIFDs; ``tile`` is (w, h)."""
    images = [data] if isinstance(data, np.ndarray) else list(data)
    _make_parent(path)
    with tifffile.TiffWriter(path, bigtiff=True, ome=True) as tif:
        for image in images:
            pyramid = _pyramid(_check_5d(image), levels)
            options = {"compression": compression, "photometric": "minisblack"}
            tif.write(
                pyramid[0],
                subifds=len(pyramid) - 1,
                tile=_tiff_tile(tile, *pyramid[0].shape[-2:]),
                metadata={"axes": "TCZYX"},
                **options,
            )
            for level in pyramid[1:]:
                tif.write(level, subfiletype=1, tile=_tiff_tile(tile, *level.shape[-2:]), **options)
    return path


def omero_pyramid_resolutions(tile_w: int, tile_h: int) -> int:
    """6 resolutions (5 decompositions, the JAI default) for OMERO's 256-pixel tiles.

    imagecodecs' encoder keeps the smallest resolution at least 8 pixels, so smaller tiles
    get fewer (64 -> 4, 32 -> 3).
    """
    return max(1, min(6, int(math.log2(min(tile_w, tile_h))) - 2))


def write_omero_pyramid(path: str, data: np.ndarray, tile: Sequence[int] = (256, 256), threads: int | None = None) -> str:
    """``<id>_pyramid`` as OMERO writes it: BigTIFF, one IFD per plane (t, c, z order), lossless
    JPEG-2000 tiles (compression 33003) whose codestreams hold the lower resolutions.

    8- and 16-bit pixel types only (what OMERO's JPEG-2000 writer produces); ``tile`` is (w, h),
    shrunk to the image in multiples of 16 (OMERO uses ``min(size, 256)``; TIFF writers here
    need multiples of 16). Edge tiles are zero-padded to the full tile size.
    """
    data = _check_5d(data)
    if data.dtype.itemsize > 2 or data.dtype.kind not in "iu":
        raise ValueError(f"OMERO pyramids hold 8/16-bit integers, not {data.dtype}")
    planes = data.reshape(-1, *data.shape[-2:])
    height, width = planes.shape[-2:]
    th, tw = _tiff_tile(tile, height, width)
    resolutions = omero_pyramid_resolutions(tw, th)

    def encode(args: tuple[int, int, int]) -> bytes:
        p, y, x = args
        block = np.zeros((th, tw), planes.dtype)
        part = planes[p, y : y + th, x : x + tw]
        block[: part.shape[0], : part.shape[1]] = part
        return imagecodecs.jpeg2k_encode(block, level=0, codecformat="J2K", reversible=True, resolutions=resolutions, mct=False)

    _make_parent(path)
    jobs = [(p, y, x) for p in range(len(planes)) for y in range(0, height, th) for x in range(0, width, tw)]
    with ThreadPoolExecutor(threads or os.cpu_count() or 1) as pool:
        tiles = pool.map(encode, jobs)
        with tifffile.TiffWriter(path, bigtiff=True) as tif:
            tif.write(
                tiles,
                shape=planes.shape,
                dtype=planes.dtype,
                tile=(th, tw),
                compression=33003,
                photometric="minisblack",
                description="OmeroPixelsPyramid v1.0.0",
                metadata=None,
            )
    return path
