"""Catalog backends: ``local`` (a JSON file, standalone mode) and ``ice`` (OMERO over Ice)."""

from .base import Catalog

__all__ = ["Catalog"]
