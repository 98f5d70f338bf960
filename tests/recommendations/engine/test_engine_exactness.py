"""Every fast path equals the obvious dense computation."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import build_model
from recommendations.engine.base import top_k
from recommendations.engine.ease import gram
from recommendations.engine.knn import (
    ItemKNN,
    cooccurrence_input,
    item_norms,
    item_similarity,
    item_similarity_block,
    keep_top_k,
    merge_similarity_blocks,
    similarity_rows,
    truncate_rows,
)


def random_matrix(n_users=80, n_items=50, density=0.15, seed=3):
    X = sp.random(n_users, n_items, density=density, format="csr", dtype=np.float32, random_state=seed)
    X.data = np.round(X.data * 4 + 1)  # distinct-ish integer confidences 1..5
    X.data[::17] *= -1  # negative evidence must not enter similarities
    return X


def dense_similarity(X, k, shrinkage):
    P = np.maximum(X.toarray().astype(np.float64), 0)
    norms = np.linalg.norm(P, axis=0)
    S = (P.T @ P) / (norms[:, None] * norms[None, :] + shrinkage)
    np.fill_diagonal(S, 0)
    return brute_top_k(S, k)


@pytest.mark.parametrize("k,shrinkage", [(5, 0.0), (10, 10.0), (100, 2.0)])
def test_blockwise_top_k_similarity_matches_dense(k, shrinkage):
    X = random_matrix()
    fast = item_similarity(X, k=k, shrinkage=shrinkage).toarray()
    np.testing.assert_allclose(fast, dense_similarity(X, k, shrinkage), rtol=1e-5, atol=1e-7)


def test_blocks_merged_equal_one_process():
    X = random_matrix(n_items=47)
    whole = item_similarity(X, k=7, shrinkage=5.0)
    bounds = [0, 10, 11, 30, 47]
    blocks = [item_similarity_block(X.tocsc(), a, b, k=7, shrinkage=5.0) for a, b in zip(bounds, bounds[1:])]
    merged = merge_similarity_blocks(blocks)
    assert merged.shape == (47, 47)
    assert (merged != whole).nnz == 0

    one = ItemKNN(k=7, shrinkage=5.0).fit(X)
    sharded = ItemKNN.from_similarity(merged, X, k=7, shrinkage=5.0)
    H = X[:20]
    assert np.array_equal(one.recommend(H, 10)[0], sharded.recommend(H, 10)[0])
    assert np.array_equal(one.recommend(H, 10)[1], sharded.recommend(H, 10)[1])


def test_truncating_a_top_k_matrix_equals_computing_a_smaller_k():
    X = random_matrix()
    big = item_similarity(X, k=20, shrinkage=3.0)
    assert (truncate_rows(big, 6) != item_similarity(X, k=6, shrinkage=3.0)).nnz == 0


def test_sparse_item_knn_scores_match_dense():
    X = random_matrix()
    model = ItemKNN(k=8, shrinkage=1.0).fit(X)
    H = random_matrix(n_users=12, seed=9)
    expected = H.toarray().astype(np.float64) @ dense_similarity(X, 8, 1.0).T
    np.testing.assert_allclose(model.scores(H), expected, rtol=1e-4, atol=1e-5)


def test_top_k_matches_a_full_sort():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 6, size=(30, 25)).astype(np.float32)  # many ties
    scores[rng.random(scores.shape) < 0.3] = -np.inf
    prior = rng.permutation(25) / 25
    items, values = top_k(scores, 8, prior)
    for row, got, got_v in zip(scores, items, values):
        order = np.lexsort((-prior, -row))  # by score, ties by popularity
        order = [j for j in order if np.isfinite(row[j])][:8]
        assert got[: len(order)].tolist() == order
        assert np.all(got[len(order) :] == -1) and np.all(np.isneginf(got_v[len(order) :]))
        assert np.array_equal(got_v[: len(order)], row[order])


@pytest.mark.parametrize("name", ["popularity", "itemknn"])
def test_batched_scoring_equals_one_batch(name, monkeypatch):
    X = random_matrix()
    model = build_model(name).fit(X)
    whole = model.recommend(X, 5)
    monkeypatch.setattr("recommendations.engine.base.SCORE_BLOCK_CELLS", 7 * 50)
    batched = model.recommend(X, 5)
    assert np.array_equal(whole[0], batched[0]) and np.array_equal(whole[1], batched[1])


def test_cooccurrence_sampling_cuts_only_long_histories_within_budget():
    from recommendations.engine.knn import cooccurrence_sample

    X = random_matrix(n_users=40, n_items=60, density=0.3)
    assert cooccurrence_sample(X, budget=1e12) is not None
    assert (cooccurrence_sample(X, budget=1e12) != X).nnz == 0
    lengths = np.diff(X.indptr)
    budget = float(np.sum(np.minimum(lengths, 12) ** 2))
    Xs = cooccurrence_sample(X, budget=budget)
    assert np.array_equal(np.diff(Xs.indptr), np.minimum(lengths, 12))
    assert (Xs - X.multiply(Xs != 0)).nnz == 0  # a subset of the original entries


def brute_top_k(dense, k):
    """The k largest positive values of each row, ties to the lowest columns, by a full stable sort."""
    out = np.zeros_like(dense)
    for i, row in enumerate(dense):
        best = np.argsort(-row, kind="stable")[:k]
        best = best[row[best] > 0]
        out[i, best] = row[best]
    return out


@pytest.mark.parametrize("k", [1, 3, 8, 40])
def test_top_k_of_a_row_keeps_the_lowest_columns_among_ties(k):
    rng = np.random.default_rng(k)
    dense = rng.integers(-1, 4, size=(25, 40)).astype(np.float32)  # zeros, negatives and many ties
    assert np.array_equal(keep_top_k(dense, k).toarray(), brute_top_k(dense, k))


def test_truncating_keeps_the_same_ties_as_computing_directly():
    dense = np.random.default_rng(5).integers(0, 3, size=(30, 30)).astype(np.float32)
    big = keep_top_k(dense, 12)
    for k in (1, 5, 11):
        assert (truncate_rows(big, k) != keep_top_k(dense, k)).nnz == 0


def test_threads_and_the_shared_gram_change_nothing():
    X = random_matrix(n_users=90, n_items=60)
    P = cooccurrence_input(X)
    items = np.array([0, 3, 4, 17, 31, 32, 59])
    G = np.zeros((len(items), len(items)), dtype=np.float32)
    alone = similarity_rows(P, P.T.tocsr(), item_norms(P), 0, 60, k=9, shrinkage=2.0, threads=1)
    side_by_side = similarity_rows(P, P.T.tocsr(), item_norms(P), 0, 60, k=9, shrinkage=2.0, threads=3, gram=(items, G))
    assert (alone != side_by_side).nnz == 0
    np.testing.assert_array_equal(G, gram(X, items))
    np.testing.assert_allclose(G, (P[:, items].T @ P[:, items]).toarray())


def test_hybrid_counts_co_occurrences_once_for_ease_and_item_knn(monkeypatch):
    X = random_matrix(n_users=120, n_items=70)
    weights = {"ease": 1.0, "itemknn": 0.5}
    calls = []
    monkeypatch.setattr("recommendations.engine.ease.gram", lambda *a: calls.append(a) or gram(*a))
    shared = build_model("hybrid", weights=weights, ease_max_items=40).fit(X)
    assert calls == []  # EASE took the gram item-kNN filled in passing
    ease = build_model("ease", l2=shared.params["ease_l2"], max_items=40).fit(X)
    knn = build_model("itemknn", k=shared.params["itemknn_k"], shrinkage=shared.params["shrinkage"]).fit(X)
    np.testing.assert_array_equal(shared.models["ease"].B, ease.B)
    assert (shared.models["itemknn"].similarity != knn.similarity).nnz == 0


def dense_rp3beta(X, alpha, beta, k):
    """RP3beta's walk weights by the textbook dense formula, then a brute-force top-k per row."""
    P = np.maximum(X.toarray().astype(np.float64), 0)
    seen = (P > 0).astype(np.float64)
    user_sums, popularity = P.sum(axis=1, keepdims=True), seen.sum(axis=0)
    P_ui = np.divide(P, user_sums, out=np.zeros_like(P), where=user_sums > 0) ** alpha
    P_iu = np.divide(seen.T, popularity[:, None], out=np.zeros_like(seen.T), where=popularity[:, None] > 0) ** alpha
    discount = np.where(popularity > 0, popularity, 1.0) ** -beta
    W = (P_iu @ P_ui) * discount[None, :]
    np.fill_diagonal(W, 0)
    return brute_top_k(W, k)


