"""Test settings (b): the app hosted in real OMERO.web.

Exactly ``omeroweb.settings``: everything (``omero.web.apps``, middleware or root application,
Redis caches and session engine, ``omero.web.fast_region.*``) comes from
``$OMERODIR/etc/grid/config.xml``, written by the test with ``omero.config.ConfigXml``, as a
sysadmin's ``omero config set`` would (tests/omeroweb/hosting.py).
"""

from omeroweb.settings import *  # noqa: F401,F403
