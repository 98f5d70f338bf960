"""The two evaluation questions: what is trained on and what counts as relevant."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import build_model
from recommendations.engine.evaluation import evaluate, evaluate_question, question_split
from recommendations.engine.weighting import rating_weights


def ratings(n_users=30, n_items=25, seed=4):
    """Random half-star ratings, 3 to 12 per user."""
    rng = np.random.default_rng(seed)
    rows, cols, vals = [], [], []
    for u in range(n_users):
        n = rng.integers(3, 13)
        rows += [u] * n
        cols += rng.choice(n_items, n, replace=False).tolist()
        vals += (rng.integers(1, 11, n) / 2).tolist()
    return sp.csr_matrix((np.array(vals, np.float32), (rows, cols)), shape=(n_users, n_items))


def entries(M):
    M = sp.csr_matrix(M)
    rows = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    return {(int(r), int(c)): float(v) for r, c, v in zip(rows, M.indices, M.data, strict=True)}


@pytest.mark.parametrize("seed", [1, 2, 42])
def test_a_quarter_of_each_users_interactions_is_held_out_whatever_their_rating(seed):
    R = ratings()
    train, test, mask = question_split(R, "all", True, seed=seed)
    everything = entries(R)
    held = set(entries(test))
    assert held | set(entries(train)) == set(everything) and not held & set(entries(train))
    for u in range(R.shape[0]):
        n = R.indptr[u + 1] - R.indptr[u]
        assert sum(1 for (user, _) in held if user == u) == np.floor(0.25 * n + 0.5)
    assert {everything[key] for key in held} & {0.5, 1.0, 1.5, 2.0}  # low ratings are held out too
    assert mask.sum() == len(held)


def test_loved_trains_on_the_production_weighting_and_counts_ratings_of_4_and_more():
    R = ratings()
    train, test, _ = question_split(R, "liked", False, seed=7)
    _, all_test, _ = question_split(R, "all", True, seed=7)
    everything = entries(R)
    for key, value in entries(train).items():
        assert value == rating_weights(np.array([everything[key]]))[0]
    assert any(v < 0 for v in entries(train).values())  # low ratings stay as negative evidence
    expected = {key for key in entries(all_test) if everything[key] >= 4}
    assert set(entries(test)) == expected and expected
    assert set(entries(test)) < set(entries(all_test))


def test_watched_trains_on_plain_positives():
    R = ratings()
    train, test, _ = question_split(R, "all", True, seed=7)
    assert set(entries(train).values()) == {1.0}
    liked_train, _, _ = question_split(R, "liked", True, seed=7)
    assert set(entries(liked_train).values()) == {1.0}  # --binary with liked relevance: same training data


def test_watched_on_seed_42_is_the_historical_protocol():
    R = ratings(60, 40)
    ones = R.copy()
    ones.data[:] = 1
    [new] = evaluate_question(lambda: build_model("itemknn"), R, relevance="all", binary=True, seed=42)
    old = evaluate(lambda: build_model("itemknn"), ones, seed=42)
    assert {k: v for k, v in new.items() if k != "fit_s"} == {k: v for k, v in old.items() if k != "fit_s"}


class Fixed:
    """A stand-in model recommending the same list to everybody."""

    def __init__(self, order):
        self.order = np.asarray(order)

    def fit(self, X, **_):
        return self

    def recommend(self, H, k):
        return np.tile(self.order[:k], (H.shape[0], 1)), np.zeros((H.shape[0], k), np.float32)


def test_only_users_with_a_relevant_held_out_item_are_scored():
    # Four ratings each, one held out: user 0 gave 5 stars to items 0-3, user 1 one star to items 4-7.
    R = sp.csr_matrix(np.array([[5, 5, 5, 5, 0, 0, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1, 0]], dtype=np.float32))
    _, test, _ = question_split(R, "liked", False, seed=3)
    [held] = test[0].indices
    assert test[1].nnz == 0

    [loved] = evaluate_question(lambda: Fixed([held, 8]), R, relevance="liked", binary=False, seed=3, k=2)
    [watched] = evaluate_question(lambda: Fixed([held, 8]), R, relevance="all", binary=True, seed=3, k=2)

    assert loved["ndcg@2"] == 1.0 and loved["precision@2"] == 0.5 and loved["recall@2"] == 1.0
    assert watched["recall@2"] == 0.5 and watched["ndcg@2"] == 0.5  # user 1's held-out item counts, and is missed


def test_an_unknown_relevance_is_refused():
    with pytest.raises(ValueError, match="relevance"):
        question_split(ratings(), "loved")
