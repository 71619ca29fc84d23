"""Where every answered request is reported: one call per request from ``views.fast_endpoint``.

Request log lines and metrics hang off :func:`record_request`; the views know nothing more.
"""

from __future__ import annotations

import logging

logger = logging.getLogger("omero_fast_region.requests")


def record_request(endpoint: str, image_id: object, outcome: str, status: int, total_ms: float,
                   timings: dict[str, float] | None = None, reason: str | None = None) -> None:
    """Report one request. ``outcome``: ok | not_modified | client_error | not_found | fallback | error."""
    logger.info(
        "endpoint=%s image=%s outcome=%s status=%s ms=%.1f%s",
        endpoint, image_id, outcome, status, total_ms, f" reason={reason}" if reason else "",
    )
