import pytest

from games.engine import RandomPlayer, RuleController
from games.engine.elo import closest_opponent, elo_expected, elo_update
from games.engine.tournament import Entrant, match_score, tournament


def test_equal_ratings_expect_half_and_a_win_moves_both_by_the_same_amount():
    assert elo_expected(1200, 1200) == 0.5
    assert elo_update(1200, 1200, 1.0, k=32) == (1216.0, 1184.0)
    assert elo_update(1200, 1200, 0.5, k=32) == (1200.0, 1200.0)


def test_an_upset_moves_ratings_more_than_an_expected_result():
    upset, _ = elo_update(1000, 1400, 1.0, k=20)
    expected, _ = elo_update(1400, 1000, 1.0, k=20)
    assert upset - 1000 > expected - 1400 > 0
    with pytest.raises(ValueError):
        elo_update(1000, 1000, 2.0)


def test_auto_picks_the_opponent_nearest_an_even_game():
    assert closest_opponent(1450, {"easy": 900, "even": 1500, "hard": 1900}) == "even"


def test_the_tournament_plays_every_pair_from_both_sides():
    entrants = [Entrant("rules", RuleController(), 3), Entrant("random", RandomPlayer(), 1),
                Entrant("rules1", RuleController(), 1)]  # fmt: skip
    results = tournament(entrants, games=4, seed=1)
    assert set(results) == {"rules_vs_random", "rules_vs_rules1", "random_vs_rules1"}
    assert results["rules_vs_random"] == 1.0


def test_a_match_is_scored_from_the_first_named_side():
    rules, rand = Entrant("rules", RuleController(), 3), Entrant("random", RandomPlayer(), 1)
    assert match_score(rules, rand, games=3, seed=2) == 1.0
    assert match_score(rand, rules, games=3, seed=2) == 0.0
