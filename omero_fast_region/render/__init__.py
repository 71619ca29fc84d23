"""Pure-numpy, byte-exact port of OMERO's renderer (reference/renderer.md); imports neither Django nor omero.

``render_rgb`` turns planes and settings into the RGB of ``Renderer.renderAsPackedInt``;
``project``/``projection_planes`` reproduce ``ProjectionBean``; ``default_rendering`` computes the
settings OMERO creates for an image without a rendering definition; ``LutLibrary`` reads ``.lut``s.
"""

from ..errors import BadRequest, RenderingRefused
from .defaults import default_minmax_plane, default_rendering
from .luts import LutLibrary
from .model import ChannelInfo, ChannelSettings, PixelsInfo, RenderingDef, RenderSettings
from .projection import PROJECTIONS, project, projection_planes
from .renderer import render_rgb

__all__ = [
    "BadRequest",
    "ChannelInfo",
    "ChannelSettings",
    "LutLibrary",
    "PROJECTIONS",
    "PixelsInfo",
    "RenderSettings",
    "RenderingDef",
    "RenderingRefused",
    "default_minmax_plane",
    "default_rendering",
    "project",
    "projection_planes",
    "render_rgb",
]
