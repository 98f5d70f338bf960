"""The models a web process serves: each workspace's active version, loaded on first use and kept.

Each workspace has its own entry, which looks up that workspace's active version at
most every ACTIVE_CHECK_SECONDS, so an activation elsewhere reaches the process without
a restart, and activating one workspace's version never reloads another's model.
Loaded models together stay within ENCORE_MODEL_CACHE_MB: the least recently used
workspace's model is dropped first and loads again on its next request; the most
recently used one always stays, however large.

An artifact that does not read back as written (missing, truncated, altered) marks its
version broken, and the workspace's previous servable version takes over for every
process; a process that already holds a good copy in memory keeps serving it meanwhile.
"""

import gc
import io
import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db import DatabaseError

from catalog.models import Item
from core import process_caches
from recommendations.engine import load_model
from recommendations.models import ModelVersion
from recommendations.training import artifact_read, model_version_mark_broken

log = logging.getLogger(__name__)
ACTIVE_CHECK_SECONDS = 3.0
MAX_HANDOVERS = 5  # broken versions skipped in one look-up before giving up until the next
SIMILAR_LIST_OVERHEAD = 120  # bytes a cached similar-item list takes besides its 8 bytes per pk
MAX_ENTRIES = 10_000  # workspaces remembered (most have no model in memory: a few hundred bytes each)


@dataclass
class LoadedModel:
    version_id: int
    workspace_id: int
    model: object
    item_ids: np.ndarray  # (n_items,) int64: column -> Item pk
    # True for columns whose item is not the workspace's (a model trained before workspaces
    # existed saw every item): they are never served. None when every column is the workspace's.
    foreign: np.ndarray | None = field(default=None, repr=False)
    _similar: dict = field(default_factory=dict, repr=False)  # (column, n) -> similar item pks
    _similar_bytes: int = field(default=0, repr=False)

    def __post_init__(self):
        self.item_ids = np.asarray(self.item_ids, dtype=np.int64)
        # Column look-ups by binary search over the sorted ids: no dictionary of every item per model.
        ordered = bool(np.all(self.item_ids[1:] > self.item_ids[:-1]))
        self._order = None if ordered else np.argsort(self.item_ids, kind="stable")
        self._sorted = self.item_ids if ordered else self.item_ids[self._order]
        self._arrays_nbytes = self.model.nbytes() + self.item_ids.nbytes
        self._arrays_nbytes += 0 if ordered else self._order.nbytes + self._sorted.nbytes
        self._arrays_nbytes += 0 if self.foreign is None else self.foreign.nbytes

    def columns(self, pks) -> np.ndarray:
        """The column of each item pk, -1 for items the model has no column for."""
        pks = np.fromiter((int(pk) for pk in pks), dtype=np.int64)
        if not len(self._sorted) or not len(pks):
            return np.full(len(pks), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, pks), len(self._sorted) - 1)
        found = self._sorted[at] == pks
        cols = at if self._order is None else self._order[at]
        return np.where(found, cols, -1).astype(np.int64)

    def column(self, pk: int) -> int:
        return int(self.columns([pk])[0])

    def similar_pks(self, col: int, n: int) -> list[int]:
        """The pks of the n items most like column `col`; fixed for a version, so kept once computed."""
        key = (col, n)
        found = self._similar.get(key)
        if found is None:
            cols, _ = self.model.similar_items(col, n)
            found = [int(self.item_ids[c]) for c in cols.tolist() if c >= 0]
            if len(self._similar) >= process_caches.SIMILAR_LISTS:
                self._similar.clear()
                self._similar_bytes = 0
            self._similar[key] = found
            self._similar_bytes += SIMILAR_LIST_OVERHEAD + 8 * len(found)
        return found

    @property
    def max_pk(self) -> int:
        return int(self._sorted[-1]) if len(self._sorted) else 0

    @property
    def nbytes(self) -> int:
        """Memory this model takes in the process (arrays and cached similar lists), for the cache's bound."""
        return self._arrays_nbytes + self._similar_bytes


class _Entry:
    """One workspace's slot: its loaded model, when it was last checked, and what is wrong, if anything."""

    def __init__(self):
        self.lock = threading.Lock()
        self.loaded: LoadedModel | None = None
        self.checked_at = -1e9
        self.problem = ""  # why this process does not serve the model it should ("" when it does)


