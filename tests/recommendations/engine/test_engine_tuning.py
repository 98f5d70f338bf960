"""The hybrid's automatic choices: made on validation data, never worse there than its best component."""

import io
import json

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.engine import build_model, load_model
from recommendations.engine.base import row_scale
from recommendations.engine.tuning import DEFAULTS, tune


def graded(X):
    """X with graded confidences 1, 2, 3 (as ratings give) instead of plain positives."""
    X = X.copy()
    X.data = (1.0 + np.arange(X.nnz) % 3).astype(np.float32)
    return X


def clustered(n_users=200, n_items=80, seed=11):
    """Four taste groups of 20 items; each user picks 12 items, mostly from their group."""
    rng = np.random.default_rng(seed)
    rows, cols = [], []
    for u in range(n_users):
        group = np.arange(20) + 20 * (u % 4)
        picked = set(rng.choice(group, 9, replace=False).tolist()) | set(rng.choice(n_items, 3).tolist())
        rows += [u] * len(picked)
        cols += sorted(picked)
    return sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n_users, n_items))


def test_the_tuned_blend_is_at_least_as_good_on_validation_as_each_component():
    chosen = tune(clustered(), None, {**DEFAULTS, "search_rp3beta": True, "search_ials": True})
    quality = chosen["validation_ndcg"]
    assert {"ease", "itemknn", "userknn", "rp3beta", "ials", "popularity", "blend"} <= set(quality)
    assert quality["blend"] >= max(q for name, q in quality.items() if name != "blend")
    assert chosen["rp3beta_beta"] in (0.0, 0.2, 0.35, 0.5, 0.65, 0.8) and chosen["rp3beta_k"] in (25, 50, 100, 200)


def test_ials_is_left_out_of_the_search_on_data_larger_than_its_budget():
    X = clustered()
    chosen = tune(X, None, {**DEFAULTS, "search_ials": True, "ials_max_interactions": X.nnz - 1})
    assert "ials" not in chosen["validation_ndcg"] and "ials" not in chosen["weights"]
    assert "ials_l2" not in chosen


def test_a_blend_that_does_worse_than_the_best_component_is_replaced_by_it(monkeypatch):
    monkeypatch.setattr("recommendations.engine.tuning.blend", lambda val, c, q, min_se: ({"popularity": 1}, 0))
    # The autoencoder and the low-pass filter are added after this guard.
    chosen = tune(clustered(), None, {**DEFAULTS, "search_infae": False, "search_lowpass": False})
    quality = chosen["validation_ndcg"]
    best = max((name for name in quality if name != "blend"), key=quality.get)
    assert best != "popularity"
    assert chosen["weights"] == {best: 1.0} and quality["blend"] == quality[best]


@pytest.mark.parametrize(
    ("name", "own_settings", "other", "other_settings"),
    [
        ("rp3beta", {"rp3beta_beta": 0.35, "rp3beta_k": 25}, "itemknn", {"itemknn_k": 50}),
        ("infae", {"infae_l2": 0.5}, "ease", {"ease_l2": 20.0}),
        ("lowpass", {"lowpass_factors": 8}, "userknn", {"userknn_k": 25}),
        ("slim", {"slim_l1": 0.3, "slim_l2": 3.0}, "itemknn", {"itemknn_k": 25}),
    ],
)
def test_the_hybrid_blends_a_component_as_any_other_and_keeps_it_when_saved(name, own_settings, other, other_settings):
    X = clustered()

    def alone(component: str, settings: dict):  # the hybrid's "rp3beta_k" is the model's own "k"
        return build_model(component, **{key.removeprefix(f"{component}_"): v for key, v in settings.items()}).fit(X)

    hybrid = build_model("hybrid", weights={name: 1.0, other: 0.3}, **own_settings, **other_settings).fit(X)
    single, second = alone(name, own_settings), alone(other, other_settings)
    H = X[:15]
    expected = single.scores(H) / row_scale(single.scores(H)) + 0.3 * second.scores(H) / row_scale(second.scores(H))
    np.testing.assert_allclose(hybrid.scores(H), expected, rtol=1e-5, atol=1e-6)

    buffer = io.BytesIO()
    hybrid.save(buffer)
    buffer.seek(0)
    loaded, _ = load_model(buffer)
    assert np.array_equal(loaded.scores(H), hybrid.scores(H))