@pytest.mark.parametrize("alpha,beta,k", [(1.0, 0.0, 50), (1.0, 0.5, 7), (0.7, 0.3, 12)])
def test_rp3beta_walk_and_scores_match_the_dense_formula(alpha, beta, k):
    X = random_matrix()
    model = build_model("rp3beta", alpha=alpha, beta=beta, k=k).fit(X)
    expected = dense_rp3beta(X, alpha, beta, k)
    np.testing.assert_allclose(model.W.toarray(), expected, rtol=1e-5, atol=1e-8)
    H = random_matrix(n_users=12, seed=9)
    np.testing.assert_allclose(model.scores(H), H.toarray().astype(np.float64) @ expected, rtol=1e-4, atol=1e-7)


def test_rp3beta_weights_for_several_betas_at_once_equal_one_fit_each():
    from recommendations.engine.rp3beta import walk_weights

    X = random_matrix(n_users=90, n_items=60)
    betas = [0.0, 0.4, 0.8]
    together = walk_weights(X, alpha=1.0, betas=betas, k=9, threads=3)
    for beta, W in zip(betas, together, strict=True):
        assert (W != build_model("rp3beta", beta=beta, k=9).fit(X).W).nnz == 0
    assert (truncate_rows(together[1], 4) != build_model("rp3beta", beta=0.4, k=4).fit(X).W).nnz == 0


