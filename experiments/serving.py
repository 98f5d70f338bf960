"""Which model serves a person's list: the workspace's running experiment, if any, decides.

Each process keeps each workspace's running experiment (its id, share and candidates) for at
most CHECK_SECONDS (core.process_caches), so starting or stopping an experiment reaches every
process within that time and at once in the process that did it.
"""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from django.db import transaction

from core import process_caches
from experiments.assignment import variant_for
from experiments.models import CONTROL, Experiment, Variant

RUNNING = 1_000  # workspaces whose running experiment a process remembers (LRU)
CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Running:
    """A workspace's running experiment, as serving needs it."""

    experiment_id: int
    traffic: int
    candidates: tuple[str, ...]  # candidate variant names, in their stored order
    versions: dict  # variant name -> the ModelVersion id that serves it


@dataclass(frozen=True)
class Choice:
    """What serves one person's list: the experiment (None: none runs), the variant, and the model version
    of a candidate (None: the workspace's active version, as for control)."""

    experiment_id: int | None = None
    variant: str = CONTROL
    version_id: int | None = None


NO_EXPERIMENT = Choice()


class _RunningExperiments:
    def __init__(self):
        self._entries: OrderedDict[int, tuple[Running | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, workspace_id: int) -> Running | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(workspace_id)
            if entry is not None:
                self._entries.move_to_end(workspace_id)
        if entry is not None and now - entry[1] < CHECK_SECONDS:
            return entry[0]
        found = _read(workspace_id)
        with self._lock:
            self._entries[workspace_id] = (found, now)
            self._entries.move_to_end(workspace_id)
            while len(self._entries) > RUNNING:
                self._entries.popitem(last=False)
        return found

    def forget(self, workspace_id: int) -> None:
        """Read the workspace's experiment again on its next list: now, and once the transaction commits."""
        with self._lock:
            self._entries.pop(workspace_id, None)

        def later():
            with self._lock:
                self._entries.pop(workspace_id, None)

        transaction.on_commit(later)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


running_experiments = _RunningExperiments()
process_caches.register("running experiments", clear=running_experiments.clear)


def _read(workspace_id: int) -> Running | None:
    experiment = Experiment.objects.filter(workspace_id=workspace_id, status=Experiment.Status.RUNNING).first()
    if experiment is None:
        return None
    candidates = [
        (name, version) for name, version in
        Variant.objects.filter(experiment=experiment).exclude(name=CONTROL).order_by("pk").values_list(
            "name", "model_version_id"
        )
    ]  # fmt: skip
    return Running(experiment.pk, experiment.traffic, tuple(n for n, _ in candidates), dict(candidates))


def choose(*, workspace_id: int, user_id: int | None) -> Choice:
    """The variant and model for `user_id`'s lists in the workspace now."""
    running = running_experiments.get(workspace_id)
    if running is None:
        return NO_EXPERIMENT
    variant = variant_for(
        experiment_id=running.experiment_id, traffic=running.traffic, candidates=list(running.candidates),
        user_id=user_id,
    )  # fmt: skip
    return Choice(running.experiment_id, variant, running.versions.get(variant))
