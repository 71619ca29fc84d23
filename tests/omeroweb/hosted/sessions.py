"""Log a test client in the way OMERO.web's login view does, minus its server-version check.

``Connector(server_id, is_secure).create_connection(…)`` is the login view's own call; its
``to_session`` dict is written into the configured session engine (Redis here) and the
cookie is set on the Django test client.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.test import Client


def login(client: Client, username: str, password: str, is_secure: bool = False) -> dict:
    """Log ``username`` in through omero-web's Connector; returns the connector dict stored in the session."""
    from omeroweb.connector import Connector

    connector = Connector(1, is_secure)
    conn = connector.create_connection("OMERO.web", username, password)
    assert conn is not None, f"login of {username} failed"
    conn.close(hard=False)  # the OMERO session lives on, as after a web login
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["connector"] = dict(connector.__dict__)
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return dict(connector.__dict__)


def logout(client: Client) -> None:
    """What webclient's logout does to the Django session: the connector is gone."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    store.pop("connector", None)
    store.save()