def dense_als_half_step(X, Y, l2, alpha):
    """Exact ALS rows by the dense textbook equations: every cell's confidence and preference."""
    dense = X.toarray().astype(np.float64)
    C, P = 1 + alpha * np.abs(dense), (dense > 0).astype(np.float64)
    Y = Y.astype(np.float64)
    return np.stack([np.linalg.solve(Y.T @ (C[u, :, None] * Y) + l2 * np.eye(Y.shape[1]), Y.T @ (C[u] * P[u]))
                     for u in range(len(dense))])  # fmt: skip


def test_ials_conjugate_gradients_converge_to_the_exact_half_step():
    from recommendations.engine.ials import cg_half_step, confidences

    X = random_matrix(n_users=30, n_items=20)
    Y = np.random.default_rng(1).standard_normal((20, 5)).astype(np.float32)
    extra, target = confidences(X, 2.0)
    start = np.zeros((30, 5), dtype=np.float32)
    exact = dense_als_half_step(X, Y, 0.5, 2.0)
    np.testing.assert_allclose(cg_half_step(extra, target, start, Y, 0.5, steps=12), exact, rtol=1e-3, atol=1e-4)
    rough = cg_half_step(extra, target, start, Y, 0.5, steps=1)
    assert np.abs(rough - exact).max() > 1e-2  # one step is not the solution: the steps do the work


def test_ials_fit_alternates_exact_solves_and_scores_by_the_dense_fold_in():
    X = random_matrix(n_users=40, n_items=25)
    model = build_model("ials", factors=4, l2=0.5, alpha=2.0, iterations=3, cg_steps=12, seed=5).fit(X)
    rng = np.random.default_rng(5)
    U = rng.standard_normal((40, 4), dtype=np.float32) * np.float32(0.01)
    Y = rng.standard_normal((25, 4), dtype=np.float32) * np.float32(0.01)
    for _ in range(3):
        U = dense_als_half_step(X, Y, 0.5, 2.0)
        Y = dense_als_half_step(X.T.tocsr(), U, 0.5, 2.0)
    np.testing.assert_allclose(model.Y, Y, rtol=1e-2, atol=1e-3)

    H = random_matrix(n_users=6, n_items=25, seed=9)
    folded = dense_als_half_step(H, model.Y, 0.5, 2.0)
    np.testing.assert_allclose(model.scores(H), folded @ model.Y.T.astype(np.float64), rtol=1e-4, atol=1e-5)
    hist, contrib = model.contributions(H[0], np.arange(25))
    np.testing.assert_allclose(contrib.sum(axis=0), model.scores(H[0])[0], rtol=1e-4, atol=1e-5)


