"""The servers a benchmark runs against: redis-server and gunicorn, each in its own process group.

Everything binds to 127.0.0.1 on a free port and is stopped (the whole group) when the
``with`` block ends, also on failure. :class:`ProcessSampler` reads the workers' CPU time and
RSS from ``/proc`` so a load run can report CPU ms per request.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from omero_fast_region.cli import DEFAULT_KEEPALIVE_S, gunicorn_argv
from omero_fast_region.loopback import free_port, wait_for_port
from omero_fast_region.worker_env import pin_library_threads

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class ManagedProcess:
    """A child started in a new session (its own process group), killed as a group on exit."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None, log_name: str = "server") -> None:
        self.argv = argv
        self.env = env
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{log_name}-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "ManagedProcess":
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def log_tail(self, lines: int = 30) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as fh:
            return "".join(fh.readlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, SIGKILL what is left after ``timeout``."""
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def __enter__(self) -> "ManagedProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.log.close()
        if exc[0] is None:
            os.unlink(self.log.name)


class RedisServer(ManagedProcess):
    """``redis-server`` on a free loopback port, no persistence."""

    def __init__(self) -> None:
        self.port = free_port()
        self._admin = None  # the redis-py client of commands_processed, made on first use
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
        super().__init__([exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                          "--protected-mode", "yes"], log_name="redis")

    def start(self) -> "RedisServer":
        super().start()
        wait_for_port(self.port, self.proc)  # type: ignore[arg-type]
        return self

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def commands_processed(self) -> int:
        """Commands Redis has answered so far, not counting this question.

        One connection for every call, so only each earlier call's own INFO is counted (a new
        connection would add its handshake commands)."""
        if self._admin is None:
            import redis

            self._admin = redis.Redis.from_url(self.url)
        return int(self._admin.info("stats")["total_commands_processed"])


@dataclass(frozen=True)
class Deployment:
    """How the product is served: which settings, which gunicorn worker class."""

    mode: str  # standalone | hosted
    worker_class: str  # keepalive | sync | gthread
    workers: int = 2
    threads: int = 4  # gthread only

    @property
    def name(self) -> str:
        threads = f"x{self.threads}" if self.worker_class == "gthread" else ""
        return f"{self.mode}-{self.worker_class}{threads}-{self.workers}w"


class GunicornServer(ManagedProcess):
    """The product through gunicorn, exactly as ``omero-fast-region serve`` runs it."""

    def __init__(self, deployment: Deployment, env: dict[str, str], wsgi: str | None = None,
                 access_log: bool | None = None) -> None:
        self.port = free_port()
        self.deployment = deployment
        threads = deployment.threads if deployment.worker_class == "gthread" else 1
        # sync: gunicorn's own worker, a connection per request (``serve --keepalive 0``)
        keepalive = 0 if deployment.worker_class == "sync" else DEFAULT_KEEPALIVE_S
        # standalone keeps the access log on, as ``serve`` does (it is part of what a request
        # costs); no control socket: gunicorn's default one is shared by every instance of the
        # user (~/.gunicorn/)
        argv = gunicorn_argv(f"127.0.0.1:{self.port}", deployment.workers, threads,
                             extra=["--timeout", "120", "--backlog", "2048", "--no-control-socket"],
                             keepalive=keepalive)
        if wsgi:
            argv[argv.index("omero_fast_region.wsgi:application")] = wsgi
        if access_log is None:
            # hosted runs as ``omero web start`` runs OMERO.web: no gunicorn access log (nginx in
            # front keeps it)
            access_log = deployment.mode != "hosted"
        if not access_log:
            at = argv.index("--access-logfile")
            del argv[at:at + 2]
        full_env = dict(os.environ)
        full_env.update(env)
        # as ``serve`` does, and docs/install.md for ``omero web start``
        pin_library_threads(full_env)
        super().__init__(argv, env=full_env, log_name=deployment.name)

    def start(self) -> "GunicornServer":
        super().start()
        wait_for_port(self.port, self.proc)  # type: ignore[arg-type]
        self.wait_for_workers()
        return self

    def worker_pids(self) -> list[int]:
        """The pids of the master's children (the workers)."""
        return _children(self.pid)

    def wait_for_workers(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.deployment.workers:
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn started {len(self.worker_pids())} of {self.deployment.workers} workers:\n"
                                   + self.log_tail())
            time.sleep(0.1)

    def renew_workers(self, timeout: float = 60.0) -> None:
        """New workers in place of the running ones (gunicorn's ``HUP``: the old ones finish and exit)."""
        old = set(self.worker_pids())
        os.kill(self.pid, signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while True:
            now = set(self.worker_pids())
            if len(now) >= self.deployment.workers and not now & old:
                return
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not renew its workers after HUP:\n" + self.log_tail())
            time.sleep(0.1)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        """One GET on a fresh connection: (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(p) for p in fh.read().split()]
    except OSError:
        return []


def cpu_and_faults(pid: int) -> tuple[float, int]:
    """(user + system CPU seconds, minor page faults) of a process and all its threads; zeros if gone."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0
    # after the command name: field 3 is index 0, so minflt (10) is 7, utime (14) 11, stime (15) 12
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS, int(fields[7])


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * PAGE_SIZE / 2**20
    except OSError:
        return 0.0


class ProcessSampler:
    """CPU seconds (in all and per process) and minor faults of groups of processes between
    :meth:`start` and :meth:`stop`."""

    def __init__(self, pids: dict[str, list[int]]) -> None:
        self.pids = pids
        self._before: dict[int, tuple[float, int]] = {}

    def start(self) -> None:
        self._before = {pid: cpu_and_faults(pid) for group in self.pids.values() for pid in group}

    def stop(self) -> dict[str, dict]:
        out = {}
        for name, group in self.pids.items():
            each, faults = [], 0
            for pid in group:
                now, before = cpu_and_faults(pid), self._before.get(pid, (0.0, 0))
                each.append(now[0] - before[0])
                faults += now[1] - before[1]
            out[name] = {"cpu_s": round(sum(each), 3), "cpu_s_each": [round(c, 3) for c in each], "minflt": faults,
                         "rss_mib": [round(rss_mib(pid), 1) for pid in group]}
        return out


def machine() -> dict:
    """What the numbers were measured on."""
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "interpreter": interpreter()}
    try:
        with open("/proc/cpuinfo") as fh:
            info["cpu"] = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), "")
        with open("/proc/meminfo") as fh:
            info["mem_gib"] = round(int(fh.readline().split()[1]) / 2**20, 1)
    except OSError:
        pass
    info["kernel"] = os.uname().release
    return info


