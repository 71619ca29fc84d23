#!/usr/bin/env python3
"""Fuzz a running omero-fast-region server over HTTP: never a 5xx, never a traceback.

    scripts/fuzz.py --sample DIR | --catalog CATALOG.json [--requests 10000] [--seed 1] [--max-seconds 600]
    scripts/fuzz.py --url http://127.0.0.1:8000 --ids 1,2,3 --shapes 100

With ``--catalog`` it starts its own gunicorn (``omero-fast-region serve``, loopback, a free
port, ``--worker-class``) and also scans the server's log for tracebacks, which catch errors the
app turned into a 404; with ``--url`` it fuzzes a server already running on loopback. Requests
are generated from ``--seed`` (the same seed gives the same requests): every endpoint and path
segment, every query key with huge/negative/NaN numbers, malformed ``c``/``maps`` JSON,
3,000-character values, repeated keys, unicode and percent-encoded traversal. Prints counts by
status and each failure with the exact request to reproduce it; exit status 1 on any failure.
Only the standard library is used, so it runs against any build of the app.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit
from omero_fast_region.loopback import free_port

#: statuses a stock-compatible answer may have in standalone mode
#: (414/431: gunicorn refuses a request line or header over its limits, before the app)
ALLOWED_STATUSES = frozenset({200, 304, 400, 404, 405, 414, 431})
TRACEBACK_MARKERS = (b"Traceback (most recent call last)", b'File "/', b"django.core.exceptions", b"Exception Value")
#: a marker the generator injects into values; a text/html body echoing it would be reflected XSS
HTML_MARKER = "<script>fz</script>"

# -- the request space -------------------------------------------------------------------------

#: path templates: {iid} image id, {shape} shape id, {n} any number segment, {key} any segment
PATHS = [
    "/webgateway/render_image_region/{iid}/{n}/{n}/",
    "/webgateway/render_image_region_rdef/{iid}/{n}/{n}/",
    "/webgateway/render_image/{iid}/",
    "/webgateway/render_image/{iid}/{n}/",
    "/webgateway/render_image/{iid}/{n}/{n}/",
    "/webgateway/render_image_rdef/{iid}/{n}/{n}/",
    "/webgateway/render_thumbnail/{iid}/",
    "/webgateway/render_thumbnail/{iid}/{n}/",
    "/webgateway/render_thumbnail/{iid}/{n}/{n}/",
    "/webgateway/render_birds_eye_view/{iid}/",
    "/webgateway/render_birds_eye_view/{iid}/{n}/",
    "/webgateway/render_shape_mask/{shape}/",
    "/webgateway/get_thumbnails/",
    "/webgateway/get_thumbnails/{n}/",
    "/webgateway/get_thumbnail/{iid}/",
    "/webgateway/get_thumbnail/{iid}/{n}/{n}/",
    "/webgateway/imgData/{iid}/",
    "/webgateway/imgData/{iid}/{key}/",
    "/webgateway/histogram_json/{iid}/channel/{n}/",
    "/webgateway/histogram_json/{iid}/channel/{n}/{key}",
    "/webclient/get_thumbnails/",
    "/webclient/get_thumbnails/{n}/",
    "/webclient/get_thumbnail/{iid}/",
    "/webclient/render_thumbnail/{iid}/",
    "/webclient/render_thumbnail/size/{n}/{iid}/",
    "/webclient/render_image_region/{iid}/{n}/{n}/",
    "/webclient/{n}/render_image_region/{iid}/{n}/{n}/",
    "/webclient/render_birds_eye_view/{iid}/{n}/",
    "/webclient/render_image/{iid}/{n}/{n}/",
    "/webclient/render_image_download/{iid}/",
    "/webclient/imgData/{iid}/",
    "/webclient/render_image_region_rdef/{iid}/{n}/{n}/",
    "/webclient/render_image_rdef/{iid}/",
    "/omero_ms_image_region/",
    "/omero_ms_image_region/get_shape_mask_bytes/{shape}/",
    "/omero_ms_image_region/get_label_image_metadata/{shape}/",
    "/webgateway/render_thumbnail_ngff/size/{n}/{iid}/",
    "/webclient/render_birds_eye_view_ngff/{iid}/{n}",
    "/webgateway/get_thumbnails_ngff/{n}",
    "/pathviewer/imgData/{iid}/",
    "/pathviewer/histogram_json/{iid}/channel/{n}/",
    # paths that are not ours or try to leave their folder
    "/static/omero_fast_region/{key}",
    "/static/omero_fast_region/..%2f..%2f..%2fsettings.py",
    "/static/omero_fast_region/%2e%2e/%2e%2e/cli.py",
    "/webgateway/render_image/..%2f..%2fetc%2fpasswd/",
    "/webgateway/render_image/{iid}/..%2f/",
    "/viewer/images.json",
    "/{key}",
    "/",
]

#: query keys per family, and keys any endpoint might get
RENDER_KEYS = ["c", "maps", "m", "p", "q", "ia", "format", "flip", "tile", "region", "z", "t", "zm", "x", "y"]
OTHER_KEYS = ["bins", "theZ", "theT", "usePixelsTypeRange", "id", "rdefId", "longestSide", "callback",
              "getDefaults", "color", "resolution", "domain", "_", "bsession", "server", "username", "key"]
KEYS = RENDER_KEYS + OTHER_KEYS

NUMBERS = [
    "0", "1", "2", "-1", "-0", "3", "7", "255", "256", "1024", "2048", "2049", "3192", "3193", "65535", "65536",
    "65537", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "1" + "0" * 40, "9" * 3000,
    "9" * 5000, "1e3", "1.5", "nan", "NaN", "inf", "-inf", "1e308", "1e-400", " 1", "1 ", "+1", "0x10", "1_000",
    "\uff11", "\u0663", "", " ",
]
STRINGS = [
    "A" * 3000, "%" * 10, "..", "../../../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2f",
    "%252e%252e%252f", "\u00e9\u00e8", "\u202e\u200b", "\U0001f600", "\x00", "\x7f", "\r\nX-Injected: 1",
    "null", "true", "[]", "{}", HTML_MARKER, "javascript:alert(1)", "a,b,c", "|||", "$$$", ":::", ";", "'\"",
]
CHANNELS = [
    "1", "-1", "0", "1,2,3", "-1,-2,-3", "1|0:255$FF0000", "1|100:505$0000FF,-2,3|620:3879$FF0000",
    "1|12:1386r$0000FF", "1$AA$BB", "1|0:255$FF0000$00FF00", "x|0:1$F00,2|0:1$0F0", "1|0:nan$FF0000",
    "1|inf:-inf$FF0000", "1|1e308:-1e308$FF0000", "1|0:0$FF0000", "1|5:1$FF0000", "1|0:255$fire.lut",
    "1|0:255$../../../../etc/passwd.lut", "1|0:255$" + "A" * 3000 + ".lut", "1|0:255$zzzzzz",
    "1|0:255$#FF0000", "99999999999999999999|0:1$FF0000", "1|0:1:2$F00", "1|$FF0000,2|$00FF00",
    ",".join(str(i) for i in range(1, 40)), ",".join("1" for _ in range(1000)), "1%7C0:255$FF0000",
    "\uff11|0:255$FF0000", "1|0:255$FF0000," * 50,
]
MAPS = [
    '[{"inverted":{"enabled":true}}]', '[{"reverse":{"enabled":"true"}}]', "[{}]", "[]", "null", "{}", "1",
    '"x"', "[null]", "[1]", "[[]]", '[{"inverted":1}]', '[{"inverted":{"enabled":1}}]',
    '[{"quantization":{"family":"exponential","coefficient":1e308}}]',
    '[{"quantization":{"family":"logarithmic","coefficient":-1}}]',
    '[{"quantization":{"family":"polynomial","coefficient":"nan"}}]',
    '[{"quantization":{"family":"linear","coefficient":0}}]',
    '[{"quantization":{"family":"nope"}}]', '[{"quantization":null}]', '[{"quantization":[1,2]}]',
    "[" * 3000, "[" * 3000 + "]" * 3000, '{"a":' * 2000 + "1" + "}" * 2000, "[{", "not json",
]
TILES = [
    "0,0,0", "0,1,1", "0,0,0,256,256", "0,0,0,0,0", "0,0,0,-1,-1", "0,-1,-1", "1,0,0", "2,0,0", "99,0,0",
    "-1,0,0", "0,0,0,100000,100000", "0,99999999999,0", "0,0,0,10000", "0,a,b", "0,0", "", ",,,,",
    "0,0,0,2049,2049", "0,0,0,1e3,1e3", "0,0,0,nan,nan",
]
REGIONS = [
    "0,0,10,10", "0,0,0,0", "0,0,-1,-1", "-1,-1,10,10", "0,0,99999999999999999999,99999999999999999999",
    "5,5,3193,3193", "1e3,0,1,1", "0,0,10", "0,0,10,10,10", "99999,99999,1,1",
]
PROJECTIONS = ["intmax", "intmean", "intsum", "intmax|0:4", "intmax|0:99999999999999999999", "intmean|3:1",
               "intsum|-5:3", "intmax|5", "normal", "intmax|a:b", "intmax|0:0"]
FORMATS = ["jpeg", "png", "tif", "tiff", "jpg", "gif", "JPEG", "webp", ""]

VALUES_BY_KEY = {
    "c": CHANNELS, "maps": MAPS, "tile": TILES, "region": REGIONS, "p": PROJECTIONS, "format": FORMATS,
    "m": ["g", "c", "x", "G", ""], "flip": ["h", "v", "hv", "vh", "x", ""], "ia": ["0", "1", "2"],
    "usePixelsTypeRange": ["true", "false", "TRUE", "1"], "getDefaults": ["true", "false"],
    "callback": ["cb", "a$b_c1", "alert(1)", HTML_MARKER, "1abc", "A" * 3000, ""],
    "color": ["FF0000", "f00", "FF000080", "zzz", "#FF0000", "", "F" * 3000],
    "domain": ["[0,0,0,0:10,0:10]", "[0,0,0,0:99999999999,0:99999999999]", "[0,0,0]", "[a,b,c,d,e]",
               "[0,0,0,10:0,10:0]", "[-1,-1,-1,-5:5,-5:5]"],
}


@dataclass
class FuzzRequest:
    method: str
    path: str  # with the query string, already encoded for the wire
    headers: dict[str, str] = field(default_factory=dict)

    def curl(self, base: str) -> str:
        headers = "".join(f" -H {json.dumps(f'{k}: {v}')}" for k, v in self.headers.items())
        return f"curl -sS -X {self.method}{headers} {json.dumps(base + self.path)}"


class RequestGenerator:
    """Seeded requests over the whole URL space of the app."""

    def __init__(self, seed: int, image_ids: list[int], shape_ids: list[int]) -> None:
        self.rng = random.Random(seed)
        self.image_ids = image_ids or [1]
        self.shape_ids = shape_ids or [1]

    def number(self) -> str:
        """A path segment: the URL regexes only match digits, so digits of every size."""
        r = self.rng.random()
        if r < 0.6:
            return str(self.rng.randint(0, 5))
        if r < 0.8:
            return str(self.rng.randint(0, 10**6))
        if r < 0.95:
            return "9" * self.rng.randint(10, 60)
        return "9" * self.rng.choice([3000, 5000])

    def ident(self, ids: list[int]) -> str:
        return str(self.rng.choice(ids)) if self.rng.random() < 0.8 else self.number()

    def segment(self) -> str:
        return quote(self.rng.choice(STRINGS + NUMBERS), safe="%")

    def value(self, key: str) -> str:
        r = self.rng.random()
        if key in VALUES_BY_KEY and r < 0.6:
            return self.rng.choice(VALUES_BY_KEY[key])
        if r < 0.8:
            return self.rng.choice(NUMBERS)
        if r < 0.95:
            return self.rng.choice(STRINGS)
        return "".join(chr(self.rng.randint(1, 0x2FFF)) for _ in range(self.rng.randint(1, 40)))

    def encode(self, text: str) -> str:
        """Percent-encode; sometimes keep ``%`` as is (pre-encoded traversal, invalid escapes)."""
        return quote(text, safe="%" if self.rng.random() < 0.2 else "")

    def query(self, path: str) -> str:
        pairs: list[tuple[str, str]] = []
        if "render_image_region" in path and self.rng.random() < 0.8:
            pairs.append(("tile" if self.rng.random() < 0.6 else "region", ""))
        if "get_thumbnails" in path:
            count = self.rng.choice([0, 1, 3, 50, 51, 200])
            pairs += [("id", self.ident(self.image_ids)) for _ in range(count)]
        for _ in range(self.rng.choice([0, 1, 2, 3, 4, 6])):
            pairs.append((self.rng.choice(RENDER_KEYS if self.rng.random() < 0.6 else KEYS), ""))
        if pairs and self.rng.random() < 0.1:  # a repeated key: the last value counts
            pairs.append((pairs[0][0], ""))
        parts = []
        for key, value in pairs:
            if key != "id":
                value = self.value(key)
            parts.append(f"{self.encode(key) if self.rng.random() < 0.05 else key}={self.encode(value)}")
        if self.rng.random() < 0.03:
            parts.append(self.encode(self.rng.choice(STRINGS)))  # a key without "="
        return "&".join(parts)

    def next(self) -> FuzzRequest:
        template = self.rng.choice(PATHS)
        path = template
        while "{" in path:
            start = path.index("{")
            name = path[start + 1:path.index("}", start)]
            fill = {"iid": lambda: self.ident(self.image_ids), "shape": lambda: self.ident(self.shape_ids),
                    "n": self.number, "key": self.segment}[name]()
            path = path[:start] + fill + path[path.index("}", start) + 1:]
        query = self.query(path)
        method = self.rng.choices(["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE"], [85, 4, 4, 4, 2, 1])[0]
        headers = {}
        if self.rng.random() < 0.1:
            headers["If-None-Match"] = self.rng.choice(['"x"', "*", "W/\"1\"", "A" * 3000, ", , ,"])
        if self.rng.random() < 0.05:
            headers["X-Requested-With"] = "XMLHttpRequest"
        return FuzzRequest(method, path + ("?" + query if query else ""), headers)


def check_response(status: int, content_type: str, body: bytes) -> str | None:
    """Why this answer is wrong, or None."""
    if status >= 500:
        return f"status {status}"
    if status not in ALLOWED_STATUSES:
        return f"unexpected status {status}"
    if any(marker in body for marker in TRACEBACK_MARKERS):
        return "traceback in the body"
    if "html" in content_type and HTML_MARKER.encode() in body:
        return "input reflected into an HTML body"
    return None


# -- running -----------------------------------------------------------------------------------

def is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return all(info[4][0] in ("127.0.0.1", "::1") or info[4][0].startswith("127.") for info in infos)




def wait_for(host: str, port: int, proc: subprocess.Popen | None, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/omero_ms_image_region/")
            conn.getresponse().read()  # any answer: the server is up (a 404 here is the app's finding)
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"no server answered on {host}:{port} within {seconds} s")


class Server:
    """``omero-fast-region serve`` on a free loopback port, in its own process group; log to a file."""

    def __init__(self, catalog: str, worker_class: str = "gthread", workers: int = 2, threads: int = 4,
                 env: dict | None = None, extra: list[str] | None = None) -> None:
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="fast-region-server-", suffix=".log", delete=False)
        cli = os.path.join(os.path.dirname(sys.executable), "omero-fast-region")
        self.argv = [cli, "serve", "--catalog", catalog, "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers)]
        # gunicorn >= 23 listens on one control socket per user ($HOME/.gunicorn/gunicorn.ctl): servers
        # running side by side (tests, benchmarks) must not share it
        gunicorn_args = ["--no-control-socket", *(extra or [])]
        if worker_class == "gthread":
            self.argv += ["--threads", str(max(2, threads))]
        elif worker_class != "keepalive":  # keepalive: serve's default
            # serve names no worker class then (gunicorn's sync), so the one in GUNICORN_CMD_ARGS applies
            self.argv += ["--keepalive", "0"]
            if worker_class != "sync":
                gunicorn_args += ["--worker-class", worker_class, "--worker-connections", str(max(2, threads) * 25)]
        self.env = dict(os.environ, **(env or {}))
        if gunicorn_args:
            self.env["GUNICORN_CMD_ARGS"] = " ".join(gunicorn_args)
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(self.argv, stdout=self.log, stderr=subprocess.STDOUT, env=self.env,
                                     start_new_session=True)
        try:
            wait_for("127.0.0.1", self.port, self.proc)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    def worker_pids(self) -> list[int]:
        """gunicorn's worker processes (children of the master)."""
        if self.proc is None:
            return []
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as fh:
                return [int(p) for p in fh.read().split()]
        except OSError:
            return []


