"""omero-fast-region: fast, byte-exact OMERO.web image rendering straight from the repository."""

__version__ = "0.1.0"
