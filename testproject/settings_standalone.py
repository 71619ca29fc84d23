"""Test settings (a): standalone mode, exactly the settings `omero-fast-region serve` uses."""

from omero_fast_region.standalone_settings import *  # noqa: F401,F403
