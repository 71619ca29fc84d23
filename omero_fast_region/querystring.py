"""A query string parsed as Django's ``QueryDict`` parses it, with the decoded tokens remembered.

``QueryDict`` is ``parse_qsl(text, keep_blank_values=True, encoding=…, max_num_fields=…)``;
``parse_qsl`` decodes each ``name=value`` token on its own. A viewer sends the same
percent-encoded ``c=`` and ``maps=`` tokens with every tile, and decoding them was most of the
20 µs ``parse_qsl`` took per tile. Here a token with nothing to decode is split as is, and a
decoded token is remembered per process (a bounded memo, emptied when full).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

#: decoded tokens one process remembers; the memo is emptied when it holds this many
MAX_TOKENS = 512
#: longer tokens are decoded every time (bounds the memo's memory: 512 × 2 kB)
MAX_TOKEN_CHARS = 2048

_decoded: dict[tuple[str, str], tuple[str, str]] = {}


def parse_query_string(text: str, encoding: str = "utf-8", max_fields: int | None = None) -> dict[str, str]:
    """``dict(parse_qsl(text, keep_blank_values=True, encoding=encoding, max_num_fields=max_fields))``.

    Each name keeps its last value and its first position; ``&`` is the only separator; a
    token without ``=`` is a name with a blank value; ``ValueError`` when there are more than
    ``max_fields`` fields, as ``parse_qsl`` counts them."""
    tokens = text.split("&")
    if max_fields is not None and len(tokens) > max_fields:
        raise ValueError("Max number of fields exceeded")
    params: dict[str, str] = {}
    for token in tokens:
        if not token:
            continue
        if "%" not in token and "+" not in token:  # nothing to decode: parse_qsl keeps it as is
            name, _, value = token.partition("=")
            params[name] = value
            continue
        key = (token, encoding)
        pair = _decoded.get(key)
        if pair is None:
            pair = parse_qsl(token, keep_blank_values=True, encoding=encoding)[0]
            if len(token) <= MAX_TOKEN_CHARS:
                if len(_decoded) >= MAX_TOKENS:
                    _decoded.clear()
                _decoded[key] = pair
        params[pair[0]] = pair[1]
    return params
