"""Diversity re-ranking: maximal marginal relevance over item features, with hard caps per feature.

A list ranked by score alone is often carried by one genre or one franchise. MMR
builds the list greedily: each slot takes the candidate with the best

    (1 - diversity) * relevance - diversity * redundancy

where relevance is the candidate's score rescaled to [0, 1] over the candidates
and redundancy is its highest cosine similarity (over feature rows: genres,
tags, creators or a model's item vectors) to an item already in the list, plus
TIE_BREAK times its mean similarity to them: among candidates equally close to
some listed item, the one least like the list as a whole goes first, so a list
keeps spreading once every genre has appeared (with max alone, a two-genre
catalog would fall back to the plain ranking after two slots).
diversity=0 is the plain ranking; diversity=1 takes, at each slot, the
candidate least like what is listed so far (the most relevant among equals).

A cap ("at most N items per genre") is hard: once N listed items carry a
feature, no further item carrying it is listed, even if the list ends shorter.

Each slot costs one sparse product with the chosen item's feature row and a few
O(candidates) array operations, so a list of k costs O(k * (candidates + nnz)).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

DENSE_CELLS = 1 << 20  # candidates x features at or below which the feature rows are held dense
# A list of k is re-ranked from the k * POOL_PER_SLOT best-scored candidates: deep enough to
# spread a list over a catalog's genres, shallow enough that every listed item stays relevant.
POOL_PER_SLOT = 10
TIE_BREAK = 1e-3  # weight of the mean similarity to the list, next to the highest one


def mmr_rerank(
    scores: np.ndarray,
    features,
    *,
    diversity: float,
    k: int,
    cap_per_feature: int | np.ndarray | None = None,
    fixed: dict[int, int] | None = None,
    cap_features=None,
) -> np.ndarray:
    """Candidate indices (int64, at most k) of a list re-ranked for diversity.

    scores: (n,) candidate scores; -inf (or NaN) marks a candidate that must not be listed.
    features: (n, m) sparse or dense feature rows of the candidates (similarity is their cosine).
    fixed: 0-based position -> candidate index, for items pinned in place whatever their score;
        pins at positions >= k are not listed, and a list that runs out of other candidates
        before a pinned position closes the gap. Pinned items count as listed for similarity
        and caps, and are listed even when a cap would refuse them.
    cap_per_feature: one cap for every feature, or (c,) caps per column of the cap rows
        (np.inf: uncapped), e.g. 3 per genre and 2 per creator.
    cap_features: the (n, c) rows the cap counts (default: `features`); e.g. genres only
        while similarity also looks at tags.
    """
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    n = len(scores)
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be between 0 and 1, got {diversity}")
    if k < 0:
        raise ValueError(f"k must not be negative, got {k}")
    if cap_per_feature is not None and np.any(np.asarray(cap_per_feature) < 1):
        raise ValueError(f"cap_per_feature must be at least 1, got {cap_per_feature}")
    pins = _pins(fixed, n, k)
    pinned = np.zeros(n, dtype=bool)
    pinned[list(pins.values())] = True
    open_ = np.isfinite(scores) & ~pinned
    # Candidates in today's order (score, then input order): ties below go to the better-ranked one.
    ranked = np.flatnonzero(open_)
    ranked = ranked[np.argsort(-scores[ranked], kind="stable")]
    slots = k - len(pins)
    if slots <= 0 or len(ranked) == 0:
        return _merge(pins, np.zeros(0, dtype=np.int64), k)
    if diversity == 0 and cap_per_feature is None:
        return _merge(pins, ranked[:slots], k)
    F = _rows(features, n)
    capped = None
    if cap_per_feature is not None:
        capped = _rows(F if cap_features is None else cap_features, n)
        capped.data = (capped.data != 0).astype(np.float64)
        if np.ndim(cap_per_feature) and len(cap_per_feature) != capped.shape[1]:
            raise ValueError(f"{len(cap_per_feature)} caps for {capped.shape[1]} capped features")
    picks = _greedy(scores, F, capped, ranked, np.flatnonzero(pinned), diversity, slots, cap_per_feature)
    return _merge(pins, picks, k)


def rerank_lists(
    items: np.ndarray, scores: np.ndarray, features, *, diversity: float, k: int, cap_per_feature: int | None = None
) -> np.ndarray:
    """Re-rank each row of a recommend() result (items (n, pool), -1 = padding) to k items (n, k), -1 padded."""
    F = sp.csr_matrix(features)
    out = np.full((items.shape[0], k), -1, dtype=np.int64)
    for u, (row, values) in enumerate(zip(items, scores, strict=True)):
        row = row[row >= 0]
        order = mmr_rerank(values[: len(row)], F[row], diversity=diversity, k=k, cap_per_feature=cap_per_feature)
        out[u, : len(order)] = row[order]
    return out


def _pins(fixed: dict[int, int] | None, n: int, k: int) -> dict[int, int]:
    pins = {}
    for position, candidate in (fixed or {}).items():
        position, candidate = int(position), int(candidate)
        if not 0 <= candidate < n:
            raise ValueError(f"pinned candidate {candidate} out of range 0..{n - 1}")
        if position < 0:
            raise ValueError(f"pinned position must not be negative, got {position}")
        if candidate in pins.values():
            raise ValueError(f"candidate {candidate} is pinned twice")
        if position < k:
            pins[position] = candidate
    return pins


def _rows(features, n: int) -> sp.csr_matrix:
    """Feature rows as float64 CSR scaled to unit length (zero rows stay zero: similar to nothing)."""
    F = sp.csr_matrix(features, dtype=np.float64)
    if F.shape[0] != n:
        raise ValueError(f"features have {F.shape[0]} rows for {n} candidates")
    F.sum_duplicates()
    norms = np.sqrt(np.asarray(F.multiply(F).sum(axis=1)).ravel())
    F.data /= np.repeat(np.where(norms > 0, norms, 1.0), np.diff(F.indptr))
    return F


def _greedy(scores, F, capped, ranked, pinned, diversity, slots, cap) -> np.ndarray:
    """MMR over the candidates `ranked` (best first); positions are in that order, so argmax ties go to rank."""
    Fr = F[ranked]
    if Fr.shape[0] * Fr.shape[1] <= DENSE_CELLS:
        Fr = Fr.toarray()  # small lists of few features: dense products skip sparse overheads
    top, bottom = scores[ranked[0]], scores[ranked[-1]]
    relevance = (scores[ranked] - bottom) / (top - bottom) if top > bottom else np.zeros(len(ranked))
    closest, total = np.zeros(len(ranked)), np.zeros(len(ranked))
    for p in pinned:
        _add_listed(closest, total, Fr @ _dense_row(F, p))
    available = np.ones(len(ranked), dtype=bool)
    counts = blocked_by = None
    if capped is not None:
        Cr = capped[ranked]
        counts = np.asarray(capped[pinned].sum(axis=0)).ravel() if len(pinned) else np.zeros(capped.shape[1])
        blocked_by = Cr.tocsc()
    picks = []
    listed = len(pinned)
    objective = np.empty(len(ranked))
    for _ in range(slots):
        if counts is not None:
            full = np.flatnonzero(counts >= cap)
            if len(full):
                available[blocked_by[:, full].indices] = False
        np.multiply(relevance, 1.0 - diversity, out=objective)
        if listed:
            objective -= diversity * (closest + TIE_BREAK / listed * total)
        objective[~available] = -np.inf
        best = int(np.argmax(objective))
        if not available[best]:
            break
        picks.append(best)
        available[best] = False
        if diversity > 0:
            row = Fr[best] if isinstance(Fr, np.ndarray) else _dense_row(Fr, best)
            _add_listed(closest, total, Fr @ row)
        listed += 1
        if counts is not None:
            counts[Cr.indices[Cr.indptr[best] : Cr.indptr[best + 1]]] += 1
    return ranked[np.asarray(picks, dtype=np.int64)]


def _add_listed(closest: np.ndarray, total: np.ndarray, similarity: np.ndarray) -> None:
    np.maximum(closest, similarity, out=closest)
    total += similarity


def _dense_row(F: sp.csr_matrix, i: int) -> np.ndarray:
    row = np.zeros(F.shape[1])
    row[F.indices[F.indptr[i] : F.indptr[i + 1]]] = F.data[F.indptr[i] : F.indptr[i + 1]]
    return row


def _merge(pins: dict[int, int], picks: np.ndarray, k: int) -> np.ndarray:
    """Pinned candidates at their positions, the picks in order around them; gaps close at the end."""
    out, rest = [], iter(picks.tolist())
    waiting = dict(pins)
    for position in range(k):
        if position in waiting:
            out.append(waiting.pop(position))
            continue
        nxt = next(rest, None)
        if nxt is None:
            break
        out.append(nxt)
    out.extend(waiting[p] for p in sorted(waiting))
    return np.asarray(out[:k], dtype=np.int64)
