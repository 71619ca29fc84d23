"""``omero-fast-region nginx``: the location block, its prefix handling, and ``nginx -t`` on it."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from omero_fast_region.nginx import nginx_location, served_endpoints, upstream_name

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def location_regex(block: str) -> re.Pattern:
    return re.compile(re.search(r"location ~ (\S+) \{", block).group(1))


def test_the_block_routes_every_served_render_path_and_nothing_else():
    block = nginx_location(prefix="")
    regex = location_regex(block)
    for name in served_endpoints():
        assert regex.match(f"/webgateway/{name}/1/")
    assert regex.match("/webclient/12/render_image_region/1/0/0/")
    assert not regex.match("/webclient/login/")
    assert not regex.match("/webgateway/render_ome_tiff/1/")
    assert "rewrite ^/(.*)$ /omero_fast_region/$1 break;" in block
    assert "proxy_pass http://omeroweb;" in block


def test_the_prefix_is_honoured_in_match_rewrite_and_upstream():
    block = nginx_location(prefix="/omero/")
    assert location_regex(block).match("/omero/webgateway/render_image_region/1/0/0/")
    assert not location_regex(block).match("/webgateway/render_image_region/1/0/0/")
    assert "rewrite ^/omero/(.*)$ /omero/omero_fast_region/$1 break;" in block
    assert "proxy_pass http://omeroweb_omero;" in block
    assert upstream_name("/omero") == "omeroweb_omero"


def test_the_prefix_comes_from_omero_web_config_when_not_given(tmp_path, monkeypatch):
    pytest.importorskip("omero")
    from tests.omeroweb.hosting import write_omerodir

    write_omerodir(str(tmp_path), {"omero.web.prefix": "/omero"})
    monkeypatch.setenv("OMERODIR", str(tmp_path))
    assert "location ~ ^/omero/(webgateway|webclient)" in nginx_location()


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (Debian: apt-get install nginx-light)")
@pytest.mark.parametrize("prefix", ["", "/omero"])
def test_nginx_accepts_the_block_inside_omero_webs_server_config(tmp_path, prefix):
    upstream = upstream_name(prefix)
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\nhttp {{\n"
        f"  upstream {upstream} {{ server 127.0.0.1:4080 fail_timeout=0; }}\n"
        f"  server {{\n    listen 127.0.0.1:8080;\n{nginx_location(prefix=prefix)}\n"
        f"    location {prefix or '/'} {{ proxy_pass http://{upstream}; }}\n  }}\n}}\n"
    )
    proc = subprocess.run(["nginx", "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(conf)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