def test_validation_counts_held_out_items_as_strong_as_the_median_confidence():
    from recommendations.engine.tuning import strong_positives

    train = sp.csr_matrix(np.array([[3, 2, 2, 1, -2], [1, 0.5, 2, 3, 0]], dtype=np.float32))  # median positive: 2
    held = sp.csr_matrix(np.array([[0, 0, 0, 0, 0], [3, 1.5, 2, 0, 1]], dtype=np.float32))
    assert strong_positives(held, train).toarray().tolist() == [[0, 0, 0, 0, 0], [3, 0, 2, 0, 0]]
    plays = sp.csr_matrix(np.ones((2, 5), dtype=np.float32))
    assert (strong_positives(held > 0, plays) != (held > 0)).nnz == 0  # equal confidences: every held-out item


def test_a_blend_change_needs_a_gain_beyond_one_standard_error():
    from recommendations.engine.tuning import clear_gain

    current = np.array([0.2, 0.4, 0.6, 0.8])
    assert clear_gain(current + 0.01, current, 1.0)  # every user gains: no doubt
    noisy = current + np.array([0.3, -0.25, 0.02, -0.03])  # mean gain 0.01, standard error ~0.14
    assert noisy.mean() > current.mean() and not clear_gain(noisy, current, 1.0)
    assert clear_gain(noisy, current)  # by default any gain counts
    assert not clear_gain(current, current)


def test_per_user_ndcg_averages_to_the_reported_ndcg():
    from recommendations.engine.evaluation import ndcg, user_ndcg

    rng = np.random.default_rng(2)
    test = sp.csr_matrix((rng.random((30, 40)) < 0.1).astype(np.float32))
    recs = np.argsort(rng.random((30, 40)), axis=1)[:, :10]
    per_user = user_ndcg(recs, test)
    assert len(per_user) == (np.diff(test.indptr) > 0).sum()
    assert np.isclose(per_user.mean(), ndcg(recs, test))


def test_the_default_search_leaves_rp3beta_and_ials_out_and_tries_the_autoencoder_and_the_low_pass_filter():
    chosen = tune(clustered(), None, dict(DEFAULTS))
    assert not {"rp3beta", "ials"} & set(chosen["validation_ndcg"]) and "rp3beta_beta" not in chosen
    assert "without" in chosen["dense_validation_ndcg"]
    off = tune(clustered(), None, {**DEFAULTS, "search_infae": False, "search_lowpass": False})
    assert not {"infae", "lowpass"} & set(off["weights"]) and "dense_validation_ndcg" not in off


def test_validation_relevance_is_every_held_out_positive_unless_strong_ones_are_asked_for():
    from recommendations.engine.tuning import Validation

    X = clustered()
    X.data = np.where(np.arange(X.nnz) % 3 == 0, 3.0, 1.0).astype(np.float32)  # graded confidences, median 1
    X.data[np.arange(X.nnz) % 3 == 1] = 2.0  # now 1, 2 and 3 in equal parts: median 2
    every = Validation(X, dict(DEFAULTS))
    strong = Validation(X, {**DEFAULTS, "validation_relevance": "strong"})
    assert set(np.unique(every.test.data)) == {1.0, 2.0, 3.0}
    assert set(np.unique(strong.test.data)) == {2.0, 3.0}


def test_with_graded_feedback_exposure_joins_the_search_and_the_blend_keeps_its_l2():
    X = clustered()
    X.data = np.where(np.arange(X.nnz) % 4 == 0, -1.0, 2.0).astype(np.float32)  # a quarter disliked
    chosen = tune(X, None, dict(DEFAULTS))
    assert "exposure" in chosen["validation_ndcg"] and chosen["exposure_l2"] > 0
    hybrid = build_model("hybrid", weights={"exposure": 1.0}, exposure_l2=chosen["exposure_l2"]).fit(X)
    alone = build_model("exposure", l2=chosen["exposure_l2"], max_items=DEFAULTS["exposure_max_items"]).fit(X)
    np.testing.assert_allclose(hybrid.scores(X[:10]), alone.scores(X[:10]) / row_scale(alone.scores(X[:10])), rtol=1e-5)


def test_on_plays_or_binary_data_exposure_would_be_ease_again_and_stays_out():
    chosen = tune(clustered(), None, dict(DEFAULTS))
    assert "exposure" not in chosen["validation_ndcg"] and "exposure_l2" not in chosen
    graded = clustered()
    graded.data = np.where(np.arange(graded.nnz) % 4 == 0, -1.0, 2.0).astype(np.float32)
    off = tune(graded, None, {**DEFAULTS, "search_exposure": False})
    assert "exposure" not in off["validation_ndcg"] and "ease" in off["validation_ndcg"]