def server_errors(log: str) -> list[str]:
    """Lines of a server log that show an error the app hid behind a 4xx, or a dead worker.

    Only up to gunicorn's ``Handling signal: term``: the workers it stops after that (our own
    shutdown at the end of the run) are not failures.
    """
    interesting = re.compile(r"failed$|WORKER TIMEOUT|Worker .* (was sent|exited)|Exception in worker|^\w+(Error|Exception)\b")
    lines = log.splitlines()
    end = next((i for i, line in enumerate(lines) if "Handling signal: term" in line), len(lines))
    return [re.sub(r"request [0-9a-f]{12}", "request ID", line) for line in lines[:end] if interesting.search(line)]


@dataclass
class FuzzReport:
    total: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list[tuple[str, FuzzRequest, str]] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures and not self.server_errors

    def lines(self, base: str) -> list[str]:
        out = [f"{self.total} requests in {self.seconds:.1f} s; by status: "
               + ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items(), key=lambda kv: str(kv[0])))]
        kinds = Counter((reason, endpoint_of(request.path)) for reason, request, _ in self.failures)
        for (reason, endpoint), count in kinds.most_common():
            out.append(f"  {count} x {reason} on {endpoint}")
        for reason, request, detail in self.failures[:20]:
            out.append(f"FAIL {reason}: {request.curl(base)}\n    {detail[:300]!r}")
        if len(self.failures) > 20:
            out.append(f"... and {len(self.failures) - 20} more failures")
        errors = Counter(self.server_errors)
        for line, count in errors.most_common(30):
            out.append(f"SERVER LOG ({count} x): {line[:300]}")
        return out


