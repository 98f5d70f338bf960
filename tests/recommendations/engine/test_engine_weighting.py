import numpy as np
import pytest

from recommendations.engine.weighting import EVENT_WEIGHTS, build_matrix, event_weights, rating_weights


def test_low_ratings_are_negative_evidence():
    w = rating_weights(np.array([0.5, 2.0, 2.5, 3.0, 5.0]))
    assert w.dtype == np.float32
    assert w[0] < w[1] < 0 < w[2] < w[3] < w[4]


def test_ratings_out_of_range_are_rejected():
    with pytest.raises(ValueError):
        rating_weights(np.array([6.0]))


def test_every_event_kind_has_a_weight_and_negatives_are_negative():
    kinds = np.array(list(EVENT_WEIGHTS), dtype=object)
    w = event_weights(kinds, None)
    assert w.dtype == np.float32
    for kind, weight in zip(kinds, w):
        assert (weight < 0) == (kind in {"skip", "dislike", "not_interested"})


def test_a_partial_view_counts_less_than_a_full_one():
    w = event_weights(np.array(["view", "view", "view", "like"], dtype=object), np.array([0.1, 1.0, np.nan, 0.1]))
    assert 0 < w[0] < w[1] == w[2]
    assert w[3] == EVENT_WEIGHTS["like"]


def test_weights_are_configurable_and_unknown_kinds_rejected():
    assert event_weights(np.array(["view"]), None, {"view": 7.0})[0] == 7.0
    with pytest.raises(ValueError, match="teleport"):
        event_weights(np.array(["teleport"]), None)


def test_build_matrix_sums_duplicates_and_keeps_negatives():
    X = build_matrix([0, 0, 0, 1, 1], [2, 2, 1, 0, 0], [1.0, 3.0, -4.0, 1.0, -1.0], 2, 3)
    assert X.dtype == np.float32 and X.shape == (2, 3)
    assert X[0, 2] == 4.0 and X[0, 1] == -4.0
    assert X.nnz == 3  # the like + dislike that cancel is still stored: the item counts as seen
