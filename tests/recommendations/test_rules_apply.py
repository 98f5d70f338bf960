"""rules.apply, the numpy heart of every list's rules, against a plain Python reading of the rules."""

import math

import numpy as np
import pytest
import scipy.sparse as sp

from recommendations.rules import BLOCK, BOOST, BURY, PIN, SHIFT_FLOOR, RuleSet, apply


def ruleset(rules: list[dict]) -> RuleSet:
    """rules: dicts with id, action, targets (pks), and weight / position / placement / window / segment."""
    universe = np.unique(np.array([pk for r in rules for pk in r["targets"]] or [0], dtype=np.int64))
    rows = [i for i, r in enumerate(rules) for _ in r["targets"]]
    cols = np.searchsorted(universe, [pk for r in rules for pk in r["targets"]])
    action = np.array([r["action"] for r in rules], dtype=np.int8)
    weight = np.array([r.get("weight", 2.0) for r in rules])
    return RuleSet(
        stamp=(),
        ids=np.array([r["id"] for r in rules], dtype=np.int64),
        action=action,
        log_weight=np.where(action == BOOST, np.log(weight), np.where(action == BURY, -np.log(weight), 0.0)),
        position=np.array([r.get("position", 0) for r in rules], dtype=np.int64),
        pinned=np.array([r["targets"][0] if r["action"] == PIN else 0 for r in rules], dtype=np.int64),
        placement=np.array([r.get("placement", "") for r in rules], dtype="<U20"),
        max_interactions=np.array([r.get("max_interactions", math.inf) for r in rules], dtype=np.float64),
        starts=np.array([r.get("starts", -math.inf) for r in rules], dtype=np.float64),
        ends=np.array([r.get("ends", math.inf) for r in rules], dtype=np.float64),
        universe=universe,
        members=sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(rules), len(universe))),
    )


def by_hand(rules, pks, scores, *, placement, now, interactions, excluded):
    """The documented semantics, one item and one rule at a time."""
    live = [r for r in rules if r.get("placement", "") in ("", placement)
            and r.get("starts", -math.inf) <= now < r.get("ends", math.inf)
            and interactions < r.get("max_interactions", math.inf)]  # fmt: skip
    low, spread = min(scores), max(scores) - min(scores)
    floor = SHIFT_FLOOR * spread if spread > 0 else 1.0
    kept = []
    for pk, score in zip(pks, scores, strict=True):
        if any(r["action"] == BLOCK and pk in r["targets"] for r in live):
            continue
        value, best, strength = score - low + floor, 0, 0.0
        for r in live:
            if r["action"] in (BOOST, BURY) and pk in r["targets"]:
                value = value * r["weight"] if r["action"] == BOOST else value / r["weight"]
                if abs(math.log(r["weight"])) > strength:
                    best, strength = r["id"], abs(math.log(r["weight"]))
        kept.append((pk, value, best))
    kept.sort(key=lambda row: -row[1])  # stable: ties keep the candidates' order
    placed = set()
    for r in sorted((r for r in live if r["action"] == PIN), key=lambda r: (r["position"], r["id"])):
        pk = r["targets"][0]
        if pk in placed or pk in excluded or any(b["action"] == BLOCK and pk in b["targets"] for b in live):
            continue
        placed.add(pk)
        kept = [row for row in kept if row[0] != pk]
        kept.insert(min(r["position"] - 1, len(kept)), (pk, None, r["id"]))
    return [(pk, rule) for pk, _, rule in kept]


@pytest.mark.parametrize("seed", range(40))
def test_apply_matches_the_rules_read_one_at_a_time(seed):
    rng = np.random.default_rng(seed)
    catalog = np.arange(1, 61)
    pks = rng.choice(catalog, size=30, replace=False)
    scores = np.round(rng.normal(size=30), 3)  # some ties, negative scores too
    rules = []
    for n in range(int(rng.integers(0, 12))):
        action = int(rng.integers(0, 4))
        targets = [int(rng.choice(catalog))] if action == PIN else rng.choice(catalog, size=8, replace=False).tolist()
        rule = {"id": n + 1, "action": action, "targets": targets, "weight": float(rng.choice([1.5, 2.0, 4.0])),
                "position": int(rng.integers(1, 35)),
                "placement": str(rng.choice(["", "", "home", "similar"]))}  # fmt: skip
        if rng.random() < 0.2:
            rule["starts"], rule["ends"] = float(rng.integers(0, 10)), float(rng.integers(5, 20))
        if rng.random() < 0.2:
            rule["max_interactions"] = float(rng.integers(0, 10))
        rules.append(rule)
    compiled = ruleset(rules) if rules else RuleSet.empty()
    excluded = rng.choice(catalog, size=10, replace=False)
    for placement, now, interactions in (("home", 7.0, 3), ("similar", 1.0, 12), ("trending", 30.0, 0)):
        live = compiled.live(placement=placement, now=now, interactions=interactions)
        shaped = apply(compiled, pks, scores, live=live, excluded=excluded)
        expected = by_hand(rules, pks.tolist(), scores.tolist(), placement=placement, now=now,
                           interactions=interactions, excluded=set(excluded.tolist()))  # fmt: skip
        assert list(zip(shaped.pks.tolist(), shaped.rules.tolist(), strict=True)) == expected
        assert shaped.featured.tolist() == [any(r["id"] == rule and r["action"] == PIN for r in rules)
                                            for _, rule in expected]  # fmt: skip


def test_block_beats_pin_beats_boost():
    rules = ruleset([
        {"id": 1, "action": BOOST, "targets": [5], "weight": 100.0},
        {"id": 2, "action": PIN, "targets": [5], "position": 3},
        {"id": 3, "action": PIN, "targets": [6], "position": 1},
        {"id": 4, "action": BLOCK, "targets": [6]},
    ])  # fmt: skip
    shaped = apply(rules, np.array([1, 2, 3, 4, 5, 6]), np.array([6.0, 5, 4, 3, 2, 1]), live=np.ones(4, dtype=bool))
    assert shaped.pks.tolist() == [1, 2, 5, 3, 4]  # 6 blocked despite its pin; 5 pinned despite its boost
    assert shaped.featured.tolist() == [False, False, True, False, False]
    assert shaped.rules.tolist()[2] == 2


def test_a_pin_never_brings_back_an_excluded_item():
    rules = ruleset([{"id": 1, "action": PIN, "targets": [9], "position": 1}])
    shaped = apply(rules, np.array([1, 2]), np.array([2.0, 1.0]), live=np.ones(1, dtype=bool), excluded=np.array([9]))
    assert shaped.pks.tolist() == [1, 2]


def test_a_pinned_item_outside_the_candidates_is_brought_in():
    rules = ruleset([{"id": 1, "action": PIN, "targets": [9], "position": 2}])
    shaped = apply(rules, np.array([1, 2]), np.array([2.0, 1.0]), live=np.ones(1, dtype=bool))
    assert shaped.pks.tolist() == [1, 9, 2]


def test_boost_multiplies_and_bury_divides_the_shifted_score():
    rules = ruleset([{"id": 1, "action": BOOST, "targets": [3], "weight": 3.0},
                     {"id": 2, "action": BURY, "targets": [1], "weight": 2.0}])  # fmt: skip
    shaped = apply(rules, np.array([1, 2, 3]), np.array([1.0, 0.5, 0.0]), live=np.ones(2, dtype=bool))
    # shifted: 1.05, 0.55, 0.05 -> bury 1: 0.525, boost 3: 0.15
    assert shaped.pks.tolist() == [2, 1, 3]
    assert shaped.scores.tolist() == pytest.approx([0.55, 0.525, 0.15])