def disliking(X, every=4):
    """X with every `every`-th entry a dislike (-1.5) and the rest graded 1..3."""
    X = X.copy()
    X.data = (1.0 + np.arange(X.nnz) % 3).astype(np.float32)
    X.data[np.arange(X.nnz) % every == 0] = -1.5
    return X


def test_negatives_are_scaled_and_stay_stored_so_they_are_still_seen():
    from recommendations.engine.base import scale_negatives

    X = disliking(clustered())
    half = scale_negatives(X, 0.25)
    assert np.array_equal(half.indptr, X.indptr) and np.array_equal(half.indices, X.indices)
    np.testing.assert_array_equal(half.data, np.where(X.data < 0, 0.25 * X.data, X.data))
    assert scale_negatives(X, 1.0) is X


def test_the_negative_scale_is_the_best_on_validation_and_its_scores_equal_a_direct_fit():
    from recommendations.engine.base import scale_negatives
    from recommendations.engine.ease import EASE
    from recommendations.engine.tuning import NEGATIVE_SCALES, Validation, search_ease

    X = disliking(clustered(), every=3)
    val = Validation(X, dict(DEFAULTS))
    found, scores, quality = search_ease(val, None, dict(DEFAULTS))
    assert found["negative_scale"] in NEGATIVE_SCALES and min(NEGATIVE_SCALES) > 0  # a dislike always pushes down

    model = EASE(l2=found["ease_l2"], max_items=DEFAULTS["tuning_max_items"]).fit(val.train)
    by_scale = {}
    for factor in NEGATIVE_SCALES:  # brute force: fit once, score each scaled history directly
        direct = val.prepare(model.scores(scale_negatives(val.history, factor)))
        by_scale[factor] = val.score(direct)
        if factor == found["negative_scale"]:
            np.testing.assert_allclose(direct, scores, rtol=1e-4, atol=1e-5)
    assert quality == pytest.approx(by_scale[found["negative_scale"]])
    assert by_scale[found["negative_scale"]] == max(by_scale.values())


def test_the_hybrid_scores_and_saves_with_its_chosen_negative_scale():
    from recommendations.engine.base import scale_negatives

    X = disliking(clustered())
    chosen = tune(X, None, dict(DEFAULTS))
    assert chosen["negative_scale"] in (0.1, 0.25, 0.5, 1.0)
    hybrid = build_model("hybrid", weights={"ease": 1.0}, ease_l2=300.0, negative_scale=0.25).fit(X)
    ease = build_model("ease", l2=300.0, max_items=DEFAULTS["ease_max_items"]).fit(X)
    H = X[:20]
    expected = ease.scores(scale_negatives(H, 0.25))
    np.testing.assert_allclose(hybrid.scores(H), expected / row_scale(expected), rtol=1e-5, atol=1e-6)
    assert np.any(H.data < 0)
    items, _ = hybrid.recommend(H, 20)
    assert all(not set(items[u]) & set(H[u].indices) for u in range(20)), "a seen (or disliked) item came back"

    buffer = io.BytesIO()
    hybrid.save(buffer)
    buffer.seek(0)
    loaded, _ = load_model(buffer)
    assert loaded.params["negative_scale"] == 0.25
    assert np.array_equal(loaded.scores(H), hybrid.scores(H))


def test_on_data_without_negatives_the_negative_scale_is_left_at_one():
    assert tune(clustered(), None, dict(DEFAULTS))["negative_scale"] == 1.0


def test_ease_dropout_is_searched_on_validation_and_only_kept_when_it_beats_plain_ease(monkeypatch):
    from recommendations.engine import tuning
    from recommendations.engine.ease import EASE
    from recommendations.engine.tuning import DROPOUTS, Validation, search_ease

    X = clustered(n_users=300, seed=4)
    params = {**DEFAULTS, "search_dropout": True}
    val = Validation(X, params)
    found, scores, quality = search_ease(val, None, params)
    assert found["ease_dropout"] in DROPOUTS
    direct = EASE(l2=found["ease_l2"], dropout=found["ease_dropout"], max_items=DEFAULTS["tuning_max_items"])
    direct_scores = val.prepare(direct.fit(val.train).scores(val.H))
    np.testing.assert_allclose(direct_scores, scores, rtol=1e-4, atol=1e-5)
    assert quality == pytest.approx(val.score(direct_scores))

    plain, _, plain_quality = search_ease(val, None, dict(DEFAULTS))
    assert plain["ease_dropout"] == 0.0  # not searched unless asked
    assert quality >= plain_quality  # the dropout search starts from plain EASE's best l2
    monkeypatch.setattr(tuning, "DROPOUTS", (0.0,))
    assert search_ease(val, None, params)[2] == plain_quality


