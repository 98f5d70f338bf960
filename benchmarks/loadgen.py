"""Load generation for `manage.py bench_api`: wrk when installed, else a bounded threaded client."""

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    tool: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_start(*, port: int, workers: int, worker_class: str, env: dict) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--log-level", "warning", "--keep-alive", "5",
    ]  # fmt: skip
    # Its own process group, so stopping it stops its workers and nothing else.
    return subprocess.Popen(command, env=env, start_new_session=True)


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - local URL we built
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout:.0f}s")


def load(*, base: str, paths: list[str], headers: dict, connections: int, seconds: int) -> LoadResult:
    if shutil.which("wrk"):
        return _wrk(base, paths, headers, connections, seconds)
    return _threaded(base, paths, headers, connections, seconds)


def _wrk(base, paths, headers, connections, seconds) -> LoadResult:
    script = "local paths = {" + ", ".join(json.dumps(p) for p in paths) + "}\nlocal i = 0\n"
    script += "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in headers.items())
    script += "request = function()\n  i = i + 1\n  return wrk.format('GET', paths[(i % #paths) + 1])\nend\n"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        threads = str(min(2, connections))
        command = ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", handle.name]
        output = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return LoadResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_wrk_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        p99_ms=_wrk_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        errors=(int(errors.group(1)) if errors else 0) + (int(timeouts.group(1)) if timeouts else 0),
        tool="wrk",
    )


def _wrk_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _threaded(base, paths, headers, connections, seconds) -> LoadResult:
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int):
        conn, mine, failed, i = http.client.HTTPConnection(host, int(port), timeout=10), [], 0, offset
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                conn.request("GET", paths[i % len(paths)], headers=headers)
                response = conn.getresponse()
                response.read()
                failed += response.status >= 400
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
            mine.append(time.perf_counter() - started)
            i += 1
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    return LoadResult(len(latencies) / seconds, pick(0.50), pick(0.99), errors[0], "python threads")


def post_json(url: str, body, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - local URL we built
        url, data=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return response.status, json.load(response)
