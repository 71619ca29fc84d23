"""render_image_region / render_image through the Django test client (omero-web.md §2.3.1, §9.2;
ms-image-region.md §2.3, §9.2)."""

from __future__ import annotations

import numpy as np
import pytest

from omero_fast_region.config import Config
from omero_fast_region.errors import NotFound
from omero_fast_region.service import RegionSpec, TileSpec, resolve_region

from .helpers import rgb_of, size_of

REGION = "/webgateway/render_image_region/{}/0/0/"
C1 = "c=1|0:4000$FF0000,2|0:4000$00FF00,3|0:4000$0000FF&m=c"


@pytest.fixture
def client(app, client):
    return client


def get(client, url, **headers):
    return client.get(url, **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})


# -- omero-web integration vectors (TestRenderImageRegion) ---------------------------------------

@pytest.mark.parametrize("query", ["c=1|0:255$FF0000", "tile=malformed", "region=malformed", "tile=0,0", "region=1,2,3"])
def test_malformed_or_missing_tile_and_region_are_400(client, query):
    response = client.get(REGION.format(1) + "?" + query)
    assert response.status_code == 400
    assert response.content.decode() in ("tile or region argument required",
                                         f"malformed tile argument, {query}", f"malformed region argument, {query}")


def test_tile_without_size_uses_the_native_tile(client):
    response = client.get(REGION.format(2) + "?tile=0,0,0")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert size_of(response) == (256, 256)


def test_tile_size_is_respected_zero_means_native_and_large_is_clipped(client):
    assert size_of(client.get(REGION.format(2) + "?tile=0,0,0,10,10")) == (10, 10)
    assert size_of(client.get(REGION.format(2) + "?tile=0,0,0,0,10000")) == (256, 768)


def test_four_tile_values_ignore_the_fourth(client):
    assert size_of(client.get(REGION.format(2) + "?tile=0,1,1,99")) == (256, 256)


def test_max_tile_length_clamps(client, settings, app):
    settings.FAST_REGION = {**settings.FAST_REGION, "max_tile_length": 100}
    assert size_of(client.get(REGION.format(2) + "?tile=0,0,0,512,512")) == (100, 100)


def test_resolution_checks_with_stock_messages(client):
    response = client.get(REGION.format(1) + "?tile=-1,0,0,200,200")
    assert (response.status_code, response.content) == (400, b"Invalid resolution level -1 < 0")
    response = client.get(REGION.format(1) + "?tile=1,0,0,200,200")
    assert (response.status_code, response.content) == (400, b"Invalid resolution level 1, non pyramid file")
    response = client.get(REGION.format(2) + "?tile=3,0,0,512,512")
    assert response.status_code == 400
    assert response.content.decode() == "Invalid resolution level, " + " " * 20 + "3 > number of available levels 2 "


def test_pyramid_levels_differ_and_edge_tiles_are_clipped(client):
    full = client.get(REGION.format(2) + "?tile=0,0,0,512,512&format=png")
    half = client.get(REGION.format(2) + "?tile=1,0,0,512,512&format=png")
    assert size_of(full) == (512, 512) and size_of(half) == (512, 384)
    assert not np.array_equal(rgb_of(full)[:384], rgb_of(half))
    assert size_of(client.get(REGION.format(2) + "?tile=0,1,1,512,512")) == (512, 256)


def test_region_sizes(client):
    assert size_of(client.get(REGION.format(1) + "?region=0,0,10,10")) == (10, 10)
    assert size_of(client.get(REGION.format(2) + "?region=0,0,512,512")) == (512, 512)
    assert size_of(client.get(REGION.format(2) + "?region=900,700,512,512")) == (124, 68)


def test_region_outside_the_image_is_404(client):
    assert client.get(REGION.format(1) + "?region=40,0,10,10").status_code == 404
    assert client.get(REGION.format(1) + "?region=0,0,0,10").status_code == 404


def test_missing_image_is_404_before_the_tile_is_checked(client):
    assert client.get(REGION.format(999) + "?tile=bad").status_code == 404


# -- pixels --------------------------------------------------------------------------------------

def test_png_region_equals_the_same_crop_of_the_whole_plane(client):
    plane = rgb_of(client.get(f"/webgateway/render_image/1/1/1/?{C1}&format=png"))
    region = rgb_of(client.get(REGION.format(1).replace("/0/0/", "/1/1/") + f"?{C1}&format=png&region=5,6,20,10"))
    assert np.array_equal(region, plane[6:16, 5:25])