class ActiveModels:
    """Every workspace's active model in this process, least recently used first out (bounded by memory)."""

    def __init__(self):
        self._lock = threading.Lock()  # the order of the entries; never held while a model loads
        self._entries: OrderedDict[int, _Entry] = OrderedDict()

    def get(self, workspace_id: int) -> LoadedModel | None:
        """The model serving `workspace_id` (None: nothing trained or loadable yet; popular items serve)."""
        return self._checked(workspace_id).loaded

    def version(self, workspace_id: int, version_id: int) -> LoadedModel | None:
        """The model of one version of the workspace (an experiment's candidate), loaded on first use and
        kept in the same memory bound; the active model when it is that version. None when it cannot load
        (tried again after ACTIVE_CHECK_SECONDS)."""
        active = self.get(workspace_id)
        if active is not None and active.version_id == version_id:
            return active
        entry = self._touch((workspace_id, version_id))
        if entry.loaded is None and time.monotonic() - entry.checked_at >= ACTIVE_CHECK_SECONDS:
            with entry.lock:
                if entry.loaded is None and time.monotonic() - entry.checked_at >= ACTIVE_CHECK_SECONDS:
                    entry.checked_at = time.monotonic()
                    loaded = _load(version_id)
                    if loaded is not None and loaded.workspace_id == workspace_id:
                        entry.loaded = loaded
            if entry.loaded is not None:
                self._evict()
        return entry.loaded

    def health(self, workspace_id: int) -> str:
        """Empty when this process serves the workspace's active model, else the reason it does not."""
        return self._checked(workspace_id).problem

    def loaded(self) -> dict[int | tuple[int, int], LoadedModel]:
        """The models in memory now, by workspace (by (workspace, version) for experiments' candidates),
        least recently used first."""
        with self._lock:
            return {pk: entry.loaded for pk, entry in self._entries.items() if entry.loaded is not None}

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _checked(self, workspace_id: int) -> _Entry:
        entry = self._touch(workspace_id)
        if time.monotonic() - entry.checked_at < ACTIVE_CHECK_SECONDS:
            return entry
        with entry.lock:
            if time.monotonic() - entry.checked_at < ACTIVE_CHECK_SECONDS:
                return entry  # another thread just checked
            entry.checked_at = time.monotonic()
            before = entry.loaded
            try:
                _refresh(workspace_id, entry)
            except DatabaseError:
                log.exception("cannot look up the active model version of workspace %s; serving the one loaded",
                              workspace_id)  # fmt: skip
        if entry.loaded is not before:
            self._evict()
        return entry

    def _touch(self, workspace_id: int | tuple[int, int]) -> _Entry:
        with self._lock:
            entry = self._entries.get(workspace_id)
            if entry is None:
                entry = self._entries[workspace_id] = _Entry()
            else:
                self._entries.move_to_end(workspace_id)
            return entry

    def _evict(self) -> None:
        """Drop the least recently used entries until the models fit the memory bound (and the entries
        their count); the most recently used entry always stays."""
        budget = settings.ENCORE_MODEL_CACHE_MB * 2**20
        with self._lock:
            total = sum(entry.loaded.nbytes for entry in self._entries.values() if entry.loaded is not None)
            for workspace_id, entry in list(self._entries.items())[:-1]:
                too_many = len(self._entries) > MAX_ENTRIES
                if total <= budget and not too_many:
                    break
                if entry.loaded is None and not too_many:
                    continue  # dropping it would free nothing
                del self._entries[workspace_id]
                if entry.loaded is not None:
                    total -= entry.loaded.nbytes
                    log.info("model v%s of workspace %s leaves this process's memory", entry.loaded.version_id,
                             workspace_id)  # fmt: skip


def _refresh(workspace_id: int, entry: _Entry) -> None:
    active = _active_pk(workspace_id)
    for _ in range(MAX_HANDOVERS):
        if active is None or (entry.loaded is not None and entry.loaded.version_id == active):
            break
        loaded = _load(active)
        if loaded is not None:
            entry.loaded = loaded
            break
        active = _active_pk(workspace_id)  # the broken version handed over to its predecessor, if it had one
    # With no active version left, a copy this process loaded while its file was good keeps serving.
    entry.problem = _problem(workspace_id, entry.loaded, active)


def _load(version_id: int) -> LoadedModel | None:
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
    loaded = LoadedModel(version_id, version.workspace_id, model, item_ids, _foreign(version.workspace_id, item_ids))
    heap_freeze()
    return loaded


def _foreign(workspace_id: int, item_ids: np.ndarray) -> np.ndarray | None:
    """Columns whose item is not the workspace's; None when there are none (every model trained per workspace)."""
    if not len(item_ids):
        return None
    low, high = int(item_ids.min()), int(item_ids.max())
    own = Item.objects.filter(workspace_id=workspace_id, pk__range=(low, high)).values_list("pk", flat=True)
    foreign = ~np.isin(item_ids, np.fromiter(own.order_by(), dtype=np.int64))
    return foreign if foreign.any() else None


def _problem(workspace_id: int, loaded: LoadedModel | None, active: int | None) -> str:
    versions = ModelVersion.objects.filter(workspace_id=workspace_id)
    broken = versions.filter(status=ModelVersion.Status.BROKEN).order_by("-pk").first()
    because = f" v{broken.pk}: {broken.error}" if broken is not None else ""
    if loaded is None:
        unfinished = [ModelVersion.Status.TRAINING, ModelVersion.Status.FAILED]
        if active is not None or versions.exclude(status__in=unfinished).exists():
            return f"No model version can be loaded; popular items serve.{because}"
        return ""  # nothing trained yet: popular items are the design, not a fault
    if active is None:
        return f"v{loaded.version_id} serves from memory; no stored version can be loaded.{because}"
    if active != loaded.version_id:
        return f"The active version v{active} cannot be loaded; v{loaded.version_id} serves."
    if broken is not None and broken.pk > loaded.version_id:
        return f"v{loaded.version_id} serves in place of a newer broken version:{because}"
    return ""


def _active_pk(workspace_id: int) -> int | None:
    return ModelVersion.objects.active().filter(workspace_id=workspace_id).values_list("pk", flat=True).first()


active_models = ActiveModels()
process_caches.register("the serving models", clear=active_models.clear)


def heap_freeze() -> None:
    """Move every object alive now (modules, settings, the loaded models) out of the garbage collector's sight.

    They live long, yet each full collection walked them all: on the demo catalog
    one page in twenty paid ~120 ms for it. Frozen, full collections only walk what
    requests leave behind. Called after a model loads. A model dropped from the cache
    is still freed: it holds no reference cycle, so reference counting frees it.
    """
    gc.collect()
    gc.freeze()