def endpoint_of(path: str) -> str:
    """The path without ids and query, for grouping failures."""
    return re.sub(r"/[0-9]+", "/N", path.split("?", 1)[0])[:80]


def send(conn_holder: dict, host: str, port: int, request: FuzzRequest) -> tuple[int, str, bytes]:
    for attempt in range(2):
        conn = conn_holder.get("conn") or http.client.HTTPConnection(host, port, timeout=60)
        conn_holder["conn"] = conn
        try:
            conn.putrequest(request.method, request.path, skip_accept_encoding=True)
            for key, value in request.headers.items():
                conn.putheader(key, value)
            conn.endheaders()
            response = conn.getresponse()
            body = response.read()
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                conn_holder.pop("conn", None)
            return response.status, response.getheader("Content-Type", ""), body
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.CannotSendRequest):
            conn.close()
            conn_holder.pop("conn", None)
            if attempt:
                raise
    raise AssertionError("not reached")


def run_fuzz(base: str, requests: int, seed: int, image_ids: list[int], shape_ids: list[int],
             concurrency: int = 4, max_seconds: float = 600.0) -> FuzzReport:
    """Send ``requests`` generated requests to ``base`` (loopback only) from ``concurrency`` threads."""
    parts = urlsplit(base)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if not is_loopback(host):
        raise SystemExit(f"fuzz: refusing to fuzz {host}: loopback only")
    generator = RequestGenerator(seed, image_ids, shape_ids)
    batch = [generator.next() for _ in range(requests)]
    report = FuzzReport()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + max_seconds
    cursor = iter(range(len(batch)))

    def worker() -> None:
        holder: dict = {}
        while time.monotonic() < deadline:
            with lock:
                index = next(cursor, None)
            if index is None:
                break
            request = batch[index]
            try:
                status, content_type, body = send(holder, host, port, request)
                problem = check_response(status, content_type, body)
                detail = body[:300].decode("utf-8", "replace")
            except Exception as exc:  # noqa: BLE001 - any transport failure is a finding
                status, problem, detail = "error", f"no answer ({type(exc).__name__})", str(exc)
            with lock:
                report.total += 1
                report.statuses[status] += 1
                if problem:
                    report.failures.append((problem, request, detail))
        if holder.get("conn"):
            holder["conn"].close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, concurrency))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report.seconds = time.monotonic() - started
    return report