def test_flip_mirrors_the_region_then_the_pixels(client):
    plane = rgb_of(client.get(f"/webgateway/render_image/1/0/0/?{C1}&format=png"))
    for flip, expected in (("h", plane[:, ::-1]), ("v", plane[::-1]), ("hv", plane[::-1, ::-1])):
        whole = rgb_of(client.get(f"/webgateway/render_image/1/0/0/?{C1}&format=png&flip={flip}"))
        assert np.array_equal(whole, expected)
        tile = rgb_of(client.get(REGION.format(1) + f"?{C1}&format=png&flip={flip}&region=0,0,16,16"))
        assert np.array_equal(tile, expected[:16, :16])


def test_unlisted_channels_are_inactive_and_empty_c_is_black(client):
    black = rgb_of(client.get(REGION.format(1) + "?c=&format=png&region=0,0,8,8"))
    assert not black.any()
    red_only = rgb_of(client.get(REGION.format(1) + "?c=1|0:4000$FF0000&format=png&region=0,0,8,8"))
    assert red_only[..., 1:].max() == 0 and red_only[..., 0].max() > 0


def test_greyscale_model_shows_the_first_active_channel(client):
    grey = rgb_of(client.get(REGION.format(1) + f"?{C1.replace('m=c', 'm=g')}&format=png&region=0,0,8,8"))
    assert np.array_equal(grey[..., 0], grey[..., 1]) and np.array_equal(grey[..., 1], grey[..., 2])


def test_projection_applies_to_tiles_as_the_crop_of_the_projected_plane(client):
    query = "c=1|0:4000$FFFFFF&m=c&p=intmax|0:4&format=png"
    plane = rgb_of(client.get(f"/webgateway/render_image/1/0/0/?{query}"))
    tile = rgb_of(client.get(REGION.format(1) + f"?{query}&region=8,4,16,16"))
    assert np.array_equal(tile, plane[4:20, 8:24])
    single = rgb_of(client.get("/webgateway/render_image/1/0/0/?c=1|0:4000$FFFFFF&m=c&format=png"))
    assert (plane >= single).all() and (plane > single).any()


def test_lut_name_as_colour(client):
    lut = rgb_of(client.get(REGION.format(1) + "?c=3|0:4000$ramp.lut&format=png&region=0,0,8,8"))
    assert lut[..., 1].max() == 0 and lut[..., 2].max() > 0


def test_formats_and_content_types(client):
    for fmt, ctype in (("jpeg", "image/jpeg"), ("png", "image/png"), ("tif", "image/tiff")):
        response = client.get(REGION.format(1) + f"?tile=0,0,0&format={fmt}")
        assert response.status_code == 200 and response["Content-Type"] == ctype
    response = client.get(REGION.format(1) + "?tile=0,0,0&format=gif")
    assert response.status_code == 400


@pytest.mark.parametrize("query", ["q=abc", "q=2", "c=1$AA$BB&tile=0,0,0", "maps=nope&tile=0,0,0&q=x"])
def test_client_errors_stock_answers_with_500_are_400(client, query):
    response = client.get(REGION.format(1) + "?tile=0,0,0&" + query)
    assert response.status_code == 400 and b"Traceback" not in response.content


def test_non_numeric_path_values_are_400_through_the_view(rf, app):
    from omero_fast_region import views

    response = views.render_image_region(rf.get("/x/?tile=0,0,0"), iid="1", z="a", t="0")
    assert response.status_code == 400


def test_z_or_t_out_of_range_is_400(client):
    assert client.get("/webgateway/render_image/1/9/0/").status_code == 400
    assert client.get("/webgateway/render_image/1/0/7/").status_code == 400


def test_too_many_active_channels_is_400(client, settings, app):
    settings.FAST_REGION = {**settings.FAST_REGION, "max_active_channels": 2}
    response = client.get(REGION.format(1) + "?tile=0,0,0&c=1,2,3")
    assert response.status_code == 400
    assert response.content == b"Too many active channels. Cannot process more than 2 per request"


# -- headers -------------------------------------------------------------------------------------

def test_cache_control_and_etag_with_304(client):
    first = client.get(REGION.format(1) + f"?tile=0,0,0&{C1}")
    assert first["Cache-Control"] == "private, max-age=3600"
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = get(client, REGION.format(1) + f"?tile=0,0,0&{C1}", **{"If-None-Match": etag})
    assert again.status_code == 304 and again["ETag"] == etag
    other = client.get(REGION.format(1) + "?tile=0,0,0&c=1|0:4000$FF0000")
    assert other["ETag"] != etag
    assert client.get(REGION.format(1) + f"?tile=0,0,0&{C1}&format=png")["ETag"] != etag