def test_a_dropout_given_without_the_search_is_kept_and_l2_is_searched_at_it():
    from recommendations.engine.tuning import Validation, search_ease, search_exposure

    X = disliking(clustered(n_users=300, seed=4))
    params = {**DEFAULTS, "ease_dropout": 0.4, "exposure_dropout": 0.3}
    val = Validation(X, params)
    assert search_ease(val, None, params)[0]["ease_dropout"] == 0.4
    assert search_exposure(val, params)[0]["exposure_dropout"] == 0.3
    chosen = tune(X, None, params)
    assert (chosen["ease_dropout"], chosen["exposure_dropout"]) == (0.4, 0.3)


def test_the_hybrid_fits_scores_and_saves_ease_and_exposure_with_their_dropouts():
    X = disliking(clustered())
    params = {"ease_l2": 40.0, "ease_dropout": 0.5, "exposure_l2": 60.0, "exposure_dropout": 0.25}
    hybrid = build_model("hybrid", weights={"ease": 1.0, "exposure": 0.5}, **params).fit(X)
    ease = build_model("ease", l2=40.0, dropout=0.5, max_items=DEFAULTS["ease_max_items"]).fit(X)
    exposure = build_model("exposure", l2=60.0, dropout=0.25, max_items=DEFAULTS["exposure_max_items"]).fit(X)
    np.testing.assert_array_equal(hybrid.models["ease"].B, ease.B)
    np.testing.assert_array_equal(hybrid.models["exposure"].B, exposure.B)
    assert not np.allclose(ease.B, build_model("ease", l2=40.0, max_items=DEFAULTS["ease_max_items"]).fit(X).B)

    buffer = io.BytesIO()
    hybrid.save(buffer)
    buffer.seek(0)
    loaded, _ = load_model(buffer)
    assert (loaded.params["ease_dropout"], loaded.params["exposure_dropout"]) == (0.5, 0.25)
    H = X[:15]
    assert np.array_equal(loaded.scores(H), hybrid.scores(H))


def test_with_a_validation_user_share_only_those_users_are_held_out_and_the_rest_train_whole():
    from recommendations.engine.tuning import Validation

    X = clustered(n_users=400, seed=6)
    everyone = Validation(X, dict(DEFAULTS))
    half = Validation(X, {**DEFAULTS, "validation_user_share": 0.5})
    held_out = np.flatnonzero(np.diff(half.train.indptr) < np.diff(X.indptr))
    assert 150 < len(held_out) < 250 and len(held_out) == half.test.shape[0]
    whole = np.setdiff1d(np.arange(400), held_out)
    assert (half.train[whole] != X[whole]).nnz == 0  # the other users train with every entry
    assert half.train.nnz > everyone.train.nnz and everyone.test.shape[0] == 400