def test_rp3beta_rows_of_chosen_source_items_equal_those_of_the_whole_walk():
    from recommendations.engine.rp3beta import walk_weights

    X = random_matrix(n_users=90, n_items=60)
    sources = np.array([0, 5, 6, 31, 59])
    [whole] = walk_weights(X, alpha=1.0, betas=[0.3], k=9)
    [some] = walk_weights(X, alpha=1.0, betas=[0.3], k=9, sources=sources, threads=2)
    assert some.shape == whole.shape
    assert (some[sources] != whole[sources]).nnz == 0 and whole[sources].nnz > 0
    others = np.setdiff1d(np.arange(60), sources)
    assert some[others].nnz == 0


def test_exposure_is_the_closed_form_on_what_was_rated_whatever_the_rating():
    rng = np.random.default_rng(8)
    X = random_matrix(n_users=60, n_items=25, density=0.3, seed=8)
    X.data = rng.choice([-2.0, -1.0, 0.5, 1.0, 3.0], X.nnz).astype(np.float32)  # ratings through the weighting
    model = build_model("exposure", l2=7.0, min_count=1).fit(X)
    S = (X != 0).astype(np.float64).toarray()
    items = np.flatnonzero(S.sum(axis=0) > 0)
    P = np.linalg.inv(S[:, items].T @ S[:, items] + 7.0 * np.eye(len(items)))
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    expected = np.zeros((X.shape[0], X.shape[1]))
    expected[:, items] = S[:, items] @ B
    np.testing.assert_allclose(model.scores(X), expected, rtol=2e-3, atol=2e-4)
    # A disliked item counts like a loved one for what a person watches ...
    flipped = X[:1].copy()
    flipped.data = -flipped.data
    np.testing.assert_allclose(model.scores(flipped), model.scores(X[:1]), rtol=1e-6)
    # ... but only liked items are named as reasons.
    h = X[:1]
    target = int(np.argmax(np.where(h.toarray()[0] != 0, -np.inf, model.scores(h)[0])))
    named = {reason.item for reason in model.explain(h, [target])[0] if reason.kind == "item"}
    assert named and named <= set(h.indices[h.data > 0].tolist())


@pytest.mark.parametrize("dropout", [0.0, 0.25, 0.75])
def test_ease_with_dropout_solves_each_items_penalised_least_squares_column_by_column(dropout):
    # Brute force: column j minimises ||x_j - X b||^2 + sum_i (l2 + p/(1-p) G_ii) b_i^2 with b_j = 0.
    X = random_matrix(n_users=70, n_items=20, density=0.35, seed=12)
    model = build_model("ease", l2=5.0, min_count=1, dropout=dropout).fit(X)
    P = np.maximum(X.toarray().astype(np.float64), 0)
    items = np.flatnonzero(P.sum(axis=0) > 0)
    Xi = P[:, items]
    G = Xi.T @ Xi
    penalty = 5.0 + dropout / (1 - dropout) * np.diag(G)
    B = np.zeros((len(items), len(items)))
    for j in range(len(items)):
        rest = np.delete(np.arange(len(items)), j)
        A = G[np.ix_(rest, rest)] + np.diag(penalty[rest])
        B[rest, j] = np.linalg.solve(A, G[rest, j])
    np.testing.assert_allclose(model.B, B, rtol=2e-3, atol=2e-5)
    H = X[:10]
    expected = np.zeros((10, X.shape[1]))
    expected[:, items] = H.toarray()[:, items] @ B
    np.testing.assert_allclose(model.scores(H), expected, rtol=2e-3, atol=2e-4)


def test_ease_refuses_a_dropout_outside_zero_to_one():
    with pytest.raises(ValueError, match="dropout"):
        build_model("ease", dropout=1.0)


def test_user_knn_without_shrinkage_scores_a_history_of_dislikes_as_nothing_not_nan():
    X = random_matrix(n_users=30, n_items=20, density=0.3, seed=5)
    model = build_model("userknn", k=5, shrinkage=0.0).fit(X)
    disliked = sp.csr_matrix(([-1.0, -2.0], ([0, 0], [1, 2])), shape=(1, 20), dtype=np.float32)
    with np.errstate(invalid="raise", divide="raise"):  # no 0 / 0 on the way
        scores = model.scores(sp.vstack([disliked, X[:3]]).tocsr())
    assert np.isfinite(scores).all() and not scores[0].any()
    np.testing.assert_allclose(scores[1:], build_model("userknn", k=5, shrinkage=0.0).fit(X).scores(X[:3]))


