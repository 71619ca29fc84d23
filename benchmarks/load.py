"""Load from a separate, efficient client: ``wrk`` walking a path list, and Apache ``ab``.

Both only ever target 127.0.0.1 and are bounded in time (and ``ab`` in count too).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

WRK_SCRIPT = r"""
-- walks the path list round and round; counts statuses and sums the Server-Timing "cpu" of
-- each 200 (the CPU the worker spent producing the image); prints one JSON line at the end
local paths = {}
local counter = 0
bad = 0  -- globals: done() reads them from every thread
cpu_sum = 0
cpu_count = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = tonumber(args[2] or "0") % #paths
end

function request()
  counter = counter + 1
  if counter > #paths then counter = 1 end
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
  elseif status == 200 then
    local timing = headers["Server-Timing"] or headers["server-timing"]
    if timing then
      local cpu = tonumber(string.match(timing, "^cpu;dur=([%d%.]+)") or string.match(timing, "[, ]cpu;dur=([%d%.]+)") or "")
      if cpu then
        cpu_sum = cpu_sum + cpu
        cpu_count = cpu_count + 1
      end
    end
  end
end

function done(summary, latency, requests)
  local non2xx, cpu, counted = 0, 0, 0
  for _, thread in ipairs(threads) do
    non2xx = non2xx + thread:get("bad")
    cpu = cpu + thread:get("cpu_sum")
    counted = counted + thread:get("cpu_count")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "non2xx": %d, ' ..
    '"server_timing_cpu": {"sum_ms": %.3f, "count": %d}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p95": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, summary.bytes, non2xx, cpu, counted,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max))
end
"""


def require(tool: str, package: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise RuntimeError(f"{tool} is not installed (Debian: apt-get install {package})")
    return exe


def run_wrk(port: int, paths: list[str], connections: int, seconds: float,
            headers: dict[str, str] | None = None, offset: int = 0) -> dict:
    """``wrk`` with ``connections`` keep-alive connections for ``seconds``; returns its summary."""
    exe = require("wrk", "wrk")
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        script, path_file = Path(tmp) / "paths.lua", Path(tmp) / "paths.txt"
        script.write_text(WRK_SCRIPT)
        path_file.write_text("\n".join(paths) + "\n")
        argv = [exe, "-t", "1", "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
                "-s", str(script)]
        for name, value in (headers or {}).items():
            argv += ["-H", f"{name}: {value}"]
        argv += [f"http://127.0.0.1:{port}/", "--", str(path_file), str(offset)]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary (status {out.returncode}):\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("WRK_JSON "):])
    duration = result["duration_us"] / 1e6
    lat = result.pop("latency_us")
    timing = result.pop("server_timing_cpu")
    # the mean Server-Timing ``cpu`` of the 200 answers that carried one (None: none did)
    result["server_timing_cpu_ms"] = round(timing["sum_ms"] / timing["count"], 3) if timing["count"] else None
    result["server_timing_samples"] = timing["count"]
    result.update({
        "connections": connections,
        "seconds": round(duration, 2),
        "rps": round(result["requests"] / duration, 1) if duration else 0.0,
        "latency_ms": {k: round(v / 1000.0, 2) for k, v in lat.items()},
    })
    return result


AB_PATTERNS = {
    "complete": r"Complete requests:\s+(\d+)",
    "failed": r"Failed requests:\s+(\d+)",
    "non2xx": r"Non-2xx responses:\s+(\d+)",
    "rps": r"Requests per second:\s+([\d.]+)",
    "mean_ms": r"Time per request:\s+([\d.]+) \[ms\] \(mean\)",
    "seconds": r"Time taken for tests:\s+([\d.]+)",
}


def run_ab(port: int, path: str, requests: int, concurrency: int, time_limit: float,
           cookie: str | None = None) -> dict:
    """Apache ``ab -n requests -c concurrency`` (no keep-alive, as the stock figure was measured)."""
    exe = require("ab", "apache2-utils")
    # -t first: it resets -n to 50000, so -n must come after it to bound the count as well
    argv = [exe, "-t", str(int(time_limit)), "-n", str(requests), "-c", str(concurrency), "-s", "60", "-q"]
    if cookie:
        argv += ["-C", cookie]
    argv.append(f"http://127.0.0.1:{port}{path}")
    out = subprocess.run(argv, capture_output=True, text=True, timeout=time_limit + 90, check=False)
    result: dict = {"path": path, "requests": requests, "concurrency": concurrency}
    for key, pattern in AB_PATTERNS.items():
        match = re.search(pattern, out.stdout)
        value = float(match.group(1)) if match else (0 if key == "non2xx" else None)
        result[key] = value
    if result["rps"] is None:
        raise RuntimeError(f"ab printed no summary (status {out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    result["percentiles_ms"] = {f"p{m.group(1)}": int(m.group(2))
                                for m in re.finditer(r"^\s+(50|95|99|100)%\s+(\d+)", out.stdout, re.M)}
    return result
