"""Where files live: OMERO's ``Dir-###`` scheme and the repository-root safety check.

Every path taken from metadata (catalog entries, NGFF dataset paths, series folders) goes
through :func:`resolve_under` before anything is opened. Rules:

* no ``..`` component at all (``link/..`` means different things lexically and to the OS);
* an absolute path must lie lexically under the root.

The check is lexical, as issue 4 and OMERO itself require: symbolic links that already exist
*inside* the repository are followed wherever they point, because in-place imports
(``omero import --transfer=ln_s``) are exactly such links into the sites' own storage. Only
someone who can write to the repository can create one; metadata (catalog entries, lsids,
fileset paths, NGFF dataset paths) cannot climb out of it.
"""

from __future__ import annotations

import os

from ..errors import UnsafePath


def romio_path(data_dir: str, pixels_id: int, prefix: str = "Pixels") -> str:
    """``<data_dir>/Pixels/Dir-###/.../<id>`` as ``AbstractFileSystemService.getPath`` builds it (§6.2)."""
    if pixels_id < 0:
        raise ValueError(f"negative id {pixels_id}")
    parts: list[str] = []
    remaining = pixels_id
    while remaining > 999:
        remaining //= 1000
        if remaining > 0:
            parts.insert(0, "Dir-%03d" % (remaining % 1000))
    return os.path.join(data_dir, prefix, *parts, str(pixels_id))


def has_parent_reference(path: str) -> bool:
    """True if any component of ``path`` is ``..``."""
    return ".." in path.replace("\\", "/").split("/")


def check_relative(path: str) -> str:
    """A relative path inside a store (NGFF dataset path, S3 key suffix): no ``..``, not absolute."""
    if not path or "\0" in path or path.startswith(("/", "\\")) or has_parent_reference(path):
        raise UnsafePath(f"unsafe relative path {path!r}")
    return path


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_under(root: str, relative_or_absolute: str) -> str:
    """The absolute, normalised path of ``relative_or_absolute`` under ``root``; UnsafePath if it escapes."""
    path = os.fspath(relative_or_absolute)
    if not root or not os.path.isabs(root):
        raise UnsafePath(f"repository root {root!r} is not absolute")
    if "\0" in path or has_parent_reference(path):
        raise UnsafePath(f"path {path!r} contains '..'")
    root = os.path.normpath(root)
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))
    if not _inside(full, root):
        raise UnsafePath(f"path {path!r} is outside the repository")
    return full
