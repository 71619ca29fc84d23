"""OME-NGFF images (0.4 on zarr v2, 0.5 on zarr v3), local or on S3 (reference §7).

The location is the multiscales group, or a bioformats2raw root whose series ``<n>/`` is
the image. Dataset paths are used as written (checked: no ``..``, not absolute, and for local
folders kept under the repository root). Missing chunks read as the fill value (zarr does
this). Label images (``labels/<name>``) open as sources of their own with :meth:`open_label`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import zarr
import zarr.errors

from ..errors import FastRegionError, NotFound, Unsupported
from . import ngff_format
from .arrays import ChunkedArraySource
from .greenlets import run_blocking
from .handles import Handle
from .paths import check_relative, resolve_under
from .stores import S3Options, is_s3, join_location, open_store


@contextmanager
def _closed_on_error(store: object, location: str) -> Iterator[None]:
    """Close ``store`` when the block fails: a missing dataset (``KeyError``) is NotFound, malformed
    metadata (``.zarray``, ``zarr.json``, attributes: any other non-FastRegionError) Unsupported."""
    try:
        yield
    except BaseException as exc:
        store.close()  # type: ignore[attr-defined]
        if isinstance(exc, KeyError):
            raise NotFound(f"{location}: missing dataset {exc}") from None
        if isinstance(exc, Exception) and not isinstance(exc, FastRegionError):
            raise Unsupported(f"cannot open {location}: {type(exc).__name__}: {exc}") from None
        raise


class NgffSource(ChunkedArraySource):
    """One NGFF multiscales image; level i is ``datasets[i]``."""

    def __init__(
        self,
        location: str,
        series: int = 0,
        s3: S3Options | None = None,
        root: str | None = None,
        *,
        label: bool = False,
    ) -> None:
        self.location = location
        self.series = series
        self.root = root
        self.s3 = s3
        self._allow_wide = label  # label images may be int64/uint64
        self.version = ""
        handle = Handle(lambda: run_blocking(self._open_levels), lambda opened: opened.store.close())
        opened = handle.open()
        self._init_levels(handle, [opened.multiscale.axes] * len(opened))

    def _checked(self, *parts: str) -> str:
        """``location/parts``, each part a safe relative path, kept under the root when local."""
        location = join_location(self.location, *(check_relative(p) for p in parts))
        if self.root and not is_s3(location):
            location = resolve_under(self.root, location)
        return location

    def _open_group(self, location: str) -> tuple[zarr.Group, object]:
        store = open_store(location, self.s3)
        try:
            return zarr.open_group(store=store, mode="r"), store
        except (FileNotFoundError, zarr.errors.GroupNotFoundError, zarr.errors.NodeTypeValidationError) as exc:
            store.close()
            raise NotFound(f"no NGFF group at {location}: {exc}") from None
        except Exception as exc:
            store.close()
            raise Unsupported(f"cannot open {location}: {exc}") from None

    def _image_location(self) -> tuple[str, zarr.Group, object]:
        location = self.location
        group, store = self._open_group(location)
        with _closed_on_error(store, location):
            attrs = group.attrs.asdict()
            relocate = ngff_format.read_multiscale(attrs) is None and ngff_format.bioformats2raw_layout(attrs) is not None
        if relocate:
            store.close()
            location = self._checked(str(self.series))
            group, store = self._open_group(location)
        return location, group, store

    def _open_levels(self) -> "_OpenNgff":
        location, group, store = self._image_location()
        with _closed_on_error(store, location):
            attrs = group.attrs.asdict()
            multiscale = ngff_format.read_multiscale(attrs)
            if multiscale is None:
                kind = "a plate" if ngff_format.is_plate(attrs) else "not an NGFF image"
                raise Unsupported(f"{location} is {kind}")
            if self.root and not is_s3(location):
                for path in multiscale.paths:
                    resolve_under(self.root, os.path.join(location, check_relative(path)))
            arrays = [group[check_relative(path)] for path in multiscale.paths]
            if not all(isinstance(a, zarr.Array) for a in arrays):
                raise Unsupported(f"{location}: a dataset path is not an array")
            self.version = multiscale.version
            self.image_location = location
            return _OpenNgff(store, multiscale, arrays)

    def label_names(self) -> list[str]:
        """Names in the image's ``labels`` group (empty if it has none)."""
        return run_blocking(self._label_names)

    def _label_names(self) -> list[str]:
        try:
            group, store = self._open_group(join_location(self.image_location, "labels"))
        except NotFound:
            return []
        try:
            return ngff_format.label_names(group.attrs.asdict())
        finally:
            store.close()

    def open_label(self, name: str) -> "NgffSource":
        """The label image ``labels/<name>`` as a source (its own levels, integer types up to 64 bit)."""
        location = join_location(self.image_location, "labels", check_relative(name))
        if self.root and not is_s3(location):
            location = resolve_under(self.root, location)
        return NgffSource(location, s3=self.s3, root=self.root, label=True)


class _OpenNgff(list):
    """The level arrays of an open NGFF image, holding their store."""

    def __init__(self, store: object, multiscale: ngff_format.Multiscale, arrays: list) -> None:
        super().__init__(arrays)
        self.store = store
        self.multiscale = multiscale
