"""Diversity re-ranking: MMR over feature rows, hard caps and pinned positions (no database)."""

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine.diversity import mmr_rerank


def brute_force_mmr(scores, features, diversity, k, cap=None, fixed=None):
    """Textbook MMR, one candidate and one listed item at a time, over the same definitions."""
    fixed = {p: c for p, c in (fixed or {}).items() if p < k}
    F = np.asarray(features, dtype=np.float64)
    norms = np.linalg.norm(F, axis=1)
    F = F / np.where(norms > 0, norms, 1)[:, None]
    cand = [i for i in range(len(scores)) if np.isfinite(scores[i]) and i not in fixed.values()]
    cand.sort(key=lambda i: (-scores[i], i))
    top, bottom = scores[cand[0]], scores[cand[-1]]
    listed = list(fixed.values())
    counts = (F[listed] > 0).sum(axis=0) if listed else np.zeros(F.shape[1])
    picks = []
    while len(picks) < k - len(fixed):
        best, best_value = None, -np.inf
        for i in cand:
            if i in picks or (cap is not None and np.any((F[i] > 0) & (counts >= cap))):
                continue
            relevance = (scores[i] - bottom) / (top - bottom) if top > bottom else 0.0
            similarity = [float(F[i] @ F[j]) for j in listed]
            redundancy = max(similarity) + 1e-3 * np.mean(similarity) if listed else 0.0
            value = (1 - diversity) * relevance - diversity * redundancy
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        picks.append(best)
        listed.append(best)
        counts = counts + (F[best] > 0)
    out, rest = [], iter(picks)
    for position in range(k):
        item = fixed[position] if position in fixed else next(rest, None)
        if item is None:
            break
        out.append(item)
    return out


def genre_catalog(n=400, n_genres=12, seed=0):
    """A catalog where one genre is on most items and the best scores go to it, as on real catalogs."""
    rng = np.random.default_rng(seed)
    rows = np.zeros((n, n_genres))
    common = rng.random(n) < 0.55
    rows[common, 0] = 1
    rows[np.arange(n), rng.integers(1, n_genres, n)] = 1
    scores = rng.random(n) + common * 0.5
    return scores.astype(np.float32), sp.csr_matrix(rows)


def test_diversity_zero_is_the_plain_ranking_with_ties_in_input_order():
    scores = np.array([0.2, 0.9, 0.5, 0.9, -np.inf, 0.5, 0.1], dtype=np.float32)
    features = sp.random(7, 4, density=0.5, random_state=1, format="csr")

    order = mmr_rerank(scores, features, diversity=0.0, k=5)

    assert order.tolist() == [1, 3, 2, 5, 0]


def test_diversity_zero_matches_a_stable_sort_on_random_scores():
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 20, 300).astype(np.float32)  # many ties
    features = sp.random(300, 15, density=0.2, random_state=2, format="csr")

    order = mmr_rerank(scores, features, diversity=0.0, k=50)

    assert order.tolist() == np.argsort(-scores, kind="stable")[:50].tolist()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("diversity", [0.2, 0.5, 0.8, 1.0])
def test_fast_path_lists_what_brute_force_mmr_lists(seed, diversity):
    rng = np.random.default_rng(seed)
    n = 60
    scores = rng.random(n)
    scores[rng.random(n) < 0.1] = -np.inf
    features = (rng.random((n, 8)) < 0.3) * rng.random((n, 8))  # some rows empty: similar to nothing
    cap = 3 if seed % 2 else None
    fixed = {0: 7, 4: 11} if seed % 3 == 0 else None
    if fixed:
        scores[[7, 11]] = rng.random(2)

    got = mmr_rerank(scores, sp.csr_matrix(features), diversity=diversity, k=15, cap_per_feature=cap, fixed=fixed)

    assert got.tolist() == brute_force_mmr(scores, features, diversity, 15, cap, fixed)


def test_diversity_one_keeps_the_commonest_genre_on_at_most_60_percent_of_the_list():
    scores, genres = genre_catalog()
    share = {}
    for diversity in (0.0, 1.0):
        listed = mmr_rerank(scores, genres, diversity=diversity, k=20)
        assert len(listed) == 20
        share[diversity] = genres[listed].toarray().sum(axis=0).max() / 20

    assert share[0.0] == 1.0  # the plain ranking is carried by the common genre
    assert share[1.0] <= 0.6


def test_a_cap_per_feature_holds_and_can_shorten_the_list():
    scores, genres = genre_catalog(seed=3)

    listed = mmr_rerank(scores, genres, diversity=0.0, k=20, cap_per_feature=2)

    assert genres[listed].toarray().sum(axis=0).max() == 2
    assert genres[np.argsort(-scores)[:20]].toarray().sum(axis=0).max() > 2
    two_genres = sp.csr_matrix(np.eye(2)[np.arange(30) % 2])
    assert len(mmr_rerank(np.arange(30.0), two_genres, diversity=0.5, k=20, cap_per_feature=3)) == 6


def test_a_cap_can_count_other_features_than_similarity_does():
    scores = np.array([5.0, 4.0, 3.0, 2.0])
    similar = sp.csr_matrix(np.ones((4, 1)))
    creators = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1]]))

    listed = mmr_rerank(scores, similar, diversity=0.0, k=4, cap_per_feature=1, cap_features=creators)

    assert listed.tolist() == [0, 2]


