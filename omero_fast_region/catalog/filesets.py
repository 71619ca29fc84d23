"""Which file of an imported fileset holds an image's pixels (renderer.md §6.6).

OMERO records the file Bio-Formats opened (``pixels.path``/``name``) only in columns the API
does not expose, so the choice is made from the fileset's files: a single TIFF is read as is
(series = ``Image.series``); an OME-TIFF set with one ``.companion.ome`` is resolved through
the companion's OME-XML, as Bio-Formats' OMETiffReader does, when every ``TiffData`` of the
image's ``Image`` element names the same TIFF of the set. Anything else is Unsupported (the
stock view reads it with Bio-Formats).
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ElementTree

from ..errors import UnsafePath, Unsupported
from ..pixels import resolve_under

TIFF_SUFFIXES = (".tif", ".tiff", ".btf", ".tf2", ".tf8")
COMPANION_SUFFIX = ".companion.ome"
MAX_FILES = 64  # larger filesets go to the stock view
MAX_COMPANION_BYTES = 16 * 1024 * 1024


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _file_path(managed_dir: str, directory: str, name: str) -> str:
    try:
        return resolve_under(managed_dir, os.path.join(directory, name))
    except UnsafePath:
        raise Unsupported("a fileset path leaves the managed repository") from None


def image_files(companion_xml: bytes) -> list[set[str] | None]:
    """Per ``Image`` element, the set of ``UUID/@FileName`` its TiffData name (None: a TiffData names none)."""
    try:
        root = ElementTree.fromstring(companion_xml)
    except ElementTree.ParseError:
        raise Unsupported("the OME companion file is not valid XML") from None
    out: list[set[str] | None] = []
    for image in (e for e in root if _local(e.tag) == "Image"):
        names: set[str] | None = set()
        for tiff_data in (e for e in image.iter() if _local(e.tag) == "TiffData"):
            uuid = next((e for e in tiff_data if _local(e.tag) == "UUID"), None)
            file_name = uuid.get("FileName") if uuid is not None else None
            if not file_name:
                names = None
                break
            names.add(file_name)
        out.append(names)
    return out


def _read_companion(path: str) -> bytes:
    try:
        if os.path.getsize(path) > MAX_COMPANION_BYTES:
            raise Unsupported("the OME companion file is too large")
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        raise Unsupported("the OME companion file is not readable under the managed repository") from None


def locate_tiff(files: list[tuple[str, str]], series: int, managed_dir: str) -> tuple[str, int]:
    """``(absolute path, series inside it)`` of the TIFF holding Bio-Formats series ``series``."""
    if len(files) > MAX_FILES:
        raise Unsupported("the fileset has too many files")
    if len(files) == 1 and files[0][1].lower().endswith(TIFF_SUFFIXES):
        return _file_path(managed_dir, *files[0]), series
    companions = [f for f in files if f[1].lower().endswith(COMPANION_SUFFIX)]
    if len(companions) != 1:
        raise Unsupported("the imported files are neither one TIFF file nor an OME-TIFF set with a companion")
    companion = _file_path(managed_dir, *companions[0])
    per_image = image_files(_read_companion(companion))
    if not 0 <= series < len(per_image):
        raise Unsupported(f"the OME companion file has no image {series}")
    wanted = per_image[series]
    if not wanted or len(wanted) != 1:
        raise Unsupported("the image's planes are not all in one TIFF file of the set")
    (name,) = wanted
    target = _file_path(os.path.dirname(companion), "", name)
    tiffs = {_file_path(managed_dir, *f) for f in files if f[1].lower().endswith(TIFF_SUFFIXES)}
    if target not in tiffs:
        raise Unsupported("the companion names a TIFF file that is not in the fileset")
    return target, sum(1 for names in per_image[:series] if names == wanted)