def catalog_ids(catalog: str) -> tuple[list[int], list[int]]:
    with open(catalog, encoding="utf-8") as fh:
        doc = json.load(fh)
    return [int(i["id"]) for i in doc.get("images", [])], [int(m["id"]) for m in doc.get("masks") or []]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--catalog", help="start a server on this local catalog (and scan its log)")
    target.add_argument("--url", help="fuzz a server already running on loopback")
    target.add_argument("--sample", help="write the hardening image set here (once), serve and fuzz it")
    parser.add_argument("--ids", default="", help="image ids (comma-separated; default: from the catalog)")
    parser.add_argument("--shapes", default="", help="shape ids (comma-separated; default: from the catalog)")
    parser.add_argument("--requests", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--worker-class", default="gthread", choices=["keepalive", "sync", "gthread", "gevent"])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)

    image_ids = [int(v) for v in args.ids.split(",") if v]
    shape_ids = [int(v) for v in args.shapes.split(",") if v]
    if args.sample:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from tests.hardening.imageset import write_image_set

        args.catalog = str(write_image_set(args.sample))
    if args.catalog:
        found_images, found_shapes = catalog_ids(args.catalog)
        image_ids, shape_ids = image_ids or found_images, shape_ids or found_shapes
        with Server(args.catalog, args.worker_class, args.workers) as server:
            report = run_fuzz(server.url, args.requests, args.seed, image_ids, shape_ids, args.concurrency, args.max_seconds)
            server.stop()
            report.server_errors = server_errors(server.log_text())
            base = server.url
    else:
        base = args.url.rstrip("/")
        report = run_fuzz(base, args.requests, args.seed, image_ids, shape_ids, args.concurrency, args.max_seconds)
    print(f"fuzz: seed {args.seed}")
    for line in report.lines(base):
        print(line)
    print("fuzz: OK" if report.ok else f"fuzz: {len(report.failures)} bad answers, {len(report.server_errors)} server errors")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
