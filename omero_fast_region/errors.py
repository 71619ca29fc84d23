"""Every failure the app knows, each mapped one-to-one onto an HTTP outcome.

The view layer turns these into responses; nothing below the views builds an HTTP response.
"""

from __future__ import annotations


class FastRegionError(Exception):
    """Base of all expected failures. ``status`` is the HTTP status the views answer with."""

    status: int = 500

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message or self.__class__.__doc__ or ""


class BadRequest(FastRegionError):
    """The request is malformed or asks for something OMERO refuses (400)."""

    status = 400


class Forbidden(FastRegionError):
    """The user may not do this (403)."""

    status = 403


class NotFound(FastRegionError):
    """The image (or shape, or file) does not exist or cannot be read (404)."""

    status = 404


class Unsupported(FastRegionError):
    """We cannot answer this exactly; hand the request to the stock OMERO.web view.

    Raised for unsupported file formats, missing rendering definitions, query features we do
    not implement. When fallback is disabled the views answer 404 with the reason.
    """

    status = 404


class RenderingRefused(BadRequest):
    """OMERO's renderer refuses these settings (invalid bit resolution, coefficient <= 0, ...)."""


class CatalogError(Exception):
    """A local catalog file is invalid. The message names the image and the problem."""


class UnsafePath(NotFound):
    """A path derived from metadata leaves the repository root."""
