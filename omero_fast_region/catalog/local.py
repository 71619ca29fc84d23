"""The local catalog: images described by one JSON file (DESIGN.md §5, a contract).

Paths are relative to the catalog file's folder and may not leave it. ``pixels`` is required
for ``romio`` and, for formats that carry their own header, must agree with the file when
given. ``rendering`` may be absent: OMERO's defaults are then computed (renderer.md §5).
Every problem is a :class:`CatalogError` whose message names the image and the problem.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from ..descriptor import SOURCE_FORMATS, ImageDescriptor, MaskDescriptor, SourceSpec
from ..errors import CatalogError, FastRegionError, NotFound, UnsafePath
from ..pixels import open_source, resolve_under
from ..render import default_rendering
from ..render.model import PIXEL_TYPES, ChannelInfo, ChannelSettings, PixelsInfo, RenderingDef, RenderSettings
from .base import Catalog

PIXEL_FIELDS = ("size_x", "size_y", "size_z", "size_c", "size_t")


class LocalCatalog(Catalog):
    """All images of one catalog file, validated and described once at load time."""

    def __init__(self, path: str) -> None:
        self.path = os.path.abspath(path)
        self.root = os.path.dirname(self.path)
        self.images: dict[int, ImageDescriptor] = {}
        self.masks: dict[int, MaskDescriptor] = {}
        self._lut_dirs: list[str] = []
        self._load()

    # -- Catalog API ---------------------------------------------------------------------
    def get_image(self, image_id: int, context: Any = None) -> ImageDescriptor:
        try:
            return self.images[int(image_id)]
        except (KeyError, ValueError):
            raise NotFound(f"Cannot find Image:{image_id}") from None

    def get_mask(self, shape_id: int, context: Any = None) -> MaskDescriptor:
        """The mask shape ``shape_id`` (optional ``"masks"`` list, docs/catalog.md)."""
        try:
            return self.masks[int(shape_id)]
        except (KeyError, ValueError):
            raise NotFound(f"Cannot render Mask:{shape_id}") from None

    def image_ids(self, context: Any = None) -> list[int]:
        return sorted(self.images)

    def lut_dirs(self) -> list[str]:
        return list(self._lut_dirs)

    # -- loading -------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except FileNotFoundError:
            raise CatalogError(f"catalog {self.path}: file not found") from None
        except (OSError, ValueError) as exc:
            raise CatalogError(f"catalog {self.path}: not valid JSON ({exc})") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("images"), list):
            raise CatalogError(f"catalog {self.path}: expected an object with an 'images' list")
        for entry in doc.get("luts") or []:
            self._lut_dirs.append(self._resolve(entry, "catalog", "luts folder"))
        for index, entry in enumerate(doc["images"]):
            descriptor = self._describe(index, entry)
            if descriptor.id in self.images:
                raise CatalogError(f"image {descriptor.id}: duplicate id")
            self.images[descriptor.id] = descriptor
        for index, entry in enumerate(doc.get("masks") or []):
            mask = self._describe_mask(index, entry)
            if mask.id in self.masks:
                raise CatalogError(f"mask {mask.id}: duplicate id")
            self.masks[mask.id] = mask

    def _resolve(self, relative: Any, who: str, what: str) -> str:
        if not isinstance(relative, str) or not relative:
            raise CatalogError(f"{who}: {what} must be a non-empty string")
        try:
            return resolve_under(self.root, relative)
        except UnsafePath:
            raise CatalogError(f"{who}: {what} {relative!r} leaves the catalog's folder {self.root}") from None

    def _describe_mask(self, index: int, entry: Any) -> MaskDescriptor:
        """One ``masks`` entry: packed bits in ``bytes_path``, or ``label`` = a label of the image's NGFF ``labels/``."""
        if not isinstance(entry, dict):
            raise CatalogError(f"mask #{index}: expected an object")
        try:
            mask_id, image_id = int(entry["id"]), int(entry["image_id"])
        except (KeyError, TypeError, ValueError):
            raise CatalogError(f"mask #{index}: needs integer 'id' and 'image_id'") from None
        who = f"mask {mask_id}"
        image = self.images.get(image_id)
        if image is None:
            raise CatalogError(f"{who}: image {image_id} is not in the catalog")
        bytes_path = label_path = None
        if entry.get("label") is not None:
            label_path = self._label_path(who, image, entry["label"])
        else:
            bytes_path = self._resolve(entry.get("bytes_path"), who, "bytes_path")
            if not os.path.isfile(bytes_path):
                raise CatalogError(f"{who}: bytes_path {entry.get('bytes_path')!r} not found")
        try:
            return MaskDescriptor(
                id=mask_id, image_id=image_id,
                x=float(entry.get("x", 0)), y=float(entry.get("y", 0)),
                width=int(entry.get("width", 0)), height=int(entry.get("height", 0)),
                bytes_path=bytes_path, label_path=label_path, root=self.root,
                fill_color=None if entry.get("fill_color") is None else int(entry["fill_color"]),
                the_z=_opt_int(entry.get("the_z")), the_t=_opt_int(entry.get("the_t")), the_c=_opt_int(entry.get("the_c")),
                uuid=entry.get("uuid"),
            )
        except (TypeError, ValueError) as exc:
            raise CatalogError(f"{who}: invalid entry ({exc})") from None

    def _label_path(self, who: str, image: ImageDescriptor, name: Any) -> str:
        if image.source.format != "ngff":
            raise CatalogError(f"{who}: 'label' needs an NGFF image, image {image.id} is {image.source.format}")
        try:
            with open_source(image.source) as src:
                location = os.path.join(src.image_location, "labels", str(name))
        except FastRegionError as exc:
            raise CatalogError(f"{who}: cannot open image {image.id}: {exc.message}") from None
        path = self._resolve(location, who, "label")
        if not os.path.isdir(path):
            raise CatalogError(f"{who}: no label {name!r} in image {image.id}'s labels group")
        return path

    def _describe(self, index: int, entry: Any) -> ImageDescriptor:
        if not isinstance(entry, dict):
            raise CatalogError(f"image #{index}: expected an object")
        try:
            image_id = int(entry["id"])
        except (KeyError, TypeError, ValueError):
            raise CatalogError(f"image #{index}: missing or non-integer 'id'") from None
        who = f"image {image_id}" + (f" ({entry['name']})" if entry.get("name") else "")
        try:
            return self._describe_checked(image_id, who, entry)
        except CatalogError:
            raise
        except FastRegionError as exc:
            raise CatalogError(f"{who}: {exc.message}") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise CatalogError(f"{who}: invalid entry ({exc.__class__.__name__}: {exc})") from None

    def _describe_checked(self, image_id: int, who: str, entry: dict) -> ImageDescriptor:
        source = entry.get("source")
        if not isinstance(source, dict):
            raise CatalogError(f"{who}: missing 'source'")
        fmt = source.get("format")
        if fmt not in SOURCE_FORMATS:
            raise CatalogError(f"{who}: unknown source format {fmt!r} (expected one of {', '.join(SOURCE_FORMATS)})")
        path = self._resolve(source.get("path"), who, "source path")
        if not os.path.exists(path):
            raise CatalogError(f"{who}: source file {source.get('path')!r} not found")
        declared = _parse_pixels(who, entry.get("pixels"), required=(fmt == "romio"))
        spec = SourceSpec(format=fmt, path=path, root=self.root, series=int(source.get("series", 0)), pixels=declared)
        pixels, plane_minmax = _inspect_source(who, spec, declared)
        channels = _parse_channels(who, entry.get("channels"), pixels.size_c)
        if entry.get("rendering") is not None:
            rendering = _parse_rendering(who, entry["rendering"], pixels)
        else:
            rendering = default_rendering(pixels, channels, plane_minmax)
        version = hashlib.sha1(
            json.dumps([entry, os.stat(path).st_mtime_ns], sort_keys=True, default=str).encode()
        ).hexdigest()[:16]
        return ImageDescriptor(
            id=image_id,
            name=str(entry.get("name") or f"image {image_id}"),
            pixels=pixels,
            channels=channels,
            source=spec,
            rendering=rendering,
            pixels_id=image_id,
            rendering_defs=(rendering,),
            physical_size=tuple(entry.get("physical_size") or (None, None, None)),  # type: ignore[arg-type]
            version=version,
        )


