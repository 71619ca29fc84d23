"""Resource limits, each a clear 4xx before any large allocation (omero-web.md §2.4, ms §2.4)."""

from __future__ import annotations

import pytest

from omero_fast_region import limits
from omero_fast_region.errors import BadRequest

from .imageset import DEEP_ID

REGION = "/webgateway/render_image_region/{iid}/0/0/?{qs}"


@pytest.fixture
def limited(settings, hardening_catalog):
    """The app with small, explicit limits."""
    def apply(**values):
        settings.FAST_REGION = {"catalog": f"local:{hardening_catalog}", "standalone": True, **values}
    return apply


def decoded_size(response) -> tuple[int, int]:
    import io

    from PIL import Image

    return Image.open(io.BytesIO(response.content)).size


def test_tiles_are_clamped_to_max_tile_length(limited, client):
    limited(max_tile_length=16)
    response = client.get(REGION.format(iid=2, qs="tile=0,0,0,5000,5000"))
    assert response.status_code == 200 and decoded_size(response) == (16, 16)


def test_a_region_over_the_max_plane_area_is_refused(limited, client):
    limited(max_plane_width=10, max_plane_height=10)
    assert client.get(REGION.format(iid=2, qs="region=0,0,10,10")).status_code == 200
    response = client.get(REGION.format(iid=2, qs="region=0,0,11,10"))
    assert response.status_code == 404 and b"max plane size" in response.content


def test_the_plane_area_rule_is_a_product_as_in_stock(limited, client):
    limited(max_plane_width=10, max_plane_height=10)
    assert client.get(REGION.format(iid=2, qs="region=0,0,50,2")).status_code == 200  # 100 px


def test_a_whole_plane_over_the_limit_without_a_small_enough_level_is_400(limited, client):
    limited(max_plane_width=10, max_plane_height=10)
    response = client.get("/webgateway/render_image/3/")
    assert response.status_code == 400 and b"max plane size" in response.content


def test_too_many_active_channels_is_400(limited, client):
    limited(max_active_channels=2)
    response = client.get(REGION.format(iid=1, qs="tile=0,0,0&c=1,2,3"))
    assert response.status_code == 400 and b"Too many active channels" in response.content
    assert client.get(REGION.format(iid=1, qs="tile=0,0,0&c=1,2,-3")).status_code == 200


def test_a_thousand_listed_channels_cost_nothing(limited, client):
    limited(max_active_channels=10)
    response = client.get(REGION.format(iid=1, qs="tile=0,0,0&c=" + ",".join(["-1"] * 1000)))
    assert response.status_code == 200


def test_bins_are_capped(app, client):
    assert client.get("/webgateway/histogram_json/1/channel/0/?bins=65536").status_code == 200
    response = client.get("/webgateway/histogram_json/1/channel/0/?bins=65537")
    assert response.status_code == 400 and b"bins" in response.content
    assert client.get("/webgateway/histogram_json/1/channel/0/?bins=" + "9" * 3000).status_code == 400


def test_get_thumbnails_takes_at_most_50_ids(app, client):
    ids = "&".join(f"id={i}" for i in range(1, 51))
    assert client.get("/webgateway/get_thumbnails/?" + ids).status_code == 200
    response = client.get("/webgateway/get_thumbnails/?" + ids + "&id=51")
    assert response.status_code == 400 and b"Max 50 thumbnails at a time." in response.content


def test_repeated_ids_count_once(app, client):
    response = client.get("/webgateway/get_thumbnails/?" + "&".join(["id=3"] * 500))
    assert response.status_code == 200 and list(response.json()) == ["3"]


# -- the memory budget -------------------------------------------------------------------------

def test_render_bytes_grows_with_every_dimension():
    base = limits.render_bytes("uint16", 100, 100, 1)
    assert limits.render_bytes("uint16", 200, 100, 1) > base
    assert limits.render_bytes("uint16", 100, 100, 2) > base
    assert limits.render_bytes("uint16", 100, 100, 1, depth=10) > base
    assert limits.render_bytes("double", 100, 100, 1) > base


