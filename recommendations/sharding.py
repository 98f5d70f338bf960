"""Item-block sharding of the similarity work, so several workers fit one model.

The training task writes the run's matrices once through Django's storage
(shared by every worker, whatever the backend), each block task computes the
top-k neighbours of a range of items (`engine.knn.similarity_rows`), and the
finishing task stacks the blocks in item order. A row's neighbours depend on
that row alone, so one worker or many give the same matrix, bit for bit.
"""

import contextlib
import io
import logging
import os
import time

import numpy as np
import scipy.sparse as sp
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from core import process_caches
from recommendations.engine.base import positive_part
from recommendations.engine.knn import cooccurrence_input, item_norms, merge_similarity_blocks, similarity_rows

log = logging.getLogger(__name__)

_prepared: dict = {}  # (version_id, part) -> (P, Pt, norms), reused by a worker across its blocks
process_caches.register("a training run's matrices", clear=_prepared.clear)


def shard_dir(version_id: int) -> str:
    return f"training/v{version_id}"


def block_plan(X: sp.csr_matrix, n_blocks: int) -> list[tuple[int, int]]:
    """Split the items into at most `n_blocks` consecutive ranges of similar cost.

    The cost of item i's row of X.T @ X is the number of (user, item) pairs it
    touches (sum of its users' history lengths), plus the dense pass over all items.
    """
    n_items = X.shape[1]
    if n_items == 0:
        return []
    P = positive_part(X)
    user_len = np.diff(P.indptr).astype(np.float64)
    pair_cost = np.bincount(P.indices, weights=user_len[np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))],
                            minlength=n_items)  # fmt: skip
    cost = np.cumsum(pair_cost + n_items)
    edges = np.searchsorted(cost, cost[-1] * np.arange(1, n_blocks) / n_blocks)
    bounds = (
        np.unique(np.concatenate([[0], np.clip(edges, 1, n_items - 1), [n_items]])) if n_items > 1 else np.array([0, 1])
    )
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def matrix_save(*, version_id: int, matrix: sp.csr_matrix) -> None:
    """Write what the run counts co-occurrences on (`cooccurrence_input`) where every worker can read it."""
    buffer = io.BytesIO()
    sp.save_npz(buffer, cooccurrence_input(matrix), compressed=False)
    name = f"{shard_dir(version_id)}/full.npz"
    default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))


def _prepared_inputs(version_id: int, part: str):
    key = (version_id, part)
    if key not in _prepared:
        _prepared.clear()  # one run at a time: drop the previous run's matrices
        with default_storage.open(f"{shard_dir(version_id)}/{part}.npz", "rb") as handle:
            P = sp.load_npz(io.BytesIO(handle.read())).tocsr()
        _prepared[key] = (P, P.T.tocsr(), item_norms(P))
    return _prepared[key]


def similarity_block_compute(*, version_id: int, part: str, start: int, stop: int, k: int, shrinkage: float) -> dict:
    """Compute and store one block; returns its description for the merge."""
    started = time.perf_counter()
    P, Pt, norms = _prepared_inputs(version_id, part)
    block = similarity_rows(P, Pt, norms, start, stop, k=k, shrinkage=shrinkage)
    buffer = io.BytesIO()
    sp.save_npz(buffer, block, compressed=False)
    name = f"{shard_dir(version_id)}/{part}-{start:09d}-{stop:09d}.npz"
    default_storage.delete(name)
    name = default_storage.save(name, ContentFile(buffer.getvalue()))
    return {"part": part, "start": start, "stop": stop, "name": name, "seconds": time.perf_counter() - started}


def similarity_blocks_merge(blocks: list[dict], part: str, n_items: int) -> sp.csr_matrix:
    """Stack the stored blocks of `part` in item order into one (n_items, n_items) matrix."""
    mine = sorted((b for b in blocks if b["part"] == part), key=lambda b: b["start"])
    covered = [(b["start"], b["stop"]) for b in mine]
    expected = list(zip([0] + [c[1] for c in covered[:-1]], [c[1] for c in covered], strict=True))
    if not mine or covered != expected or covered[-1][1] != n_items:
        raise ValueError(f"the {part} blocks do not cover items 0..{n_items}: {covered}")
    matrices = []
    for block in mine:
        with default_storage.open(block["name"], "rb") as handle:
            matrices.append(sp.load_npz(io.BytesIO(handle.read())).tocsr())
    return merge_similarity_blocks(matrices)


def arrays_save(name: str, **arrays) -> None:
    """Write named arrays as one .npz through storage (no pickle), replacing an earlier file."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    default_storage.delete(name)
    default_storage.save(name, ContentFile(buffer.getvalue()))


def arrays_load(name: str) -> dict[str, np.ndarray]:
    with default_storage.open(name, "rb") as handle, np.load(io.BytesIO(handle.read()), allow_pickle=False) as z:
        return {key: z[key] for key in z.files}


def shard_files_delete(*, version_id: int) -> None:
    """Remove a run's intermediate files (matrices and blocks); the artifact stays."""
    _prepared.pop((version_id, "full"), None)
    try:
        _, files = default_storage.listdir(shard_dir(version_id))
    except (FileNotFoundError, NotImplementedError, OSError):
        return
    for name in files:
        default_storage.delete(f"{shard_dir(version_id)}/{name}")
    # Not a local folder, or not empty: nothing left to tidy.
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(shard_dir(version_id)))