def dense_arccos(A, B):
    """The arc-cosine kernel of degree 1, pair by pair from its definition (Cho & Saul, 2009)."""
    K = np.zeros((len(A), len(B)))
    for i, a in enumerate(A):
        for j, b in enumerate(B):
            na, nb = np.linalg.norm(a), np.linalg.norm(b)
            if na == 0 or nb == 0:
                continue
            t = np.arccos(np.clip(a @ b / (na * nb), -1, 1))
            K[i, j] = na * nb * (np.sin(t) + (np.pi - t) * np.cos(t)) / np.pi
    return K


def test_the_arc_cosine_kernel_is_an_infinitely_wide_relu_layer():
    from recommendations.engine.infae import arccos_kernel

    X = random_matrix(n_users=3, n_items=12, density=0.5, seed=4)
    P = np.maximum(X.toarray().astype(np.float64), 0)
    W = np.random.default_rng(0).standard_normal((400_000, 12))  # the layer's random input weights
    hidden = np.maximum(P @ W.T, 0)  # ReLU units, one column per unit
    monte_carlo = 2 * hidden @ hidden.T / W.shape[0]
    np.testing.assert_allclose(arccos_kernel(sp.csr_matrix(P), sp.csr_matrix(P)), monte_carlo, rtol=0.02)


