"""gunicorn server hooks for the benchmarks (`gunicorn --config` this file).

A web worker's model cache lives in that process alone, so each worker reports on
itself into the folder ENCORE_BENCH_STATS_DIR names: its memory once the
application is loaded and before any request (`<pid>.start.json`), and when it
exits its memory again and its model cache's own accounting (`<pid>.json`).
"""

import json
import os
from pathlib import Path


def post_worker_init(worker):
    _write(f"{worker.pid}.start.json", {"pid": worker.pid, "rss": _rss()})


def worker_exit(server, worker):
    from django.conf import settings

    from recommendations.loading import active_models

    loaded = active_models.loaded()
    _write(
        f"{worker.pid}.json",
        {
            "pid": worker.pid,
            "rss": _rss(),
            "models": len(loaded),
            "bytes": sum(model.nbytes for model in loaded.values()),
            "largest": max((model.nbytes for model in loaded.values()), default=0),
            "bound": settings.ENCORE_MODEL_CACHE_MB * 2**20,
        },
    )


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _write(name: str, stats: dict) -> None:
    folder = os.environ.get("ENCORE_BENCH_STATS_DIR")
    if folder:
        Path(folder, name).write_text(json.dumps(stats))
