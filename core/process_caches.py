"""Every cache a web or worker process keeps in its own memory: named here, each with its bound.

Nothing in these caches is the source of truth; each is checked against the
database (or expires) so that two processes may disagree only for the short
time given below. Anything shared across processes goes through Django's cache
(CACHE_URL) or the database instead.

| cache | where | bound | how it stays current |
|---|---|---|---|
| API keys | api.authentication | API_KEYS entries | expires after API_KEY_CACHE_SECONDS; revoking clears it |
| serving models | recommendations.loading | ENCORE_MODEL_CACHE_MB, LRU | each workspace's active version, every few s |
| rules | recommendations.rules | RULE_SETS workspaces, LRU | rules stamp every 5 s; recompiled every 60 s |
| similar-item lists | recommendations.loading | SIMILAR_LISTS per loaded model | fixed for a model version |
| title words for search | catalog.selectors | one index of the shared catalog | rebuilt when the catalog changes |
| game controllers | games.serving | one per game | the active learning version is looked up on each move |
| a training run's matrices | recommendations.sharding (workers) | one run | dropped by the next run or its cleanup |
| query serializers | api.serializers | one per serializer class | stateless |
| running experiments | experiments.serving | RUNNING workspaces, LRU | read every 5 s; a start or stop clears it |
| impressions to write (buffer) | experiments.recording | MAX_ROWS rows | written every 0.5 s, at BATCH rows, at exit |
"""

from collections.abc import Callable

API_KEYS = 10_000
SIMILAR_LISTS = 20_000

_clearers: dict[str, Callable[[], None]] = {}


def register(name: str, *, clear: Callable[[], None]) -> None:
    """Declare a cache of the table above, so clear_all() reaches it."""
    _clearers[name] = clear


def clear_all() -> None:
    """Empty every cache of this process (tests; a process that must forget everything it knows)."""
    for clear in _clearers.values():
        clear()
