"""Django settings for standalone mode: a local catalog, no OMERO server.

Used by `omero-fast-region serve/render/demo` and by the unit tests. The catalog comes from
the environment variable OMERO_FAST_REGION_CATALOG (``local:/path/catalog.json`` or a path).
"""

import os

SECRET_KEY = os.environ.get("OMERO_FAST_REGION_SECRET_KEY", "standalone-mode-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
ROOT_URLCONF = "omero_fast_region.urls_standalone"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "omero_fast_region",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {},
    }
]
DATABASES = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_catalog = os.environ.get("OMERO_FAST_REGION_CATALOG", "")
if _catalog and not _catalog.startswith("local:"):
    _catalog = "local:" + os.path.abspath(_catalog)
FAST_REGION = {
    "catalog": _catalog,
    "standalone": True,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"omero_fast_region": {"handlers": ["console"], "level": os.environ.get("OMERO_FAST_REGION_LOG", "WARNING")}},
}
