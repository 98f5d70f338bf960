"""Benchmark: the sharded similarity fit on 1 worker versus 2 single-threaded workers.

Starts real Celery worker processes (one task at a time each, one BLAS/OpenMP
thread) on the configured broker, times the same chord of item blocks with one
worker and with two, and checks both give the same matrix.
"""

import os
import subprocess
import sys
import time
import uuid

import numpy as np
from celery import group
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from recommendations import sharding
from recommendations.engine.synthetic import ML20M_INTERACTIONS, ML20M_SHAPE, synthetic_matrix
from recommendations.models import ModelVersion


class Command(BaseCommand):
    help = "Time the sharded item-kNN fit with 1 and 2 single-threaded Celery workers."

    def add_arguments(self, parser):
        # MovieLens-20M's shape by default: the scale the fit is spread over workers for.
        parser.add_argument("--users", type=int, default=ML20M_SHAPE[0])
        parser.add_argument("--items", type=int, default=ML20M_SHAPE[1])
        parser.add_argument("--interactions", type=int, default=ML20M_INTERACTIONS)
        parser.add_argument("--blocks", type=int, default=16)
        parser.add_argument("--k", type=int, default=200)

    def handle(self, *args, users, items, interactions, blocks, k, **options):
        from recommendations.tasks import similarity_block

        started = time.perf_counter()
        X = synthetic_matrix(users, items, interactions)
        self.stdout.write(
            f"matrix {X.shape[0]} x {X.shape[1]}, {X.nnz} interactions ({time.perf_counter() - started:.1f}s)"
        )
        version = ModelVersion.objects.create(
            algorithm="itemknn", heartbeat_at=timezone.now(), note="sharding benchmark", trigger="manual"
        )
        try:
            sharding.matrix_save(version_id=version.pk, matrix=X)
            plan = sharding.block_plan(X, blocks)
            results = {}
            for workers in (1, 2):
                with _workers(workers):
                    time.sleep(3)  # let them connect before the clock starts
                    t0 = time.perf_counter()
                    job = group(similarity_block.s(version.pk, "full", a, b, k, 10.0) for a, b in plan)()
                    parts = job.get(timeout=3600, disable_sync_subtasks=False)
                    results[workers] = (
                        time.perf_counter() - t0,
                        sharding.similarity_blocks_merge(parts, "full", X.shape[1]),
                    )
                self.stdout.write(f"{workers} worker(s): {results[workers][0]:.1f}s for {len(plan)} blocks")
            same = all(
                np.array_equal(getattr(results[1][1], a), getattr(results[2][1], a))
                for a in ("data", "indices", "indptr")
            )
            ratio = results[2][0] / results[1][0]
            self.stdout.write(f"2 workers / 1 worker = {ratio:.2f} (target <= 0.60); identical matrices: {same}")
        finally:
            sharding.shard_files_delete(version_id=version.pk)
            version.delete()


class _workers:
    def __init__(self, count: int):
        self.count, self.processes = count, []

    def __enter__(self):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MEDIA_ROOT": str(settings.MEDIA_ROOT)}  # fmt: skip
        for n in range(self.count):
            name = f"bench-{n}-{uuid.uuid4().hex[:6]}@%h"
            command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-n", name,
                       "--concurrency", "1", "--without-gossip", "--without-mingle"]  # fmt: skip
            self.processes.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL))  # no banners
        return self

    def __exit__(self, *exc):
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
