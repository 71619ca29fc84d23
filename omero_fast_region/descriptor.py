"""ImageDescriptor: everything the service needs to know of one image, from either catalog.

Built by a catalog backend (``catalog.local`` from a JSON file, ``catalog.ice`` from OMERO),
cached per OMERO session, and handed to the service. Plain data: no Django, no omero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .render.model import ChannelInfo, PixelsInfo, RenderingDef

SOURCE_FORMATS = ("romio", "pyramid", "ngff", "tiff")


@dataclass(frozen=True)
class SourceSpec:
    """Where an image's pixels live.

    ``path`` is absolute and already checked to lie under ``root`` (or an ``s3://`` URL for
    NGFF). ``series`` selects the image inside a multi-image file (TIFF series, bioformats2raw
    series). ``pixels`` is needed by formats without their own header (``romio``).
    """

    format: str
    path: str
    root: str
    series: int = 0
    pixels: PixelsInfo | None = None


@dataclass(frozen=True)
class ImageDescriptor:
    """One image: identity, pixels, channels, rendering definitions, pixel location."""

    id: int
    name: str
    pixels: PixelsInfo
    channels: tuple[ChannelInfo, ...]
    source: SourceSpec
    rendering: RenderingDef | None = None  # None: no rendering definition yet
    pixels_id: int | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    group_id: int | None = None
    group_name: str | None = None
    permissions: dict = field(default_factory=dict, compare=False, hash=False)
    physical_size: tuple[float | None, float | None, float | None] = (None, None, None)  # x, y, z in µm
    acquisition_date: str | None = None
    description: str | None = None
    dataset: dict | None = field(default=None, compare=False, hash=False)
    rendering_defs: tuple[RenderingDef, ...] = ()  # all the user can choose from (rdefId)
    version: str = ""  # changes when the pixel data or settings change (ETag component)
    # imgData extras (optional; marshal.imageMarshal, omero-web.md §7)
    archived: bool = False
    creation_date: str | None = None  # ISO 8601, or epoch seconds; imageTimestamp without acquisition_date
    project: dict | None = field(default=None, compare=False, hash=False)  # {"id", "name", "description"}
    well_id: int | None = None
    nominal_magnification: float | None = None


@dataclass(frozen=True)
class MaskDescriptor:
    """One Mask shape: packed bits (inline ``bytes`` as OMERO returns ``Mask.bytes``, or a
    ``bytes_path`` file) or an NGFF label image (``label_path``).

    ``fill_color`` is OMERO's packed RGBA int (``r<<24|g<<16|b<<8|a``, signed or not), None for
    the default opaque yellow. ``x``/``y``/``width``/``height`` place the mask on its image.
    """

    id: int
    image_id: int
    x: float = 0.0
    y: float = 0.0
    width: int = 0
    height: int = 0
    bytes_path: str | None = None
    label_path: str | None = None
    root: str = ""
    fill_color: int | None = None
    the_z: int | None = None
    the_t: int | None = None
    the_c: int | None = None
    uuid: str | None = None
    bytes: bytes | None = field(default=None, repr=False)  # inline packed bits (ice catalog)