def test_a_full_size_plane_fits_the_default_budget_and_a_deep_projection_does_not():
    budget = limits.DEFAULT_MAX_REQUEST_BYTES
    assert limits.render_bytes("uint16", 3192, 3192, 10) <= budget
    assert limits.render_bytes("uint16", 3192, 3192, 10, depth=25) <= budget
    assert limits.render_bytes("uint16", 3192, 3192, 1, depth=500) > budget


def test_over_budget_is_a_400_and_zero_disables_the_check():
    with pytest.raises(BadRequest, match="MiB"):
        limits.check_budget(2 << 20, 1 << 20)
    limits.check_budget(1 << 20, 1 << 20)
    limits.check_budget(10**15, 0)


def test_the_budget_setting_is_read_from_the_config(settings, hardening_catalog):
    from omero_fast_region.config import get_config

    settings.FAST_REGION = {"catalog": f"local:{hardening_catalog}", "standalone": True, "max_request_bytes": 12345}
    assert limits.max_request_bytes(get_config()) == 12345
    settings.FAST_REGION = {"catalog": f"local:{hardening_catalog}", "standalone": True}
    assert limits.max_request_bytes(get_config()) == limits.DEFAULT_MAX_REQUEST_BYTES


def test_a_projection_over_the_memory_budget_is_400_before_reading(limited, client):
    # 40 planes x 64 x 64 x 2 bytes x 4 channels: about 1.5 MB; allow 200 kB
    limited(max_request_bytes=200_000)
    ok = client.get(f"/webgateway/render_image_region/{DEEP_ID}/0/0/?tile=0,0,0&c=1")
    assert ok.status_code == 200
    response = client.get(f"/webgateway/render_image/{DEEP_ID}/0/0/?p=intmax&c=1,2,3,4")
    assert response.status_code == 400 and b"MiB" in response.content


def test_thumbnail_sides_are_checked_each_against_its_own_maximum(limited, client):
    limited(max_plane_width=100, max_plane_height=20)  # image 1 is 40 x 30
    assert client.get("/webgateway/render_thumbnail/1/100/20/").status_code == 200
    for size in ("101/1", "1/21", "20/100"):  # the area (2,000 px) would let each through
        response = client.get(f"/webgateway/render_thumbnail/1/{size}/")
        assert response.status_code == 400 and b"max plane width or height" in response.content, size
    response = client.get("/webgateway/render_birds_eye_view/1/" + "9" * 41 + "/")
    assert response.status_code == 400


def test_get_thumbnails_with_a_huge_size_answers_null_per_image(app, client):
    response = client.get("/webgateway/get_thumbnails/" + "9" * 41 + "/?id=1&id=2")
    assert response.status_code == 200 and response.json() == {"1": None, "2": None}


def test_thumbnails_and_histograms_are_within_the_memory_budget(limited, client):
    limited(max_request_bytes=20_000)  # a 64x64 level rendered needs ~50 kB
    response = client.get(f"/webgateway/render_thumbnail/{DEEP_ID}/")
    assert response.status_code == 400 and b"MiB" in response.content
    response = client.get(f"/webgateway/histogram_json/{DEEP_ID}/channel/0/")
    assert response.status_code == 400 and b"MiB" in response.content
    limited(max_request_bytes=1 << 20)
    assert client.get(f"/webgateway/render_thumbnail/{DEEP_ID}/").status_code == 200
    assert client.get(f"/webgateway/histogram_json/{DEEP_ID}/channel/0/").status_code == 200


def test_thumbnail_bytes_count_the_resampled_output():
    assert limits.thumbnail_bytes("uint8", 10, 10, 1, 1000, 1000) >= 1000 * 1000 * limits.RENDER_BYTES_PER_PIXEL
