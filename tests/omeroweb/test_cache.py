"""The per-session descriptor cache: scopes never mix, TTL bounds both tiers."""

from __future__ import annotations

import time

from django.core.cache import caches

from omero_fast_region.catalog.cache import DescriptorCache, UnsupportedMark
from omero_fast_region.descriptor import ImageDescriptor, SourceSpec
from omero_fast_region.render.model import PixelsInfo

DESCRIPTOR = ImageDescriptor(id=7, name="x", pixels=PixelsInfo("uint8", 4, 3), channels=(),
                             source=SourceSpec("romio", "/OMERO/Pixels/7", "/OMERO"))


def test_an_entry_is_seen_only_by_its_scope():
    cache = DescriptorCache(ttl=60)
    cache.put("scope-a", 7, DESCRIPTOR)
    assert cache.get("scope-a", 7) == DESCRIPTOR
    assert cache.get("scope-b", 7) is None


def test_the_shared_tier_serves_another_process_of_the_same_scope():
    DescriptorCache(ttl=60).put("scope-a", 8, UnsupportedMark("czi"))
    assert DescriptorCache(ttl=60).get("scope-a", 8) == UnsupportedMark("czi")
    assert caches["default"].get(DescriptorCache.key("scope-a", 8)) is not None


def test_entries_expire_after_the_ttl(monkeypatch):
    cache = DescriptorCache(ttl=1)
    cache.put("scope-a", 9, DESCRIPTOR)
    real = time.monotonic
    monkeypatch.setattr(time, "monotonic", lambda: real() + 2)
    monkeypatch.setattr(time, "time", lambda: 10**12)
    assert cache.get("scope-a", 9) is None


def test_ttl_zero_disables_caching():
    cache = DescriptorCache(ttl=0)
    cache.put("scope-a", 10, DESCRIPTOR)
    assert cache.get("scope-a", 10) is None
