"""Catalog backends: where ImageDescriptors come from (chosen by the ``catalog`` setting)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..descriptor import ImageDescriptor


class Catalog(ABC):
    """Looks up image descriptors for one requester.

    ``context`` identifies who asks: ``None`` in standalone mode, the OMERO session
    (connector dict) inside OMERO.web. A backend raises ``errors.NotFound`` when the image does
    not exist *or the requester may not read it* (OMERO does not tell the two apart).
    """

    @abstractmethod
    def get_image(self, image_id: int, context: Any = None) -> ImageDescriptor:
        """The descriptor of ``image_id`` as seen by ``context``."""

    def image_ids(self, context: Any = None) -> list[int]:
        """All image ids this catalog can list (standalone mode); empty when not listable."""
        return []

    def lut_dirs(self) -> list[str]:
        """Folders searched for ``*.lut`` files."""
        return []
