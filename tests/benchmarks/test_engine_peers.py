"""Peers tuned on the test split: every grid point on every input is scored, and the best one is the figure."""

import json

import numpy as np

from benchmarks.engine_peers import inputs_for, main
from recommendations.engine import build_model
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.evaluation import evaluate_question
from tests.recommendations.engine.test_engine_cli import to_mlcsv


def test_each_peer_keeps_its_best_grid_point_and_reports_every_trial(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(4))
    out = tmp_path / "peers.jsonl"
    grid = {"userknn": {"k": [2, 20], "shrinkage": [0.0]}}

    assert main(["--data", str(tmp_path / "d"), "--peers", "userknn", "--seeds", "3", "--grid", json.dumps(grid),
                 "--out", str(out)]) == 0  # fmt: skip

    lines = [json.loads(text) for text in out.read_text().splitlines()]
    assert [(line["question"], line["seed"]) for line in lines] == [("loved", 3), ("watched", 3)]
    loved, watched = lines
    assert {(t["input"], t["k"]) for t in loved["trials"]} == {
        (name, k) for name in ("weighted", "positive", "liked", "all") for k in (2, 20)
    }
    assert {(t["input"], t["k"]) for t in watched["trials"]} == {("weighted", 2), ("weighted", 20)}
    for line in lines:
        assert line["best"]["ndcg@10"] == max(t["ndcg@10"] for t in line["trials"])
    printed = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [p["best"] for p in printed] == [loved["best"], watched["best"]] and "trials" not in printed[0]

    # A grid point on the production weighting is the figure evaluate gives the same model on the same split.
    data = load_evaluation_ratings(str(tmp_path / "d"), "mlcsv")
    [metrics] = evaluate_question(lambda: build_model("userknn", k=20, shrinkage=0.0), data.matrix,
                                  relevance="liked", binary=False, seed=3)  # fmt: skip
    trial = next(t for t in loved["trials"] if t["input"] == "weighted" and t["k"] == 20)
    assert trial["ndcg@10"] == round(metrics["ndcg@10"], 4)


def test_the_loved_question_offers_four_readings_of_the_ratings():
    import scipy.sparse as sp

    train = sp.csr_matrix(np.array([[3.0, -1.0, 1.0, 2.0]], dtype=np.float32))  # 5, 2, 3 and 4 stars
    readings = {name: m.toarray().tolist() for name, m in inputs_for(train, binary=False).items()}
    assert readings == {"weighted": [[3, -1, 1, 2]], "positive": [[3, 0, 1, 2]], "liked": [[1, 0, 0, 1]],
                        "all": [[1, 1, 1, 1]]}  # fmt: skip
    assert list(inputs_for(train, binary=True)) == ["weighted"]