def _parse_pixels(who: str, raw: Any, required: bool) -> PixelsInfo | None:
    if raw is None:
        if required:
            raise CatalogError(f"{who}: 'pixels' is required for format romio")
        return None
    if not isinstance(raw, dict):
        raise CatalogError(f"{who}: 'pixels' must be an object")
    ptype = raw.get("type")
    if ptype not in PIXEL_TYPES:
        raise CatalogError(f"{who}: unknown pixel type {ptype!r}")
    sizes = {}
    for name in PIXEL_FIELDS:
        value = raw.get(name, 1 if name in ("size_z", "size_c", "size_t") else None)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CatalogError(f"{who}: pixels.{name} must be a positive integer, got {value!r}")
        sizes[name] = value
    bits = raw.get("significant_bits")
    if bits is not None and (not isinstance(bits, int) or bits < 1):
        raise CatalogError(f"{who}: pixels.significant_bits must be a positive integer or null")
    return PixelsInfo(pixel_type=ptype, significant_bits=bits, **sizes)


def _inspect_source(who: str, spec: SourceSpec, declared: PixelsInfo | None) -> tuple[PixelsInfo, list | None]:
    """Open the file once: check it against ``declared`` and find OMERO's default-window min/max."""
    try:
        with open_source(spec) as src:
            found = PixelsInfo(
                pixel_type=src.pixel_type, size_x=src.size_x, size_y=src.size_y,
                size_z=src.size_z, size_c=src.size_c, size_t=src.size_t,
                significant_bits=declared.significant_bits if declared else None,
            )
            if declared is not None:
                for name in ("pixel_type",) + PIXEL_FIELDS:
                    if getattr(declared, name) != getattr(found, name):
                        raise CatalogError(
                            f"{who}: pixels.{name.replace('pixel_type', 'type')} is {getattr(declared, name)!r} "
                            f"but the file has {getattr(found, name)!r}"
                        )
            return found, _plane_minmax(src)
    except CatalogError:
        raise
    except FastRegionError as exc:
        raise CatalogError(f"{who}: cannot read {spec.format} source: {exc.message}") from None
    except OSError as exc:
        raise CatalogError(f"{who}: cannot read {spec.format} source: {exc}") from None


