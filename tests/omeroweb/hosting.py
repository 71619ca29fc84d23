"""Write an OMERO.web configuration the way a sysadmin's ``omero config`` commands would.

The ``omero`` CLI refuses to run as root, so tests write ``$OMERODIR/etc/grid/config.xml``
with ``omero.config.ConfigXml`` (what the CLI itself uses). The keys are exactly those in
docs/mounting.md.
"""

from __future__ import annotations

import json
import os

STOCK_MIDDLEWARE = [
    {"index": 1, "class": "django.middleware.common.BrokenLinkEmailsMiddleware"},
    {"index": 2, "class": "django.middleware.common.CommonMiddleware"},
    {"index": 3, "class": "django.contrib.sessions.middleware.SessionMiddleware"},
    {"index": 4, "class": "django.middleware.csrf.CsrfViewMiddleware"},
    {"index": 5, "class": "django.contrib.messages.middleware.MessageMiddleware"},
    {"index": 6, "class": "django.middleware.clickjacking.XFrameOptionsMiddleware"},
]
FAST_MIDDLEWARE = {"index": 7, "class": "omero_fast_region.middleware.FastRenderMiddleware"}
MODES = ("middleware", "root_application")


def omeroweb_config(mode: str, omero_port: int, redis_url: str, data_dir: str, **extra: str) -> dict[str, str]:
    """``omero.web.*`` keys for one mounting mode, values as ``omero config set`` stores them."""
    if mode not in MODES:
        raise ValueError(mode)
    config = {
        "omero.web.server_list": json.dumps([["127.0.0.1", omero_port, "fake"]]),
        "omero.web.apps": json.dumps(["omero_fast_region"]),
        "omero.web.caches": json.dumps({"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": redis_url}}),
        "omero.web.session_engine": "django.contrib.sessions.backends.cache",
        "omero.web.fast_region.data_dir": data_dir,
        "omero.web.debug": "false",
    }
    if mode == "middleware":
        config["omero.web.middleware"] = json.dumps(STOCK_MIDDLEWARE + [FAST_MIDDLEWARE])
    else:
        config["omero.web.root_application"] = "omero_fast_region"
    config.update(extra)
    return config


def write_omerodir(omerodir: str, config: dict[str, str]) -> str:
    """Create ``omerodir/etc/grid/config.xml`` holding ``config``; returns omerodir."""
    from omero.config import ConfigXml

    os.makedirs(os.path.join(omerodir, "etc", "grid"), exist_ok=True)
    xml = ConfigXml(os.path.join(omerodir, "etc", "grid", "config.xml"))
    try:
        for key, value in config.items():
            xml[key] = value
    finally:
        xml.close()
    return omerodir
