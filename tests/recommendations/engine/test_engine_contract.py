"""One contract, every algorithm: a small synthetic matrix with two taste groups."""

import io

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import ALGORITHMS, Reason, build_model, load_model
from recommendations.engine.base import arrays_nbytes, flatten_state

N_USERS, N_ITEMS, COLD = 60, 40, 39  # item 39 has a document but no interactions


def synthetic():
    """Users 0-29 like items 0-19, users 30-59 like items 20-38; a few negatives."""
    rng = np.random.default_rng(7)
    rows, cols, vals = [], [], []
    for u in range(N_USERS):
        group = np.arange(0, 20) if u < 30 else np.arange(20, 39)
        picked = rng.choice(group, size=8, replace=False)
        rows += [u] * 8
        cols += picked.tolist()
        vals += rng.choice([1.0, 2.0, 3.0], size=8).tolist()
    rows += [0, 31]
    cols += [25, 5]
    vals += [-2.0, -1.0]
    X = sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(N_USERS, N_ITEMS))
    texts = [f"space robots sci-fi film {i}" if i < 20 else f"love story romance film {i}" for i in range(N_ITEMS)]
    texts[COLD] = "space robots sci-fi epic"
    stamps = np.linspace(1.6e9, 1.7e9, X.nnz)
    return X, texts, stamps


@pytest.fixture(scope="module", params=sorted(ALGORITHMS))
def fitted(request):
    X, texts, stamps = synthetic()
    return build_model(request.param).fit(X, item_texts=texts, timestamps=stamps), X


def history(items, weights=None, n=N_ITEMS):
    weights = np.ones(len(items)) if weights is None else np.asarray(weights)
    return sp.csr_matrix((weights.astype(np.float32), ([0] * len(items), items)), shape=(1, n))


def test_it_returns_k_items_per_row_with_the_documented_types(fitted):
    model, X = fitted
    items, scores = model.recommend(X[:5], 7)
    assert items.shape == scores.shape == (5, 7)
    assert items.dtype == np.int64 and scores.dtype == np.float32
    assert model.n_items == N_ITEMS
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_it_never_recommends_seen_or_excluded_items(fitted):
    model, X = fitted
    exclude = np.zeros(N_ITEMS, dtype=bool)
    exclude[[1, 2, 22]] = True
    items, _ = model.recommend(X, 10, exclude=exclude)
    for u in range(N_USERS):
        seen = set(X[u].indices.tolist())
        assert not seen & set(items[u].tolist())
        assert not {1, 2, 22} & set(items[u].tolist())


def test_negative_evidence_never_resurfaces(fitted):
    model, X = fitted
    assert X[0, 25] < 0
    items, _ = model.recommend(X[0], N_ITEMS)
    assert 25 not in items[0]


def test_it_pads_when_candidates_run_out(fitted):
    model, _ = fitted
    H = history(list(range(35)))
    items, scores = model.recommend(H, 10)
    assert set(items[0, :5].tolist()) == {35, 36, 37, 38, 39}
    assert np.all(items[0, 5:] == -1) and np.all(np.isneginf(scores[0, 5:]))
    assert np.all(np.isfinite(scores[0, :5]))


def test_it_scores_a_history_unseen_at_training(fitted):
    model, _ = fitted
    items, _ = model.recommend(history([0, 1, 2]), 5)
    assert not {0, 1, 2} & set(items[0].tolist())
    if model.name not in ("popularity", "trending"):
        assert set(items[0].tolist()) <= set(range(20)) | {COLD}


def test_an_empty_history_gets_popular_items(fitted):
    model, _ = fitted
    items, scores = model.recommend(sp.csr_matrix((2, N_ITEMS), dtype=np.float32), 3)
    assert np.all(items >= 0) and items.shape == (2, 3)


def test_save_and_load_give_identical_scores(fitted):
    model, X = fitted
    buffer = io.BytesIO()
    model.save(buffer, extra={"item_ids": np.arange(N_ITEMS) * 10})
    buffer.seek(0)
    loaded, extra = load_model(buffer)
    assert type(loaded) is type(model) and loaded.params == model.params
    assert np.array_equal(extra["item_ids"], np.arange(N_ITEMS) * 10)
    for H in (X[:10], history([3, 4], [2.0, -1.0])):
        a, sa = model.recommend(H, 8)
        b, sb = loaded.recommend(H, 8)
        assert np.array_equal(a, b) and np.array_equal(sa, sb)
    assert np.array_equal(model.similar_items(3, 5)[0], loaded.similar_items(3, 5)[0])


def test_save_needs_no_pickle(fitted, tmp_path):
    model, _ = fitted
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        assert all(archive[key].dtype != object for key in archive.files)


def test_explanations_name_only_positive_history_items(fitted):
    model, _ = fitted
    h = history([0, 1, 2, 25], [3.0, 1.0, 2.0, -2.0])
    items, _ = model.recommend(h, 5)
    reasons = model.explain(h, items[0])
    assert len(reasons) == 5
    for why in reasons:
        assert why and all(isinstance(r, Reason) for r in why)
        for r in why:
            assert r.kind in {"item", "content", "trending", "popularity"}
            assert 0 < r.share <= 1
            if r.kind in ("item", "content"):
                assert r.item in (0, 1, 2)
            else:
                assert r.item == -1
        assert sum(r.share for r in why) <= 1 + 1e-6


