"""Feedback weighting: ratings and implicit events -> confidence weights.

This is the one place where the strength of each signal is configured.
Negative weights are negative evidence: they push similar items down, and the
item itself never resurfaces for that user (it is a stored entry of the row).
"""

import numpy as np
import scipy.sparse as sp

# Default confidence per implicit event kind; negative kinds push down and filter out.
EVENT_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "play": 2.0,
    "like": 4.0,
    "favorite": 5.0,
    "purchase": 5.0,
    "share": 3.0,
    "skip": -1.0,
    "dislike": -4.0,
    "not_interested": -5.0,
}

# Kinds whose optional value is a watched/listened fraction in [0, 1].
FRACTION_KINDS = frozenset({"view", "play"})


def rating_weights(values: np.ndarray, negative_at: float = 2.0) -> np.ndarray:
    """Stars (0.5..5.0) -> confidence, float32 of the same shape.

    Above `negative_at` the weight is the distance to it (2.5 -> 0.5, 5.0 -> 3.0);
    at or below it, the rating is negative evidence (2.0 -> -1.0, 0.5 -> -2.5).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size and (np.nanmin(values) < 0 or np.nanmax(values) > 5.0 or np.isnan(values).any()):
        raise ValueError("ratings must be between 0 and 5 stars")
    weights = np.where(values > negative_at, values - negative_at, values - negative_at - 1.0)
    return weights.astype(np.float32)


def event_weights(kinds, values=None, weights: dict[str, float] | None = None) -> np.ndarray:
    """Implicit events -> confidence, float32 (n,).

    kinds: (n,) str/object event kinds; values: (n,) float or None, NaN when absent.
    For view and play a value is the fraction watched: a started-but-abandoned
    view is weaker evidence than a finished one, but still evidence.
    """
    table = EVENT_WEIGHTS if weights is None else weights
    kinds = np.asarray(kinds, dtype=object).reshape(-1)
    unknown = set(kinds.tolist()) - set(table)
    if unknown:
        raise ValueError(f"unknown event kind(s): {', '.join(sorted(map(str, unknown)))}")
    out = np.array([table[k] for k in kinds.tolist()], dtype=np.float64)
    if values is not None and len(kinds):
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        fraction = np.isin(kinds, list(FRACTION_KINDS)) & np.isfinite(values) & (out > 0)
        out[fraction] *= 0.25 + 0.75 * np.clip(values[fraction], 0.0, 1.0)
    return out.astype(np.float32)


def build_matrix(user_idx, item_idx, weights, n_users: int, n_items: int) -> sp.csr_matrix:
    """(n_users, n_items) float32 CSR; duplicate (user, item) weights are summed.

    An entry summing to a negative weight stays negative, and one summing to
    exactly zero is kept as a stored zero, so the item still counts as seen.
    """
    matrix = sp.coo_matrix(
        (np.asarray(weights, dtype=np.float32), (np.asarray(user_idx), np.asarray(item_idx))),
        shape=(n_users, n_items),
    ).tocsr()
    matrix.sum_duplicates()
    return matrix
