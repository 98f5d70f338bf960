"""Who sees which variant: sticky, independent between experiments, and the share respected (no database)."""

from collections import Counter

from experiments.assignment import variant_for

PEOPLE = range(1, 20_001)


def test_a_person_keeps_their_variant():
    first = [variant_for(experiment_id=7, traffic=50, candidates=["a", "b"], user_id=u) for u in PEOPLE]
    again = [variant_for(experiment_id=7, traffic=50, candidates=["a", "b"], user_id=u) for u in PEOPLE]
    assert first == again


def test_the_share_gets_the_candidates_evenly_and_everyone_else_control():
    counts = Counter(variant_for(experiment_id=3, traffic=30, candidates=["a", "b"], user_id=u) for u in PEOPLE)
    assert abs(counts["control"] / len(PEOPLE) - 0.70) < 0.02
    assert abs(counts["a"] / len(PEOPLE) - 0.15) < 0.015 and abs(counts["b"] / len(PEOPLE) - 0.15) < 0.015


def test_all_or_almost_nobody():
    assert {variant_for(experiment_id=1, traffic=100, candidates=["a"], user_id=u) for u in PEOPLE} == {"a"}
    few = Counter(variant_for(experiment_id=1, traffic=1, candidates=["a"], user_id=u) for u in PEOPLE)
    assert 100 < few["a"] < 300


def test_experiments_assign_independently():
    one = [variant_for(experiment_id=1, traffic=50, candidates=["x"], user_id=u) == "x" for u in PEOPLE]
    two = [variant_for(experiment_id=2, traffic=50, candidates=["x"], user_id=u) == "x" for u in PEOPLE]
    both = sum(a and b for a, b in zip(one, two, strict=True)) / len(PEOPLE)
    assert abs(both - 0.25) < 0.02  # as two independent coins; identical hashing would give 0.5


def test_anonymous_visitors_and_experiments_without_candidates_get_control():
    assert variant_for(experiment_id=1, traffic=100, candidates=["a"], user_id=None) == "control"
    assert variant_for(experiment_id=1, traffic=100, candidates=[], user_id=5) == "control"