def test_pinned_candidates_keep_their_positions_and_count_for_similarity():
    scores = np.array([9.0, 8.0, 7.0, 6.0, 1.0, -np.inf])
    features = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [0, 1], [1, 0], [0, 1]]))

    listed = mmr_rerank(scores, features, diversity=0.0, k=4, fixed={0: 5, 2: 4})
    assert listed.tolist() == [5, 0, 4, 1]  # a blocked-looking score does not stop a pin

    spread = mmr_rerank(scores, features, diversity=1.0, k=2, fixed={0: 0})
    assert spread.tolist() == [0, 2]  # the pin's genre is already listed


def test_pins_past_the_end_close_the_gap_and_pins_past_k_are_not_listed():
    scores = np.array([3.0, 2.0, -np.inf, -np.inf])
    features = sp.csr_matrix(np.eye(4))

    assert mmr_rerank(scores, features, diversity=0.5, k=5, fixed={4: 2}).tolist() == [0, 1, 2]
    assert mmr_rerank(scores, features, diversity=0.5, k=2, fixed={3: 2}).tolist() == [0, 1]


def test_nothing_to_list_is_an_empty_list():
    features = sp.csr_matrix((3, 2))
    assert mmr_rerank(np.full(3, -np.inf), features, diversity=0.5, k=5).tolist() == []
    assert mmr_rerank(np.ones(3), features, diversity=0.5, k=0).tolist() == []


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"diversity": 1.5, "k": 3}, "diversity must be between 0 and 1"),
        ({"diversity": 0.5, "k": 3, "cap_per_feature": 0}, "cap_per_feature must be at least 1"),
        ({"diversity": 0.5, "k": 3, "fixed": {0: 9}}, "out of range"),
        ({"diversity": 0.5, "k": 3, "fixed": {0: 1, 1: 1}}, "pinned twice"),
    ],
)
def test_bad_arguments_are_a_clear_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mmr_rerank(np.ones(3), sp.csr_matrix(np.eye(3)), **kwargs)


def test_a_large_candidate_set_is_reranked_quickly():
    import time

    rng = np.random.default_rng(0)
    n = 20_000
    scores = rng.random(n)
    features = sp.random(n, 400, density=0.01, random_state=3, format="csr")
    started = time.perf_counter()

    listed = mmr_rerank(scores, features, diversity=0.7, k=50, cap_per_feature=5)

    assert len(listed) == 50
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("seed", range(3))
def test_the_sparse_path_for_many_features_lists_what_brute_force_lists(monkeypatch, seed):
    from recommendations.engine import diversity

    monkeypatch.setattr(diversity, "DENSE_CELLS", 0)
    rng = np.random.default_rng(seed)
    scores = rng.random(50)
    features = (rng.random((50, 10)) < 0.25) * 1.0

    got = mmr_rerank(scores, sp.csr_matrix(features), diversity=0.6, k=12, cap_per_feature=2, fixed={1: 3})

    assert got.tolist() == brute_force_mmr(scores, features, 0.6, 12, 2, {1: 3})


def test_intra_list_diversity_is_the_mean_pairwise_dissimilarity_of_each_list():
    from recommendations.engine.evaluation import intra_list_diversity

    genres = sp.csr_matrix(np.array([[1, 0], [1, 0], [0, 1], [1, 1], [0, 0]]))
    # list 1: items 0,1 alike (0); list 2: 0,2 unlike (1), 0-3 and 2-3 at cosine 1/sqrt2; list 3: one item, left out
    recs = np.array([[0, 1, -1], [0, 2, 3], [4, -1, -1]])

    got = intra_list_diversity(recs, genres)

    second = (1 + 2 * (1 - 1 / np.sqrt(2))) / 3
    assert got == pytest.approx((0 + second) / 2)
    assert intra_list_diversity(np.array([[4, 0]]), genres) == 1.0  # an item without genres is unlike any


def test_diversity_one_keeps_spreading_once_every_genre_is_listed():
    """Two genres, the better-scored one on most items: the list alternates rather than fall back to the ranking."""
    genre = np.where(np.arange(40) < 30, 0, 1)
    scores = np.where(genre == 0, 2.0, 1.0) - np.arange(40) * 0.01

    listed = mmr_rerank(scores, sp.csr_matrix(np.eye(2)[genre]), diversity=1.0, k=10)

    assert np.bincount(genre[listed], minlength=2).tolist() == [5, 5]
    assert listed[:4].tolist() == [0, 30, 1, 31]  # within a genre, the best-scored first


def test_caps_can_differ_per_feature():
    scores = np.arange(10.0)[::-1]
    genre_and_creator = sp.csr_matrix(np.column_stack([np.ones(10), np.arange(10) < 5]))

    listed = mmr_rerank(scores, genre_and_creator, diversity=0.0, k=10, cap_per_feature=np.array([4, 2]))

    assert listed.tolist() == [0, 1, 5, 6]
    assert len(mmr_rerank(scores, genre_and_creator, diversity=0.0, k=10, cap_per_feature=np.array([np.inf, 2]))) == 7
    with pytest.raises(ValueError, match="3 caps for 2"):
        mmr_rerank(scores, genre_and_creator, diversity=0.0, k=10, cap_per_feature=np.array([1, 2, 3]))
