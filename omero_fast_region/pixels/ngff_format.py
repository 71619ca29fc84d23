"""What differs between NGFF versions, in one place (like ome-zarr-py's ``format.py``).

* 0.4 (zarr v2): ``multiscales``, ``labels``, ``bioformats2raw.layout`` are top-level group
  attributes; ``axes`` are objects ``{"name", "type"}`` (0.3: plain strings; <= 0.2: absent,
  meaning ``tczyx``).
* 0.5 (zarr v3): the same keys live under the ``ome`` attribute, with ``ome.version``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import Unsupported

DEFAULT_AXES = "tczyx"  # NGFF <= 0.2 had no axes: always 5-D t, c, z, y, x


@dataclass(frozen=True)
class Multiscale:
    """The first multiscales entry: axis letters in array order and dataset paths, level 0 first."""

    version: str
    axes: str
    paths: tuple[str, ...]


def ome_metadata(attrs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(version, the dict holding the NGFF keys)`` for a group's attributes."""
    ome = attrs.get("ome")
    if isinstance(ome, dict):
        return str(ome.get("version", "0.5")), ome
    multiscales = attrs.get("multiscales")
    if isinstance(multiscales, list) and multiscales and isinstance(multiscales[0], dict):
        return str(multiscales[0].get("version", "0.4")), attrs
    return "0.4", attrs


def _axis_letter(axis: Any) -> str:
    name = axis.get("name") if isinstance(axis, dict) else axis
    if not isinstance(name, str) or name.lower() not in DEFAULT_AXES:
        raise Unsupported(f"NGFF axis {axis!r} is not one of t, c, z, y, x")
    return name.lower()


def read_multiscale(attrs: dict[str, Any]) -> Multiscale | None:
    """The image's multiscale description, or None if the group is not an image."""
    version, meta = ome_metadata(attrs)
    multiscales = meta.get("multiscales")
    if not multiscales or not isinstance(multiscales, list):
        return None
    first = multiscales[0]
    if not isinstance(first, dict):
        raise Unsupported("NGFF multiscales entry is not an object")
    axes = first.get("axes")
    letters = "".join(_axis_letter(a) for a in axes) if axes else DEFAULT_AXES
    datasets = first.get("datasets") or []
    paths = tuple(str(d["path"]) for d in datasets if isinstance(d, dict) and "path" in d)
    if not paths or len(paths) != len(datasets):
        raise Unsupported("NGFF multiscales without dataset paths")
    return Multiscale(version, letters, paths)


def bioformats2raw_layout(attrs: dict[str, Any]) -> int | None:
    """The ``bioformats2raw.layout`` version of a root group, if it is one."""
    value = ome_metadata(attrs)[1].get("bioformats2raw.layout")
    return int(value) if value is not None else None


def label_names(attrs: dict[str, Any]) -> list[str]:
    """Names listed by a ``labels`` group."""
    return [str(name) for name in ome_metadata(attrs)[1].get("labels", [])]


def is_plate(attrs: dict[str, Any]) -> bool:
    return "plate" in ome_metadata(attrs)[1]