def test_infae_scores_equal_a_dense_kernel_ridge_regression_over_people_with_a_positive_entry():
    X = random_matrix(n_users=40, n_items=25, seed=6).tolil()
    X[7, :] = 0
    X[7, 3] = -2.0  # only a dislike: this person is not part of the regression
    X = X.tocsr()
    model = build_model("infae", l2=0.7).fit(X)

    P = np.maximum(X.toarray().astype(np.float64), 0)
    P = P[P.sum(axis=1) > 0]
    assert model.users.shape[0] == len(P) < 40
    K = dense_arccos(P, P)
    alpha = np.linalg.solve(K + 0.7 * np.mean(np.diag(K)) * np.eye(len(P)), P)
    H = random_matrix(n_users=5, n_items=25, seed=9)
    expected = dense_arccos(np.maximum(H.toarray(), 0), P) @ alpha
    np.testing.assert_allclose(model.scores(H), expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("row", ["new history", "a training person's own row"])
def test_infae_contributions_split_each_score_exactly(row):
    X = random_matrix(n_users=40, n_items=25, seed=6)
    model = build_model("infae", l2=0.7).fit(X)
    h = random_matrix(n_users=1, n_items=25, density=0.3, seed=12) if row == "new history" else X[4]
    hist, contrib = model.contributions(h, np.arange(25))
    assert set(hist.tolist()) == set(h.indices[h.data > 0].tolist())
    np.testing.assert_allclose(contrib.sum(axis=0), model.scores(h)[0], rtol=1e-4, atol=1e-5)


def dense_low_pass(X, factors):
    """h -> h D^-1/2 V V^T D^1/2 as one (n_items, n_items) matrix, from a full dense SVD."""
    P = (X.toarray() > 0).astype(np.float64)
    people, degrees = P.sum(axis=1), P.sum(axis=0)
    R = P / np.sqrt(np.maximum(people, 1))[:, None] / np.sqrt(np.maximum(degrees, 1))[None, :]
    V = np.linalg.svd(R)[2][: min(factors, min(P.shape) // 4)].T  # a quarter of the smaller side at most
    return (V / np.sqrt(np.maximum(degrees, 1))[:, None]) @ (V * np.sqrt(degrees)[:, None]).T


@pytest.mark.parametrize("factors", [3, 10, 30])  # 30: capped at 10 on 40 items
def test_lowpass_scores_equal_the_dense_filter_on_the_top_singular_directions(factors):
    X = random_matrix(n_users=60, n_items=40, density=0.2, seed=5)
    model = build_model("lowpass", factors=factors).fit(X)
    H = random_matrix(n_users=6, n_items=40, density=0.3, seed=8)  # with some negative entries
    expected = H.toarray().astype(np.float64) @ dense_low_pass(X, factors)
    np.testing.assert_allclose(model.scores(H), expected, rtol=1e-4, atol=1e-5)


def test_lowpass_contributions_split_each_score_exactly_and_unseen_items_score_zero():
    X = random_matrix(n_users=60, n_items=40, density=0.2, seed=5).tolil()
    X[:, 7] = 0  # an item nobody has touched
    model = build_model("lowpass", factors=10).fit(X.tocsr())
    h = sp.csr_matrix(np.abs(random_matrix(n_users=1, n_items=40, density=0.3, seed=12).toarray()))
    hist, contrib = model.contributions(h, np.arange(40))
    np.testing.assert_allclose(contrib.sum(axis=0), model.scores(h)[0], rtol=1e-4, atol=1e-6)
    assert model.scores(h)[0, 7] == 0 and not np.any(contrib[:, 7])


def test_lowpass_falls_back_to_a_randomised_svd_when_arpack_does_not_converge(monkeypatch):
    from scipy.sparse.linalg import ArpackNoConvergence

    def no_convergence(*args, **kwargs):
        raise ArpackNoConvergence("no convergence", np.zeros(0), np.zeros((0, 0)))

    X = random_matrix(n_users=60, n_items=40, density=0.2, seed=5)
    monkeypatch.setattr("recommendations.engine.lowpass.svds", no_convergence)
    model = build_model("lowpass", factors=3).fit(X)
    H = random_matrix(n_users=6, n_items=40, density=0.3, seed=8)
    expected = H.toarray().astype(np.float64) @ dense_low_pass(X, 3)
    np.testing.assert_allclose(model.scores(H), expected, rtol=1e-4, atol=1e-5)


def dense_slim_column(P, j, l1, l2):
    """SLIM's column j by a general bounded solver: min 0.5 |P_j - P w|^2 + l1 sum(w) + 0.5 l2 |w|^2, w >= 0,
    w_j = 0 (on w >= 0 the l1 norm is the plain sum, so the objective is smooth)."""
    from scipy.optimize import minimize

    others = np.delete(np.arange(P.shape[1]), j)
    A, y = P[:, others], P[:, j]

    def objective(w):
        residual = A @ w - y
        return 0.5 * residual @ residual + l1 * w.sum() + 0.5 * l2 * w @ w, A.T @ residual + l1 + l2 * w

    found = minimize(objective, np.zeros(len(others)), jac=True, method="L-BFGS-B", bounds=[(0, None)] * len(others),
                     options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 5000})  # fmt: skip
    column = np.zeros(P.shape[1])
    column[others] = found.x
    return column


@pytest.mark.parametrize("l1,l2", [(0.5, 2.0), (0.0, 5.0), (3.0, 1.0)])
def test_slim_solves_each_items_non_negative_elastic_net_and_scores_by_the_product(l1, l2):
    X = random_matrix(n_users=60, n_items=25, density=0.3)
    model = build_model("slim", l1=l1, l2=l2).fit(X)
    P = np.maximum(X.toarray().astype(np.float64), 0)
    expected = np.column_stack([dense_slim_column(P, j, l1, l2) for j in range(P.shape[1])])
    np.testing.assert_allclose(model.W.toarray(), expected, atol=2e-4 * np.abs(expected).max())
    assert np.all(model.W.diagonal() == 0) and np.all(model.W.data > 0)
    if l1 > 1:
        assert model.W.nnz < 0.8 * 25 * 24  # the l1 term leaves only the items that explain each one
    H = random_matrix(n_users=12, n_items=25, seed=9)  # with negative entries, which push down
    np.testing.assert_allclose(model.scores(H), H.toarray() @ model.W.toarray(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("params", [{"l2": 0.0}, {"l2": -1.0}, {"l1": -0.5}, {"l2": float("nan")}])
def test_slim_refuses_a_penalty_without_a_unique_answer(params):
    with pytest.raises(ValueError, match="l2 > 0 and l1 >= 0"):
        build_model("slim", **params)


def test_slim_weighs_only_the_most_active_items_and_threads_change_nothing():
    from recommendations.engine.ease import active_items
    from recommendations.engine.slim import slim_weights

    X = random_matrix(n_users=70, n_items=30, density=0.25)
    items = active_items(X, 12, 2)
    W = slim_weights(X, items, l1=0.5, l2=2.0, threads=1)
    assert (slim_weights(X, items, l1=0.5, l2=2.0, threads=3) != W).nnz == 0
    outside = np.setdiff1d(np.arange(30), items)
    assert W[outside].nnz == 0 and W[:, outside].nnz == 0
    model = build_model("slim", l1=0.5, l2=2.0, max_items=12).fit(X)
    assert (model.W != W).nnz == 0
    assert np.all(model.scores(X[:5])[:, outside] == 0)
