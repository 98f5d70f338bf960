"""Diversity re-ranking of a served list: the candidates' genres, tags and creators -> engine MMR.

The serving pipeline calls `diversify` after business rules and before truncation.
Only the best-scored `limit * POOL_PER_SLOT` candidates (and pinned items) are
re-ranked, so one request reads the features of a few hundred items at most, in
three indexed queries, fresh each time: a genre or tag edited in the admin
counts on the next request.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from catalog.models import Item, ItemTag
from recommendations.engine.diversity import POOL_PER_SLOT, mmr_rerank

# Weights of each kind of feature in the similarity between two items: genres and
# creators say most about "more of the same"; tags are many and noisier.
GENRE_WEIGHT, TAG_WEIGHT, CREATOR_WEIGHT = 1.0, 0.5, 1.0


def diversify(
    workspace_id: int,
    item_pks: np.ndarray,
    scores: np.ndarray,
    *,
    diversity: float,
    limit: int,
    fixed: dict[int, int] | None = None,
    cap_per_genre: int | None = None,
    cap_per_creator: int | None = None,
) -> np.ndarray:
    """The pks (int64, at most `limit`) of the candidates re-ranked for diversity, best first.

    item_pks, scores: the candidates of one list and their scores after business rules
        (-inf: not to be listed). diversity: 0 (the plain ranking, no query) .. 1 (most spread).
    fixed: 0-based position -> item pk pinned there (listed even if not among the candidates
        or scored -inf); pins at positions >= limit are not listed.
    cap_per_genre / cap_per_creator: at most that many listed items share a genre / a creator
        (hard: the list may end shorter); pinned items count but are never refused.
    """
    pks = np.asarray(item_pks, dtype=np.int64).reshape(-1)
    values = np.asarray(scores, dtype=np.float64).reshape(-1)
    if len(pks) != len(values):
        raise ValueError(f"{len(pks)} items for {len(values)} scores")
    pks, values, pins = _with_pins(pks, values, fixed or {})
    if diversity == 0 and cap_per_genre is None and cap_per_creator is None:
        order = mmr_rerank(values, sp.csr_matrix((len(pks), 0)), diversity=0.0, k=limit, fixed=pins)
        return pks[order]
    pool = _pool(values, limit, pins)
    pks, values = pks[pool], values[pool]
    pins = {position: int(np.flatnonzero(pool == index)[0]) for position, index in pins.items()}
    similarity, capped, caps = _features(workspace_id, pks, cap_per_genre, cap_per_creator)
    order = mmr_rerank(
        values,
        similarity,
        diversity=diversity,
        k=limit,
        fixed=pins,
        cap_per_feature=caps,
        cap_features=capped,
    )
    return pks[order]


def _with_pins(pks, values, fixed: dict[int, int]):
    """Candidates with every pinned pk among them (added with score -inf), and pins as position -> index."""
    index = {int(pk): n for n, pk in enumerate(pks)}
    missing = list(dict.fromkeys(int(pk) for pk in fixed.values() if int(pk) not in index))
    if missing:
        index.update({pk: len(pks) + n for n, pk in enumerate(missing)})
        pks = np.concatenate([pks, np.asarray(missing, dtype=np.int64)])
        values = np.concatenate([values, np.full(len(missing), -np.inf)])
    return pks, values, {int(position): index[int(pk)] for position, pk in fixed.items()}


def _pool(values: np.ndarray, limit: int, pins: dict[int, int]) -> np.ndarray:
    """Indices of the best limit * POOL_PER_SLOT listable candidates (in input order) plus the pinned ones."""
    listable = np.flatnonzero(np.isfinite(values))
    best = listable[np.argsort(-values[listable], kind="stable")[: max(limit, 0) * POOL_PER_SLOT]]
    return np.union1d(best, np.asarray(list(pins.values()), dtype=np.int64))


def _features(workspace_id: int, pks: np.ndarray, cap_per_genre, cap_per_creator):
    """(similarity rows, cap rows, caps per cap column) of the items `pks`, of that workspace only."""
    row = {int(pk): n for n, pk in enumerate(pks)}
    genre_pairs = list(
        Item.genres.through.objects.filter(item_id__in=row, item__workspace_id=workspace_id).values_list(
            "item_id", "genre_id"
        )
    )
    tag_pairs = list(
        ItemTag.objects.filter(item_id__in=row, item__workspace_id=workspace_id).values_list("item_id", "tag_id")
    )
    creator_pairs = [
        (pk, str(name).strip().casefold())
        for pk, names in Item.objects.filter(pk__in=row, workspace_id=workspace_id).values_list("pk", "creators")
        for name in (names if isinstance(names, list) else [])
        if str(name).strip()
    ]
    genres = _onehot(genre_pairs, row)
    creators = _onehot(creator_pairs, row)
    similarity = sp.hstack(
        [genres * GENRE_WEIGHT, _onehot(tag_pairs, row) * TAG_WEIGHT, creators * CREATOR_WEIGHT], format="csr"
    )
    if cap_per_genre is None and cap_per_creator is None:
        return similarity, None, None
    capped = sp.hstack([genres, creators], format="csr")
    caps = np.concatenate(
        [
            np.full(genres.shape[1], np.inf if cap_per_genre is None else cap_per_genre, dtype=np.float64),
            np.full(creators.shape[1], np.inf if cap_per_creator is None else cap_per_creator, dtype=np.float64),
        ]
    )
    return similarity, capped, caps


def _onehot(pairs, row: dict[int, int]) -> sp.csr_matrix:
    """(len(row), distinct values) 0/1 rows from (item pk, value) pairs."""
    columns: dict = {}
    r = [row[pk] for pk, _ in pairs]
    c = [columns.setdefault(value, len(columns)) for _, value in pairs]
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(row), len(columns)))
