"""Where an NGFF image lives: a local folder or ``s3://bucket/prefix``, opened read-only."""

from __future__ import annotations

from dataclasses import dataclass

import zarr.storage

from ..errors import Unsupported


@dataclass(frozen=True)
class S3Options:
    """How to reach S3: anonymous by default; or credentials, a profile, an endpoint (MinIO, Ceph...)."""

    anonymous: bool = True
    endpoint_url: str | None = None
    key: str | None = None
    secret: str | None = None
    region: str | None = None
    profile: str | None = None

    def storage_options(self) -> dict:
        """fsspec/s3fs keyword arguments."""
        options: dict = {"anon": self.anonymous and not (self.key or self.profile)}
        if self.key:
            options.update(key=self.key, secret=self.secret)
        if self.profile:
            options["profile"] = self.profile
        client = {k: v for k, v in (("endpoint_url", self.endpoint_url), ("region_name", self.region)) if v}
        if client:
            options["client_kwargs"] = client
        return options


def is_s3(location: str) -> bool:
    return location.startswith("s3://")


def join_location(location: str, *parts: str) -> str:
    """``location/part/...`` for a folder or an S3 URL (parts already checked)."""
    return "/".join([location.rstrip("/"), *parts])


def open_store(location: str, s3: S3Options | None = None) -> zarr.storage.StoreLike:
    """A read-only zarr store on a local folder or an ``s3://`` prefix."""
    if is_s3(location):
        try:
            return zarr.storage.FsspecStore.from_url(
                location, storage_options=(s3 or S3Options()).storage_options(), read_only=True
            )
        except ImportError as exc:  # s3fs missing
            raise Unsupported(f"S3 support is not installed: {exc}") from None
    if "://" in location:
        raise Unsupported(f"unsupported location {location!r}")
    return zarr.storage.LocalStore(location, read_only=True)
