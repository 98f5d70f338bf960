"""What the benchmark commands share: servers and workers to start and stop, and load generation
(wrk when installed, else a bounded threaded client)."""

import http.client
import json
import os
import re
import secrets
import shutil
import signal
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
    requests: int = 0  # responses received (wrk: completed requests, errors included)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(**extra: str) -> dict:
    """Production-like settings for a server under load: DEBUG off (no query log), quiet logs, plain HTTP."""
    return {
        **os.environ, "DEBUG": "0", "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0", "STATIC_MANIFEST": "0",
        "LOG_LEVEL": "WARNING", **extra,
    }  # fmt: skip


def gunicorn_start(
    *, port: int, workers: int, worker_class: str, env: dict, config: str | None = None
) -> subprocess.Popen:
    """config: a gunicorn configuration file (server hooks), e.g. `gunicorn_hooks.py` beside this module."""
    command = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", worker_class, "--log-level", "warning", "--keep-alive", "5",
        *(["--config", config] if config else []),
    ]  # fmt: skip
    # Its own process group, so stopping it stops its workers and nothing else.
    return subprocess.Popen(command, env=env, start_new_session=True)


def process_group_stop(process: subprocess.Popen | None, timeout: float = 60) -> None:
    """Stop a server or worker started here in its own process group (SIGTERM: its children finish cleanly)."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def celery_workers_start(count: int, *, env: dict, name: str = "bench") -> list[subprocess.Popen]:
    """`count` Celery workers of one process each, named name0@host…; each in its own process group, so
    an interrupted benchmark stops them itself (after they finish their task or are killed)."""
    command = [sys.executable, "-m", "celery", "--quiet", "-A", "config", "worker", "-l", "warning",
               "--concurrency", "1", "--without-gossip", "--without-mingle"]  # fmt: skip
    return [subprocess.Popen([*command, "-n", f"{name}{i}@%h"], env=env, start_new_session=True) for i in range(count)]


def celery_workers_stop(processes: list[subprocess.Popen], timeout: float = 60) -> None:
    """Warm shutdown (each main process stops its pool child itself); killed after `timeout` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def process_rss(pid: int) -> int:
    """Resident memory of a process in bytes (0 when it is gone)."""
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


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


def load(
    *, base: str, paths: list[str], headers: dict, connections: int, seconds: int,
    path_headers: list[dict] | None = None, shuffle: bool = False,
) -> LoadResult:  # fmt: skip
    """GET `paths` for `seconds` over `connections` kept-alive connections, in turn (shuffle: at random).

    path_headers: headers of each path's requests besides `headers` (e.g. each tenant's own key).
    """
    requests = [(path, {**headers, **(path_headers[n] if path_headers else {})}) for n, path in enumerate(paths)]
    if shutil.which("wrk"):
        return _wrk(base, requests, connections, seconds, shuffle)
    return _threaded(base, requests, connections, seconds, shuffle)


def _wrk_script(requests: list[tuple[str, dict]], shuffle: bool) -> str:
    """A wrk script: each request is the next (or a random) path with its headers; each thread seeded apart.

    Paths and header values are ASCII, so their JSON strings are Lua strings. Requests with the
    same headers share one table: thousands of paths with a few hundred keys stay a small script.
    """
    tables: dict[str, int] = {}
    for _, headers in requests:
        tables.setdefault(json.dumps(headers, sort_keys=True), len(tables) + 1)
    header_tables = [
        "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in json.loads(key).items()) + "}"
        for key in tables
    ]
    pairs = [f"{{{json.dumps(path)}, {tables[json.dumps(h, sort_keys=True)]}}}" for path, h in requests]
    step = "math.random(#requests)" if shuffle else "(i % #requests) + 1"
    return f"""local headers = {{{", ".join(header_tables)}}}
local requests = {{{", ".join(pairs)}}}
local i, counter = 0, 0
setup = function(thread)
  counter = counter + 1
  thread:set("id", counter)
end
init = function(args)
  math.randomseed(1000 * id + 7)
  i = id
end
request = function()
  i = {step}
  local r, h = requests[i], {{}}
  for k, v in pairs(headers[r[2]]) do h[k] = v end  -- a copy: wrk.format adds Host to the table it gets
  return wrk.format("GET", r[1], h)
end
"""


def _wrk(base, requests, connections, seconds, shuffle) -> LoadResult:
    script = _wrk_script(requests, shuffle)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        threads = str(min(2, connections))
        command = ["wrk", "-t", threads, "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", handle.name]
        output = subprocess.run([*command, base], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return LoadResult(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_wrk_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1)),
        p99_ms=_wrk_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1)),
        errors=(int(errors.group(1)) if errors else 0) + (sum(map(int, sockets.groups())) if sockets else 0),
        tool="wrk",
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
    )


def _wrk_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _threaded(base, requests, connections, seconds, shuffle) -> LoadResult:
    import random

    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker(offset: int):
        conn, mine, failed, i = http.client.HTTPConnection(host, int(port), timeout=10), [], 0, offset
        rng = random.Random(offset)
        while time.monotonic() < deadline:
            path, headers = requests[rng.randrange(len(requests)) if shuffle else i % len(requests)]
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
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
    return LoadResult(len(latencies) / seconds, pick(0.50), pick(0.99), errors[0], "python threads", len(latencies))


def post_json(url: str, body, headers: dict) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 - local URL we built
        url, data=json.dumps(body).encode(), headers={**headers, "Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
        return response.status, json.load(response)