def test_similar_items_exclude_the_item_itself(fitted):
    model, _ = fitted
    items, scores = model.similar_items(4, 5)
    assert items.shape == scores.shape == (5,) and 4 not in items
    if model.name not in ("popularity", "trending"):
        assert set(items.tolist()) <= set(range(20)) | {COLD}


def test_unknown_algorithm_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown algorithm"):
        build_model("no-such-algorithm")


def test_the_hybrid_serves_an_item_nobody_has_touched_through_content():
    X, texts, _ = synthetic()
    model = build_model("hybrid").fit(X, item_texts=texts)
    h = history([0, 1, 2])
    items, scores = model.recommend(h, N_ITEMS)
    assert COLD in items[0] and np.isfinite(scores[0][list(items[0]).index(COLD)])
    why = model.explain(h, np.array([COLD]))[0]
    assert why[0].kind == "content" and why[0].item in (0, 1, 2)
    similar, _ = model.similar_items(COLD, 3)
    assert set(similar.tolist()) <= set(range(20))


def test_the_hybrid_fitted_from_sharded_similarity_blocks_is_the_same_model():
    from recommendations.engine.knn import cooccurrence_sample, item_similarity_block, merge_similarity_blocks

    X, texts, _ = synthetic()
    params = {"weights": {"ease": 1.0, "itemknn": 0.5, "popularity": 0.1}, "itemknn_k": 10, "shrinkage": 5.0}
    Xs = cooccurrence_sample(X)
    blocks = [item_similarity_block(Xs, a, min(a + 7, N_ITEMS), k=25, shrinkage=5.0) for a in range(0, N_ITEMS, 7)]
    sharded = build_model("hybrid", **params).fit(X, item_texts=texts, similarity=merge_similarity_blocks(blocks))
    whole = build_model("hybrid", **params).fit(X, item_texts=texts)
    assert np.array_equal(sharded.scores(X), whole.scores(X))


def test_recommending_and_explaining_at_once_equals_doing_both(fitted):
    model, _ = fitted
    h = history([0, 1, 2, 25, 30], [3.0, 1.0, 2.0, -2.0, 1.0])
    exclude = np.zeros(N_ITEMS, dtype=bool)
    exclude[[3, 4]] = True
    items, scores, reasons = model.recommend_explained(h, 6, exclude=exclude)
    expected_items, expected_scores = model.recommend(h, 6, exclude=exclude)
    assert np.array_equal(items, expected_items[0])
    np.testing.assert_allclose(scores, expected_scores[0], rtol=1e-6)
    assert reasons == model.explain(h, items)


def test_hybrid_reasons_equal_summing_every_contribution_by_hand():
    X, texts, stamps = synthetic()
    model = build_model("hybrid", weights={"ease": 1.0, "itemknn": 0.5, "content": 0.3, "popularity": 0.2})
    model.fit(X, item_texts=texts, timestamps=stamps)
    h = history([0, 1, 2, 21, 25], [3.0, 1.0, 2.0, 1.0, -2.0])
    items = np.array([3, 7, 22, COLD, 10])
    totals = [{} for _ in items]  # (kind, history item) -> what it added, per candidate
    for name, (raw, scale) in model.component_scores(h).items():
        factor = model.weights[name] / float(scale[0, 0])
        if name == "popularity":
            for n, j in enumerate(items):
                totals[n][("popularity", -1)] = totals[n].get(("popularity", -1), 0.0) + factor * float(raw[0, j])
            continue
        hist, contrib = model.models[name].contributions(h, items)
        kind = "content" if name == "content" else "item"
        for n in range(len(items)):
            for row, i in enumerate(hist):
                key = (kind, int(i))
                totals[n][key] = totals[n].get(key, 0.0) + factor * contrib[row, n]
    for n, why in enumerate(model.explain(h, items, top=3)):
        positive = {key: value for key, value in totals[n].items() if value > 0}
        whole = sum(positive.values())
        best = sorted(positive.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        assert [(r.kind, r.item) for r in why] == [key for key, _ in best]
        np.testing.assert_allclose([r.share for r in why], [value / whole for _, value in best], rtol=1e-9)


def test_a_models_memory_counts_every_array_it_saves(fitted):
    model, _ = fitted
    state = model.full_state()
    state.pop("n_items")  # a number in memory, an array only in the file
    arrays = {key: a for key, a in flatten_state(state).items() if not key.endswith(":csr_shape")}  # likewise

    assert model.nbytes() >= sum(np.asarray(a).nbytes for a in arrays.values()) > 0


def test_memory_counts_each_buffer_once():
    dense = np.zeros((100, 10), dtype=np.float32)
    matrix = sp.random(50, 50, density=0.1, format="csr", dtype=np.float32, random_state=1)
    parts = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes

    assert arrays_nbytes([dense, dense[:10], dense.T]) == dense.nbytes  # views share their array's buffer
    assert arrays_nbytes({"m": matrix, "again": matrix, "data": matrix.data}) == parts
