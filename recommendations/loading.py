"""The model a web process serves: the active version's artifact, loaded once and kept.

Each process looks up which version is active at most every ACTIVE_CHECK_SECONDS,
so an activation elsewhere reaches it without a restart. An artifact that does not
read back as written (missing, truncated, altered) marks its version broken, and
the previous servable version takes over for every process; a process that
already holds a good copy in memory keeps serving it meanwhile.
"""

import gc
import io
import logging
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from django.db import DatabaseError

from core import process_caches
from recommendations.engine import load_model
from recommendations.models import ModelVersion
from recommendations.training import artifact_read, model_version_mark_broken

log = logging.getLogger(__name__)
ACTIVE_CHECK_SECONDS = 3.0
MAX_HANDOVERS = 5  # broken versions skipped in one look-up before giving up until the next


@dataclass
class LoadedModel:
    version_id: int
    model: object
    item_ids: np.ndarray  # (n_items,) int64, sorted: column -> Item pk
    position: dict[int, int] = field(repr=False)  # Item pk -> column
    _similar: dict = field(default_factory=dict, repr=False)  # (column, n) -> similar item pks

    def columns(self, pks) -> np.ndarray:
        return np.array([self.position.get(pk, -1) for pk in pks], dtype=np.int64)

    def similar_pks(self, col: int, n: int) -> list[int]:
        """The pks of the n items most like column `col`; fixed for a version, so kept once computed."""
        key = (col, n)
        found = self._similar.get(key)
        if found is None:
            cols, _ = self.model.similar_items(col, n)
            found = [int(self.item_ids[c]) for c in cols.tolist() if c >= 0]
            if len(self._similar) >= process_caches.SIMILAR_LISTS:
                self._similar.clear()
            self._similar[key] = found
        return found

    @property
    def max_pk(self) -> int:
        return int(self.item_ids[-1]) if len(self.item_ids) else 0


class ActiveModelCache:
    """The active version's model in this process, and what is wrong with serving, if anything."""

    def __init__(self):
        self._lock = threading.Lock()
        self._loaded: LoadedModel | None = None
        self._checked_at = -1e9
        self.problem = ""  # why this process does not serve the model it should ("" when it does)

    def get(self) -> LoadedModel | None:
        if time.monotonic() - self._checked_at < ACTIVE_CHECK_SECONDS:
            return self._loaded
        with self._lock:
            if time.monotonic() - self._checked_at < ACTIVE_CHECK_SECONDS:
                return self._loaded  # another thread just checked
            self._checked_at = time.monotonic()
            try:
                self._refresh()
            except DatabaseError:
                log.exception("cannot look up the active model version; serving the one loaded")
            return self._loaded

    def health(self) -> str:
        """Empty when this process serves the active model, else the reason it does not."""
        self.get()
        return self.problem

    def _refresh(self) -> None:
        active = _active_pk()
        for _ in range(MAX_HANDOVERS):
            if active is None or (self._loaded is not None and self._loaded.version_id == active):
                break
            loaded = self._load(active)
            if loaded is not None:
                self._loaded = loaded
                break
            active = _active_pk()  # the broken version handed over to its predecessor, if it had one
        # With no active version left, a copy this process loaded while its file was good keeps serving.
        self.problem = self._problem(active)

    def _load(self, version_id: int) -> LoadedModel | None:
        """The version's model, or None after marking it broken (which hands activation over)."""
        version = ModelVersion.objects.filter(pk=version_id).first()
        if version is None:
            return None
        try:
            model, extra = load_model(io.BytesIO(artifact_read(version=version)))
            item_ids = extra["item_ids"].astype(np.int64)
        except Exception as exc:
            log.exception("cannot load the artifact of model version %s", version_id)
            model_version_mark_broken(version=version, reason=str(exc) or repr(exc))
            return None
        loaded = LoadedModel(version_id, model, item_ids, {int(pk): i for i, pk in enumerate(item_ids.tolist())})
        heap_freeze()
        return loaded

    def _problem(self, active: int | None) -> str:
        loaded = self._loaded
        broken = ModelVersion.objects.filter(status=ModelVersion.Status.BROKEN).order_by("-pk").first()
        because = f" v{broken.pk}: {broken.error}" if broken is not None else ""
        if loaded is None:
            unfinished = [ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED]
            if active is not None or ModelVersion.objects.exclude(status__in=unfinished).exists():
                return f"No model version can be loaded; popular items serve.{because}"
            return ""  # nothing trained yet: popular items are the design, not a fault
        if active is None:
            return f"v{loaded.version_id} serves from memory; no stored version can be loaded.{because}"
        if active != loaded.version_id:
            return f"The active version v{active} cannot be loaded; v{loaded.version_id} serves."
        if broken is not None and broken.pk > loaded.version_id:
            return f"v{loaded.version_id} serves in place of a newer broken version:{because}"
        return ""

    def clear(self) -> None:
        with self._lock:
            self._loaded, self._checked_at, self.problem = None, -1e9, ""


def _active_pk() -> int | None:
    return ModelVersion.objects.active().values_list("pk", flat=True).first()


active_model = ActiveModelCache()
process_caches.register("the serving model", clear=active_model.clear)


def heap_freeze() -> None:
    """Move every object alive now (modules, settings, the loaded model) out of the garbage collector's sight.

    They live as long as the process, yet each full collection walked them all:
    on the demo catalog one page in twenty paid ~120 ms for it. Frozen, full
    collections only walk what requests leave behind. Called after a model loads.
    """
    gc.collect()
    gc.freeze()
