"""Optional tier: a real OMERO server. Runs only when OMERO_TEST_HOST/_USER/_PASSWORD are set.

Creates small images through the API (ROMIO pixels in the server's binary repository, which
this machine must see at OMERO_TEST_DATA_DIR, default /OMERO), renders each through this app
(Ice catalog with the user's session -> pixels from the repository -> numpy renderer) and
through the server's rendering engine, and compares the RGB exactly. See
docs/testing-with-omero.md.
"""

from __future__ import annotations

import io
import os
import uuid

import numpy as np
import pytest

pytestmark = [pytest.mark.omero_server, pytest.mark.integration]

HOST = os.environ.get("OMERO_TEST_HOST")
if not (HOST and os.environ.get("OMERO_TEST_USER") and os.environ.get("OMERO_TEST_PASSWORD")):
    pytest.skip("OMERO_TEST_HOST, OMERO_TEST_USER and OMERO_TEST_PASSWORD are not all set", allow_module_level=True)
pytest.importorskip("omero")

from PIL import Image  # noqa: E402

from omero_fast_region.catalog.ice import IceCatalog, JoinedSessions  # noqa: E402
from omero_fast_region.config import Config  # noqa: E402
from omero_fast_region.pixels import SourcePool  # noqa: E402
from omero_fast_region.query import parse_render_query  # noqa: E402
from omero_fast_region.render import LutLibrary  # noqa: E402
from omero_fast_region.requestcontext import RequestContext, scope_of  # noqa: E402
from omero_fast_region.runtime import Runtime  # noqa: E402
from omero_fast_region.service import render_region  # noqa: E402

CASES = {  # name: (numpy dtype, channels)
    "uint8_1c": (np.uint8, 1),
    "uint16_3c": (np.uint16, 3),
    "int16_2c": (np.int16, 2),
    "float_2c": (np.float32, 2),
}


@pytest.fixture(scope="module")
def conn():
    from omero.gateway import BlitzGateway

    gateway = BlitzGateway(os.environ["OMERO_TEST_USER"], os.environ["OMERO_TEST_PASSWORD"], host=HOST,
                           port=int(os.environ.get("OMERO_TEST_PORT", "4064")), secure=True)
    assert gateway.connect(), gateway.getLastError()
    yield gateway
    gateway.close(hard=False)


@pytest.fixture(scope="module")
def runtime(conn):
    config = Config(data_dir=os.environ.get("OMERO_TEST_DATA_DIR", "/OMERO"), metadata_cache_ttl=0)
    catalog = IceCatalog(config, sessions=JoinedSessions(joiner=lambda connector: conn))
    return Runtime(config=config, catalog=catalog, pool=SourcePool(max_open=8), luts=LutLibrary([]))


def _create(conn, dtype, size_c):
    rng = np.random.default_rng(7)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    low, high = (info.min, info.max) if info else (-1000.0, 1000.0)
    planes = [rng.uniform(low, high, (37, 53)).astype(dtype) for _ in range(size_c)]
    image = conn.createImageFromNumpySeq(iter(planes), f"fast-region-test-{uuid.uuid4().hex[:8]}", 1, size_c, 1)
    image._prepareRenderingEngine()  # the server creates the rendering definition
    image._closeRE()
    return conn.getObject("Image", image.getId())


@pytest.mark.parametrize("case", sorted(CASES))
def test_app_and_server_render_the_same_rgb(conn, runtime, case):
    dtype, size_c = CASES[case]
    image = _create(conn, dtype, size_c)
    try:
        ctx = RequestContext(scope=scope_of(conn._sessionUuid),
                             connector={"omero_session_key": conn._sessionUuid, "user_id": conn.getUserId()})
        descriptor = runtime.catalog.get_image(image.getId(), ctx)
        for query in ({}, {"m": "g"}, {"c": ",".join(f"{i + 1}|0:{200 * (i + 1)}$FF0000" for i in range(size_c))}):
            ours = render_region(runtime, descriptor, 0, 0, parse_render_query(dict(query, format="png")))
            server = _server_rgb(image, query)
            assert np.array_equal(np.asarray(Image.open(io.BytesIO(ours.body)).convert("RGB")), server), (case, query)
    finally:
        conn.deleteObjects("Image", [image.getId()], wait=True)


def _server_rgb(image, query):
    """The server's exact RGB: ``RenderingEngine.renderAsPackedInt`` (no JPEG in between)."""
    import omero.clients  # noqa: F401  (loads the romio Slice types)
    import omero.romio

    image = image._conn.getObject("Image", image.getId())
    assert image._prepareRenderingEngine()
    if query.get("m") == "g":
        image.setGreyscaleRenderingModel()
    if "c" in query:
        channels, windows, colors = [], [], []
        for i, part in enumerate(query["c"].split(",")):
            window, color = part.split("|")[1].split("$")
            start, end = (float(v) for v in window.split(":"))
            channels.append(i + 1)
            windows.append([start, end])
            colors.append(color)
        image.setActiveChannels(channels, windows, colors)
    packed = np.array(image._re.renderAsPackedInt(omero.romio.PlaneDef(omero.romio.XY, z=0, t=0),
                                                  image._conn.SERVICE_OPTS), dtype=np.int64)
    image._closeRE()
    rgb = np.stack([(packed >> 16) & 255, (packed >> 8) & 255, packed & 255], axis=-1).astype(np.uint8)
    return rgb.reshape(image.getSizeY(), image.getSizeX(), 3)