def interpreter() -> dict:
    """Which Python build runs the workers and the floor, and how fast it runs plain Python code.

    Builds differ by up to 1.8x on the same code (a shared ``libpython`` without profile-guided
    optimisation against a distribution's static, optimised executable: finding 31), and that
    falls on the Python part of a request, which is most of what the server adds to the image.
    """
    try:
        with open("/proc/self/maps") as fh:
            shared = "/libpython" in fh.read()
    except OSError:
        shared = None
    return {"executable": os.path.realpath(sys.executable),
            "libpython": None if shared is None else ("shared library" if shared else "in the executable"),
            "loop_us": python_loop_us()}


def _plain_python(table: dict[str, int]) -> str:
    total = 0
    for key, value in table.items():
        if key.startswith("1"):
            total += value
    return "".join(("a", "b", str(total)))


def python_loop_us(repeat: int = 7, number: int = 20000) -> float:
    """Best time of a fixed loop of plain Python (dict items, string tests and joins, a call), µs."""
    table = {str(i): i for i in range(100)}
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            _plain_python(table)
        best = min(best, time.perf_counter() - started)
    return round(best / number * 1e6, 2)


def loadavg() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def cpu_ticks() -> tuple[int, int]:
    """(steal, all) jiffies of the whole machine so far (``/proc/stat``); 0s where there is none."""
    try:
        with open("/proc/stat") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def steal_pct(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Share of the machine's CPU time the hypervisor gave to others between two :func:`cpu_ticks`."""
    total = after[1] - before[1]
    return round(100.0 * (after[0] - before[0]) / total, 1) if total > 0 else 0.0