def test_render_image_defaults_and_download(client):
    response = client.get("/webgateway/render_image/1/")
    assert response.status_code == 200 and size_of(response) == (40, 30)
    download = client.get("/webclient/render_image_download/1/0/0/?format=png")
    assert download["Content-Type"] == "application/force-download"
    assert download["Content-Disposition"] == "attachment; filename=three_channels._stack.tif.png"
    assert int(download["Content-Length"]) == len(download.content)


def test_webclient_and_share_forms(client):
    for url in ("/webclient/render_image_region/1/0/0/?tile=0,0,0", "/webclient/7/render_image_region/1/0/0/?tile=0,0,0",
                "/webclient/7/render_image/1/", "/webclient/render_image/1/0/", "/webgateway/render_image/1/0/0/"):
        assert client.get(url).status_code == 200, url


def test_other_tiled_formats(client):
    response = client.get("/webgateway/render_image_region/5/0/0/?tile=1,1,1,128,128&format=png")
    assert response.status_code == 200 and size_of(response) == (128, 122)


# -- the region arithmetic itself (ImageRegionRequestHandlerTest, ms §9.2) -----------------------

class FakeSource:
    def __init__(self, size, tile):
        self.levels = [size]
        self.size_x, self.size_y = size
        self._tile = tile

    def tile_size(self, level=0):
        return self._tile


CONFIG = Config(max_tile_length=1024)


def _region(size, tile_size, tile=None, region=None, h=False, v=False):
    plane = resolve_region(FakeSource(size, tile_size), CONFIG, tile, region, h, v)
    return plane.x, plane.y, plane.w, plane.h


@pytest.mark.parametrize("tile, tile_size, expected", [
    (TileSpec(0, 2, 2), (256, 256), (512, 512, 256, 256)),
    (TileSpec(0, 2, 2, 64, 128), (64, 128), (128, 256, 64, 128)),
    (TileSpec(0, 1, 0), (800, 800), (800, 0, 224, 800)),
    (TileSpec(0, 0, 1), (800, 800), (0, 800, 800, 224)),
    (TileSpec(0, 1, 1), (800, 800), (800, 800, 224, 224)),
])
def test_get_region_def_tiles(tile, tile_size, expected):
    assert _region((1024, 1024), tile_size, tile=tile) == expected


@pytest.mark.parametrize("region, expected", [
    ((512, 512, 256, 256), (512, 512, 256, 256)), ((800, 100, 300, 400), (800, 100, 224, 400)),
    ((100, 800, 300, 400), (100, 800, 300, 224)), ((800, 800, 300, 400), (800, 800, 224, 224)),
])
def test_get_region_def_regions(region, expected):
    assert _region((1024, 1024), (256, 256), region=RegionSpec(*region)) == expected


def test_get_region_def_whole_plane_and_flips():
    assert _region((1024, 1024), (256, 256)) == (0, 0, 1024, 1024)
    r = RegionSpec(100, 200, 300, 400)
    assert _region((1024, 1024), (256, 256), region=r, h=True) == (624, 200, 300, 400)
    assert _region((1024, 1024), (256, 256), region=r, v=True) == (100, 424, 300, 400)
    assert _region((1024, 1024), (256, 256), region=r, h=True, v=True) == (624, 424, 300, 400)


@pytest.mark.parametrize("h, v, cases", [
    (True, False, [((0, 0, 1024, 1024), (0, 0, 768, 768)), ((512, 0, 512, 512), (0, 0, 256, 512)),
                   ((0, 512, 512, 512), (256, 512, 512, 256)), ((512, 512, 512, 512), (0, 512, 256, 256))]),
    (False, True, [((0, 0, 512, 512), (0, 256, 512, 512)), ((512, 0, 512, 512), (512, 256, 256, 512)),
                   ((0, 512, 512, 512), (0, 0, 512, 256)), ((512, 512, 512, 512), (512, 0, 256, 256))]),
    (True, True, [((0, 0, 512, 512), (256, 256, 512, 512)), ((512, 0, 512, 512), (0, 256, 256, 512)),
                  ((0, 512, 512, 512), (256, 0, 512, 256)), ((512, 512, 512, 512), (0, 0, 256, 256))]),
])
def test_flip_region_def_at_the_edges(h, v, cases):
    for region, expected in cases:
        assert _region((768, 768), (256, 256), region=RegionSpec(*region), h=h, v=v) == expected


def test_region_starting_outside_is_not_found():
    with pytest.raises(NotFound):
        _region((100, 100), (64, 64), region=RegionSpec(100, 0, 10, 10))