def test_the_low_pass_filter_then_the_autoencoder_are_added_with_what_each_adds_on_the_denser_split():
    from recommendations.engine.infae import InfiniteAE
    from recommendations.engine.lowpass import LowPass
    from recommendations.engine.tuning import (
        ADDED_WEIGHTS,
        INFAE_L2,
        LOWPASS_FACTORS,
        Validation,
        add_on_denser_split,
        build_component,
        finite,
    )

    X = graded(clustered(n_users=400))
    rest = {"ease": 1.0, "itemknn": 0.5}
    params = {**DEFAULTS, "ease_l2": 20.0, "itemknn_k": 25}
    found = add_on_denser_split(X, None, params, rest)
    figures = found["dense_validation_ndcg"]

    # The same figures by hand, on the same denser split.
    val = Validation(X, {**params, "validation_fraction": params["dense_validation_fraction"]})
    assert val.test.nnz < Validation(X, params).test.nnz
    total = sum(
        w * finite(val.prepare(build_component(n, params).fit(val.train).scores(val.H))) for n, w in rest.items()
    )
    total = np.where(np.isfinite(val.prepare(total)), total, -np.inf).astype(np.float32)
    assert round(val.score(total), 4) == figures["without"]
    # Both help on this data, each on top of what came before it.
    factors = {min(f, X.shape[1] // 4) for f in LOWPASS_FACTORS}  # at most a quarter of the 80 items
    assert found["lowpass_factors"] in factors and found["weights"]["lowpass"] in ADDED_WEIGHTS
    assert found["infae_l2"] in INFAE_L2 and found["weights"]["infae"] in ADDED_WEIGHTS
    assert {k: v for k, v in found["weights"].items() if k not in ("lowpass", "infae")} == rest
    steps = [("lowpass", LowPass(factors=found["lowpass_factors"])), ("infae", InfiniteAE(l2=found["infae_l2"]))]
    for name, model in steps:
        total += np.float32(found["weights"][name]) * finite(val.prepare(model.fit(val.train).scores(val.H)))
        assert round(val.score(total), 4) == figures[f"with {name}"]
    assert figures["with infae"] > figures["with lowpass"] > figures["without"]


def test_the_hybrid_adds_the_autoencoder_and_the_low_pass_filter_after_its_blend():
    chosen = tune(graded(clustered(n_users=400)), None, dict(DEFAULTS))
    assert not {"infae", "lowpass"} & set(chosen["validation_ndcg"])  # not part of the blend's own search
    for name, setting in (("infae", "infae_l2"), ("lowpass", "lowpass_factors")):
        assert (name in chosen["weights"]) == (setting in chosen) == (f"with {name}" in chosen["dense_validation_ndcg"])


def test_the_autoencoder_is_left_out_when_its_denser_split_holds_out_nothing():
    rng = np.random.default_rng(3)
    rows = np.repeat(np.arange(40), 4)  # four items each: 25% holds one out, 10% none
    cols = np.concatenate([rng.choice(30, 4, replace=False) for _ in range(40)])
    X = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(40, 30))
    chosen = tune(X, None, dict(DEFAULTS))
    assert not {"infae", "lowpass"} & set(chosen["weights"]) and "dense_validation_ndcg" not in chosen
    json.dumps(chosen, allow_nan=False)  # what is stored with a model version is valid JSON


@pytest.mark.parametrize("budget", ["infae_max_users", "infae_max_cells"])
def test_the_infinite_width_autoencoder_is_left_out_beyond_its_budgets(budget):
    X = clustered()
    limit = X.shape[0] - 1 if budget == "infae_max_users" else X.shape[0] * X.shape[1] - 1
    chosen = tune(X, None, {**DEFAULTS, budget: limit})
    assert "infae" not in chosen["weights"] and "infae_l2" not in chosen
    assert "with infae" not in chosen.get("dense_validation_ndcg", {})


@pytest.mark.parametrize(
    ("feedback", "budget", "joins"),
    [("graded", 0, True), ("graded", -1, False), ("plain positives", 0, False)],
)
def test_the_low_pass_filter_joins_on_graded_feedback_within_its_budget(feedback, budget, joins):
    X = clustered(n_users=400)
    X = graded(X) if feedback == "graded" else X
    chosen = tune(X, None, {**DEFAULTS, "lowpass_max_interactions": X.nnz + budget})
    assert ("lowpass" in chosen["weights"]) == ("lowpass_factors" in chosen) == joins
    assert ("with lowpass" in chosen["dense_validation_ndcg"]) == joins


def test_a_hybrid_saved_with_the_denser_split_s_earlier_parameter_names_still_loads():
    X = clustered()
    hybrid = build_model("hybrid", weights={"ease": 1.0}, ease_l2=20.0).fit(X)
    buffer = io.BytesIO()
    hybrid.save(buffer)
    buffer.seek(0)
    old = dict(np.load(buffer))  # rewrite its header as an earlier version wrote it
    header = json.loads(str(old["__header__"][0]))
    params = header["params"]
    params["infae_validation_fraction"] = params.pop("dense_validation_fraction")
    params["infae_validation_ndcg"] = {"without": 0.25}
    old["__header__"] = np.array([json.dumps(header)])
    saved = io.BytesIO()
    np.savez(saved, **old)
    saved.seek(0)
    loaded, _ = load_model(saved)
    assert loaded.params["dense_validation_ndcg"] == {"without": 0.25}
    assert np.array_equal(loaded.scores(X[:5]), hybrid.scores(X[:5]))


def test_slim_joins_the_search_when_asked_with_its_l2_on_the_grid_and_l1_a_share_of_it():
    from recommendations.engine.tuning import L2_FACTORS, SLIM_L1_SHARE

    X = graded(clustered())
    chosen = tune(X, None, {**DEFAULTS, "search_slim": True, "search_infae": False, "search_lowpass": False})
    assert "slim" in chosen["validation_ndcg"]
    assert chosen["validation_ndcg"]["blend"] >= chosen["validation_ndcg"]["slim"]
    unit = float(np.mean(X.data.astype(np.float64) ** 2))  # the validation part's mean is near the whole's
    assert any(np.isclose(chosen["slim_l2"], f * unit, rtol=0.1) for f in L2_FACTORS)
    assert chosen["slim_l1"] == pytest.approx(SLIM_L1_SHARE * chosen["slim_l2"])
    assert "slim" not in tune(X, None, dict(DEFAULTS))["validation_ndcg"]
