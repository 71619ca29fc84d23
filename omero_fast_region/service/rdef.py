"""``validate_rdef_query``: the 400s of render_image_rdef / render_image_region_rdef (omero-web.md §3.2)."""

from __future__ import annotations

from typing import Mapping

from ..errors import BadRequest
from ..query import loads_json, parse_channels


def validate_rdef_query(params: Mapping[str, str]) -> None:
    """Raise :class:`BadRequest` with stock's message when the query is not a full rendering definition."""
    if "c" not in params:
        raise BadRequest("Rendering settings must specify channels as c")
    for spec in parse_channels(params["c"]):
        if spec.window is None:
            raise BadRequest("Must specify window for each channel")
        if spec.color is None:
            raise BadRequest("Must specify color for each channel")
    if params.get("m") not in ("g", "c"):
        raise BadRequest('Query parameter "m" must be present with value either "g" or "c"')
    if "maps" in params:
        try:
            maps = loads_json(params["maps"])
        except ValueError:
            raise BadRequest("Failed to parse maps JSON") from None
        if not isinstance(maps, (list, dict, str)) or len(maps) != len(params["c"].split(",")):
            raise BadRequest('Number of "maps" must match number of channels')
