"""docs/install.md's worker commands give the gunicorn that ``omero web start`` really runs our worker.

``omero web start`` builds its gunicorn command line itself (omero-py's
``WebControl._build_run_cmd``) and refuses any ``omero.web.wsgi_worker_class`` but ``sync`` and
``gevent``. Here the documented ``omero config set`` lines go through that same function and the
resulting command line through gunicorn's own option parser.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from types import SimpleNamespace

import pytest

INSTALL = Path(__file__).resolve().parents[2] / "docs" / "install.md"
WORKER = "omero_fast_region.keepalive_worker.KeepAliveWorker"


def documented_worker_config() -> dict[str, str]:
    """``omero.web.wsgi_*`` keys set in the first bash block of install.md's Workers section."""
    section = INSTALL.read_text(encoding="utf-8").split("## Workers", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    config = {}
    for line in block.splitlines():
        words = [w for w in shlex.split(line, comments=True) if w != "--"]
        if words[:3] == ["omero", "config", "set"]:
            config[words[3]] = words[4]
    return config


def omero_web_start_command(config: dict[str, str]) -> list[str]:
    """The gunicorn command line ``omero web start`` runs for ``config`` (omero-py's own code)."""
    web = pytest.importorskip("omero.plugins.web")

    class Refused(Exception):
        pass

    def die(code, message):
        raise Refused(code, message)

    control = web.WebControl.__new__(web.WebControl)
    control.ctx = SimpleNamespace(die=die)
    settings = SimpleNamespace(WSGI_WORKER_CLASS=config.get("omero.web.wsgi_worker_class", "sync"),
                               WSGI_THREADS=int(config.get("omero.web.wsgi_threads", 1)),
                               WSGI_WORKER_CONNECTIONS=1000)
    template = control._build_run_cmd(settings)
    return shlex.split(template % {"daemon": "", "base": "/srv/omero/web", "host": "127.0.0.1", "port": 4080,
                                   "workers": int(config.get("omero.web.wsgi_workers", 5)), "timeout": 60,
                                   "maxrequests": 0, "wsgi_args": config.get("omero.web.wsgi_args", "")})


def gunicorn_config(command: list[str]):
    from gunicorn.config import Config

    cfg = Config()
    parsed = cfg.parser().parse_args(command[1:])
    for name, value in vars(parsed).items():
        if value is not None and name in cfg.settings:
            cfg.set(name, value)
    return cfg, parsed.args


def test_the_documented_commands_run_our_worker_under_omero_web_start():
    config = documented_worker_config()
    command = omero_web_start_command(config)
    cfg, positional = gunicorn_config(command)
    assert positional == ["omeroweb.wsgi:application"]
    assert cfg.worker_class_str == WORKER
    assert cfg.worker_class.__name__ == "KeepAliveWorker"
    assert cfg.keepalive == 2 and cfg.workers == 2 and cfg.threads == 1


def test_omero_web_start_refuses_the_worker_class_in_wsgi_worker_class():
    """Why the docs pass it in wsgi_args: the other way stops ``omero web start`` (error 609)."""
    with pytest.raises(Exception) as refused:
        omero_web_start_command({"omero.web.wsgi_worker_class": WORKER})
    assert refused.value.args[0] == 609
