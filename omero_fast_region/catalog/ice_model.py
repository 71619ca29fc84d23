"""ImageDescriptor from the ``omero.model`` objects one metadata query returns (no omero import).

Works on the graph fetched by :data:`catalog.ice.IMAGE_QUERY`: Image -> Pixels (type, channels
with logical channel and stats, rendering definitions with quantum def, model, bindings,
families and codomain maps) -> ExternalInfo / Fileset. Rendering-definition selection follows
OMERO (renderer.md §5 "Which RenderingDef is used"): the requester's own, else the image owner's.
Pixel location follows ``PixelsService`` (renderer.md §6.1, §7): NGFF ExternalInfo, then the
``_pyramid`` file, then the imported original (one TIFF file, or the TIFF of an OME-TIFF set
its companion names, :mod:`catalog.filesets`), then ROMIO ``Pixels/<id>``.
Every local path goes through :func:`pixels.resolve_under`.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import unquote, urlsplit

from ..descriptor import ImageDescriptor, MaskDescriptor, SourceSpec
from ..errors import UnsafePath, Unsupported
from ..pixels import open_source, resolve_under, romio_path
from ..render.model import ChannelInfo, ChannelSettings, PixelsInfo, RenderingDef, RenderSettings
from .filesets import locate_tiff

NGFF_ENTITY_TYPE = "com.glencoesoftware.ngff:multiscales"
NGFF_ENTITY_ID = 3


def val(value: Any) -> Any:
    """The Python value of an ``omero.RType`` (or None), like ``omero.rtypes.unwrap`` one level deep."""
    if value is None:
        return None
    return value.getValue() if hasattr(value, "getValue") and hasattr(value, "val") else value


def enum_value(obj: Any) -> str | None:
    """``PixelsType``/``Family``/``RenderingModel``: their ``value`` string (None if unset)."""
    return None if obj is None else val(obj.getValue())


def _id(obj: Any) -> int | None:
    return None if obj is None else val(obj.getId())


def owner_id(obj: Any) -> int | None:
    details = obj.getDetails()
    return None if details is None else _id(details.getOwner())


def _rgba(obj: Any) -> tuple[int, int, int, int] | None:
    parts = [val(obj.getRed()), val(obj.getGreen()), val(obj.getBlue()), val(obj.getAlpha())]
    return None if any(p is None for p in parts) else tuple(int(p) for p in parts)  # type: ignore[return-value]


def _length(length: Any) -> float | None:
    """A ``Length`` in micrometres (wavelengths: the raw value, as OMERO's colour rules use it)."""
    if length is None:
        return None
    return float(val(length.getValue()))


def _micrometres(length: Any, to_micrometres: Callable[[Any], float] | None) -> float | None:
    if length is None:
        return None
    return to_micrometres(length) if to_micrometres else float(val(length.getValue()))


# -- rendering definitions ---------------------------------------------------------------------


def rendering_def(rdef: Any) -> RenderingDef:
    """One ``omero.model.RenderingDef`` (bindings, quantum def, model loaded) as a RenderingDef."""
    quantum = rdef.getQuantization()
    channels = []
    for binding in rdef.copyWaveRendering():
        maps = binding.copySpatialDomainEnhancement() if binding.sizeOfSpatialDomainEnhancement() >= 0 else []
        reverse = any(type(m).__name__.startswith("ReverseIntensityContext") and bool(val(m.getReverse()))
                      for m in maps)
        channels.append(ChannelSettings(
            active=bool(val(binding.getActive())),
            window=(float(val(binding.getInputStart())), float(val(binding.getInputEnd()))),
            rgba=_rgba(binding) or (255, 255, 255, 255),
            family=enum_value(binding.getFamily()) or "linear",
            coefficient=float(val(binding.getCoefficient())),
            noise_reduction=bool(val(binding.getNoiseReduction())),
            lut=val(binding.getLookupTable()) or None,
            reverse=reverse,
        ))
    model = enum_value(rdef.getModel())
    settings = RenderSettings(
        model="greyscale" if model == "greyscale" else "rgb",
        channels=tuple(channels),
        bit_resolution=int(val(quantum.getBitResolution())),
        cd_start=int(val(quantum.getCdStart())),
        cd_end=int(val(quantum.getCdEnd())),
    )
    return RenderingDef(
        settings=settings,
        default_z=int(val(rdef.getDefaultZ()) or 0),
        default_t=int(val(rdef.getDefaultT()) or 0),
        id=_id(rdef),
        owner_id=owner_id(rdef),
        extra={"name": val(rdef.getName())} if rdef.getName() is not None else {},
    )


def _updated(rdef: Any) -> int:
    event = rdef.getDetails().getUpdateEvent()
    try:
        return int(val(event.getTime())) if event is not None and event.isLoaded() else 0
    except Exception:  # an unloaded event proxy
        return 0


def select_rendering_def(rdefs: Sequence[Any], user_id: int | None, image_owner_id: int | None) -> Any | None:
    """OMERO's choice: the requester's most recently updated rdef, else the image owner's, else None."""
    for wanted in (user_id, image_owner_id):
        if wanted is None:
            continue
        mine = [r for r in rdefs if owner_id(r) == wanted]
        if mine:
            return max(mine, key=lambda r: (_updated(r), _id(r) or 0))
    return None


# -- pixel location ----------------------------------------------------------------------------


def _safe(root: str, path: str) -> str | None:
    try:
        return resolve_under(root, path)
    except UnsafePath:
        return None


def ngff_location(external_info: Any, data_dir: str, ngff_roots: Iterable[str], s3_endpoint: str = "") -> tuple[str, str] | None:
    """``(location, root)`` of an NGFF ExternalInfo (entityType/entityId as ZarrPixelsService), else None.

    Local paths must lie under ``data_dir`` or one of ``ngff_roots``; an ``s3://<endpoint>/<bucket>/…``
    URI must name the configured S3 endpoint (or AWS when none is set). Anything else is Unsupported.
    """
    if external_info is None or not external_info.isLoaded():
        return None
    if val(external_info.getEntityType()) != NGFF_ENTITY_TYPE or val(external_info.getEntityId()) != NGFF_ENTITY_ID:
        return None
    lsid = val(external_info.getLsid())
    if not lsid:
        return None
    if lsid.startswith("s3://"):
        return _s3_location(lsid, s3_endpoint), ""
    path = unquote(lsid[len("file://"):]) if lsid.startswith("file://") else lsid
    for root in (data_dir, *ngff_roots):
        if root and os.path.isabs(root):
            safe = _safe(root, path)
            if safe is not None:
                return safe, os.path.normpath(root)
    raise Unsupported("the NGFF location is outside data_dir and ngff_roots")


def _s3_location(lsid: str, s3_endpoint: str) -> str:
    """``s3://<endpoint>/<bucket>/<key>`` (OMERO's form) -> ``s3://<bucket>/<key>`` for our S3 options."""
    parts = urlsplit(lsid)
    host = parts.netloc.lower()
    configured = urlsplit(s3_endpoint).netloc.lower() if s3_endpoint else ""
    is_aws = host == "s3.amazonaws.com" or (host.startswith("s3.") and host.endswith(".amazonaws.com"))
    if not (host == configured or (not configured and is_aws)):
        raise Unsupported("the NGFF S3 endpoint is not the configured s3_endpoint")
    bucket_key = unquote(parts.path).lstrip("/")
    if "/" not in bucket_key:
        raise Unsupported("malformed NGFF S3 location")
    return "s3://" + bucket_key


def locate_pixels(
    image: Any, pixels: PixelsInfo, pixels_id: int, data_dir: str, ngff_roots: Iterable[str] = (),
    s3_endpoint: str = "", fileset_files: Callable[[int], list[tuple[str, str]]] | None = None,
    managed_dir: str = "",
) -> SourceSpec:
    """Where the pixels of ``image`` live, in PixelsService's order; Unsupported when we cannot read them."""
    details = image.getDetails()
    ngff = ngff_location(details.getExternalInfo() if details is not None else None, data_dir, ngff_roots, s3_endpoint)
    if ngff is not None:
        return SourceSpec(format="ngff", path=ngff[0], root=ngff[1], series=0, pixels=pixels)
    root = os.path.normpath(data_dir)
    raw = romio_path(root, pixels_id)
    pyramid = _safe(root, raw + "_pyramid")
    if pyramid and os.path.isfile(pyramid):
        return SourceSpec(format="pyramid", path=pyramid, root=root, pixels=pixels)
    fileset = image.getFileset()
    if fileset is not None and fileset_files is not None:
        managed = os.path.normpath(managed_dir or os.path.join(root, "ManagedRepository"))
        files = fileset_files(_id(fileset))
        path, series = locate_tiff(files, int(val(image.getSeries()) or 0), managed)
        if not os.path.isfile(path):
            raise Unsupported("the imported file is not readable under the managed repository")
        spec = SourceSpec(format="tiff", path=path, root=managed, series=series, pixels=pixels)
        if len(files) > 1:
            check_sizes(spec, pixels)
        return spec
    romio = _safe(root, raw)
    if romio and os.path.isfile(romio):
        return SourceSpec(format="romio", path=romio, root=root, pixels=pixels)
    raise Unsupported("no pixel data found in the repository")


def check_sizes(spec: SourceSpec, pixels: PixelsInfo) -> None:
    """Unsupported unless the file's series has the Pixels' type and sizes (a file picked from a set)."""
    with open_source(spec) as source:
        found = (source.pixel_type, source.size_x, source.size_y, source.size_z, source.size_c, source.size_t)
    wanted = (pixels.pixel_type, pixels.size_x, pixels.size_y, pixels.size_z, pixels.size_c, pixels.size_t)
    if found != wanted:
        raise Unsupported(f"the picked fileset file holds {found}, the image is {wanted}")


# -- the descriptor ----------------------------------------------------------------------------


def _pixels_info(pix: Any) -> PixelsInfo:
    bits = val(pix.getSignificantBits())
    return PixelsInfo(
        pixel_type=enum_value(pix.getPixelsType()),
        size_x=int(val(pix.getSizeX())), size_y=int(val(pix.getSizeY())), size_z=int(val(pix.getSizeZ())),
        size_c=int(val(pix.getSizeC())), size_t=int(val(pix.getSizeT())),
        significant_bits=int(bits) if bits is not None else None,
    )


def _channel_info(channel: Any) -> ChannelInfo:
    logical = channel.getLogicalChannel()
    stats = channel.getStatsInfo()
    stats_pair = None
    if stats is not None and stats.isLoaded() and val(stats.getGlobalMin()) is not None:
        stats_pair = (float(val(stats.getGlobalMin())), float(val(stats.getGlobalMax())))
    return ChannelInfo(
        label=val(logical.getName()) if logical is not None else None,
        emission_wavelength=_length(logical.getEmissionWave()) if logical is not None else None,
        excitation_wavelength=_length(logical.getExcitationWave()) if logical is not None else None,
        stats=stats_pair,
        rgba=_rgba(channel),
        lut=val(channel.getLookupTable()) or None,
    )


def _permissions(obj: Any) -> dict:
    perms = obj.getDetails().getPermissions()
    if perms is None:
        return {}
    return {name: bool(getattr(perms, name)()) for name in ("canAnnotate", "canEdit", "canDelete", "canLink")}


def _name(experimenter: Any) -> str | None:
    """``ImageWrapper.getAuthor``: ``firstName + " " + lastName``, verbatim."""
    if experimenter is None or not experimenter.isLoaded():
        return None
    return f"{val(experimenter.getFirstName()) or ''} {val(experimenter.getLastName()) or ''}"


def _single_parent(obj: Any, links: str) -> Any | None:
    """The one loaded parent through ``links`` (dataset of an image, project of a dataset), else None."""
    if obj is None or not obj.isLoaded() or getattr(obj, f"sizeOf{links}")() != 1:
        return None
    parent = getattr(obj, f"copy{links}")()[0].getParent()
    return parent if parent is not None and parent.isLoaded() else None


def _single_project(image: Any) -> Any | None:
    """``ImageWrapper.getProject``: the project when exactly one image->dataset->project path exists."""
    if image.sizeOfDatasetLinks() < 1:
        return None
    paths = [link.getParent() for dl in image.copyDatasetLinks() if dl.getParent() is not None
             and dl.getParent().isLoaded() and dl.getParent().sizeOfProjectLinks() > 0
             for link in dl.getParent().copyProjectLinks()]
    return paths[0] if len(paths) == 1 and paths[0] is not None and paths[0].isLoaded() else None


def _container(obj: Any | None) -> dict | None:
    if obj is None:
        return None
    return {"id": _id(obj), "name": val(obj.getName()), "description": val(obj.getDescription())}


def _well_id(image: Any) -> int | None:
    if image.sizeOfWellSamples() < 1:
        return None
    well = image.copyWellSamples()[0].getWell()
    return _id(well) if well is not None else None


def _magnification(image: Any) -> float | None:
    settings = image.getObjectiveSettings()
    if settings is None or not settings.isLoaded():
        return None
    objective = settings.getObjective()
    if objective is None or not objective.isLoaded():
        return None
    value = val(objective.getNominalMagnification())
    return float(value) if value else None  # stock: ``… or None``


def _iso(milliseconds: Any) -> str | None:
    if not milliseconds:
        return None
    return datetime.datetime.fromtimestamp(milliseconds / 1000, datetime.timezone.utc).isoformat()


def _created(image: Any) -> str | None:
    event = image.getDetails().getCreationEvent()
    if event is None or not event.isLoaded():
        return None
    return _iso(val(event.getTime()))


def describe_image(
    image: Any, user_id: int | None, data_dir: str, ngff_roots: Iterable[str] = (), s3_endpoint: str = "",
    fileset_files: Callable[[int], list[tuple[str, str]]] | None = None,
    to_micrometres: Callable[[Any], float] | None = None, managed_dir: str = "",
) -> ImageDescriptor:
    """The descriptor of one Image as ``IMAGE_QUERY`` returns it, seen by ``user_id``."""
    pix = image.getPrimaryPixels()
    pixels = _pixels_info(pix)
    pixels_id = _id(pix)
    channels = tuple(_channel_info(c) for c in pix.copyChannels())
    rdefs = pix.copySettings() if pix.sizeOfSettings() >= 0 else []
    image_owner = owner_id(image)
    chosen = select_rendering_def(rdefs, user_id, image_owner)
    rendering = rendering_def(chosen) if chosen is not None else None
    source = locate_pixels(image, pixels, pixels_id, data_dir, ngff_roots, s3_endpoint, fileset_files, managed_dir)
    details = image.getDetails()
    group = details.getGroup()
    dataset = _single_parent(image, "DatasetLinks")
    version_key = repr((_id(image), pixels_id, source, pixels, [(_id(r), _updated(r)) for r in rdefs]))
    return ImageDescriptor(
        id=_id(image),
        name=val(image.getName()) or "",
        pixels=pixels,
        channels=channels,
        source=source,
        rendering=rendering,
        pixels_id=pixels_id,
        owner_id=image_owner,
        owner_name=_name(details.getOwner()),
        group_id=_id(group),
        group_name=val(group.getName()) if group is not None and group.isLoaded() else None,
        permissions=_permissions(image),
        physical_size=tuple(_micrometres(getattr(pix, f"getPhysicalSize{axis}")(), to_micrometres) for axis in "XYZ"),  # type: ignore[arg-type]
        acquisition_date=_iso(val(image.getAcquisitionDate())),
        description=val(image.getDescription()) or None,
        dataset=_container(dataset),
        rendering_defs=tuple(rendering_def(r) for r in rdefs),
        version=hashlib.sha1(version_key.encode()).hexdigest()[:16],
        archived=bool(val(image.getArchived())),
        creation_date=_created(image),
        project=_container(_single_project(image)),
        well_id=_well_id(image),
        nominal_magnification=_magnification(image),
    )


# -- masks -------------------------------------------------------------------------------------


def describe_mask(mask: Any, data_dir: str, ngff_roots: Iterable[str] = (), s3_endpoint: str = "") -> MaskDescriptor:
    """A ``Mask`` as ``catalog.ice.MASK_QUERY`` returns it: inline packed bits, or an NGFF label
    when its ExternalInfo names one (ms-image-region.md §4.1; same location rules as images)."""
    details = mask.getDetails()
    external = details.getExternalInfo() if details is not None else None
    label = ngff_location(external, data_dir, ngff_roots, s3_endpoint)
    roi = mask.getRoi()
    image = roi.getImage() if roi is not None else None
    return MaskDescriptor(
        id=_id(mask),
        image_id=_id(image) if image is not None else 0,
        x=float(val(mask.getX()) or 0), y=float(val(mask.getY()) or 0),
        width=int(val(mask.getWidth()) or 0), height=int(val(mask.getHeight()) or 0),
        label_path=label[0] if label else None,
        root=label[1] if label else "",
        fill_color=val(mask.getFillColor()),
        the_z=val(mask.getTheZ()), the_t=val(mask.getTheT()), the_c=val(mask.getTheC()),
        uuid=val(external.getUuid()) if label else None,
        bytes=None if label else (mask.getBytes() or b""),
    )