def _plane_minmax(src) -> list | None:
    """``RawPixelsStore.findMinMax``: per channel min/max of the middle plane; none for pyramids."""
    if len(src.levels) > 1:
        return None
    z, t = (src.size_z - 1) // 2, (src.size_t - 1) // 2
    result = []
    for c in range(src.size_c):
        plane = src.read_region(z, c, t, 0, 0, 0, src.size_x, src.size_y)
        result.append((float(plane.min()), float(plane.max())))
    return result


def _parse_channels(who: str, raw: Any, size_c: int) -> tuple[ChannelInfo, ...]:
    raw = raw or []
    if not isinstance(raw, list) or len(raw) > size_c:
        raise CatalogError(f"{who}: 'channels' must be a list of at most size_c={size_c} entries")
    channels = []
    for i in range(size_c):
        item = raw[i] if i < len(raw) else {}
        stats = item.get("stats")
        if stats is not None:
            if not (isinstance(stats, list) and len(stats) == 2):
                raise CatalogError(f"{who}: channels[{i}].stats must be [min, max] or null")
            stats = (float(stats[0]), float(stats[1]))
        channels.append(ChannelInfo(
            label=item.get("label"),
            emission_wavelength=_opt_float(item.get("emission_wavelength")),
            excitation_wavelength=_opt_float(item.get("excitation_wavelength")),
            stats=stats,
            rgba=tuple(item["rgba"]) if item.get("rgba") else None,  # type: ignore[arg-type]
            lut=item.get("lut"),
        ))
    return tuple(channels)


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _parse_rendering(who: str, raw: Any, pixels: PixelsInfo) -> RenderingDef:
    if not isinstance(raw, dict):
        raise CatalogError(f"{who}: 'rendering' must be an object")
    quant = raw.get("quantization") or {}
    chans = raw.get("channels") or []
    if len(chans) != pixels.size_c:
        raise CatalogError(f"{who}: rendering.channels has {len(chans)} entries, the image has {pixels.size_c} channels")
    settings_channels = []
    for i, ch in enumerate(chans):
        window = ch.get("window", [0, 255])
        rgba = ch.get("rgba", [255, 255, 255, 255])
        if len(window) != 2 or len(rgba) != 4:
            raise CatalogError(f"{who}: rendering.channels[{i}] needs window [start, end] and rgba [r, g, b, a]")
        settings_channels.append(ChannelSettings(
            active=bool(ch.get("active", True)),
            window=(float(window[0]), float(window[1])),
            rgba=tuple(int(v) for v in rgba),  # type: ignore[arg-type]
            family=str(ch.get("family", "linear")),
            coefficient=float(ch.get("coefficient", 1.0)),
            noise_reduction=bool(ch.get("noise_reduction", False)),
            lut=ch.get("lut"),
            reverse=bool(ch.get("reverse", False)),
        ))
    model = raw.get("model", "rgb")
    if model not in ("rgb", "greyscale"):
        raise CatalogError(f"{who}: rendering.model must be 'rgb' or 'greyscale'")
    settings = RenderSettings(
        model=model,
        channels=tuple(settings_channels),
        bit_resolution=int(quant.get("bit_resolution", 255)),
        cd_start=int(quant.get("cd_start", 0)),
        cd_end=int(quant.get("cd_end", 255)),
    )
    default_z = int(raw.get("default_z", pixels.size_z // 2))
    default_t = int(raw.get("default_t", 0))
    if not (0 <= default_z < pixels.size_z and 0 <= default_t < pixels.size_t):
        raise CatalogError(f"{who}: rendering default_z/default_t outside the image")
    return RenderingDef(settings=settings, default_z=default_z, default_t=default_t)
