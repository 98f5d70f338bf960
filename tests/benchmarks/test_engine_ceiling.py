"""The blend's ceiling: the default's own figure, and the best weights of its components on the test part."""

import json

import numpy as np
import pytest

from benchmarks.engine_ceiling import main
from recommendations.engine import build_model
from recommendations.engine.datasets import load_evaluation_ratings
from recommendations.engine.evaluation import evaluate_question
from tests.recommendations.engine.test_engine_cli import to_mlcsv


def test_the_ceiling_starts_from_the_default_and_only_climbs(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(5))
    out = tmp_path / "ceiling.jsonl"

    assert main(["--data", str(tmp_path / "d"), "--seeds", "3", "--components", "ease,itemknn,popularity",
                 "--out", str(out)]) == 0  # fmt: skip

    lines = [json.loads(text) for text in out.read_text().splitlines()]
    assert [(line["question"], line["seed"]) for line in lines] == [("loved", 3), ("watched", 3)]
    assert [json.loads(text) for text in capsys.readouterr().out.splitlines()] == lines
    data = load_evaluation_ratings(str(tmp_path / "d"), "mlcsv")
    for line, (relevance, binary) in zip(lines, [("liked", False), ("all", True)], strict=True):
        # The default's figure is the one evaluate prints for the hybrid on the same split ...
        [metrics] = evaluate_question(lambda: build_model("hybrid"), data.matrix, relevance=relevance,
                                      binary=binary, item_texts=data.item_texts, seed=3)  # fmt: skip
        assert line["default"] == round(metrics["ndcg@10"], 4)
        # ... the refit at its settings and weights reproduces it, and weights chosen on the answers beat it.
        assert line["refitted"] == pytest.approx(line["default"], abs=1e-4)
        assert line["ceiling"] > line["refitted"]
        assert set(line["ceiling_weights"]) <= {"ease", "itemknn", "popularity", "content", *line["default_weights"]}


def test_an_unknown_component_is_refused_by_name(tmp_path):
    to_mlcsv(tmp_path / "d", np.random.default_rng(5))
    with pytest.raises(SystemExit, match="unknown component.*: knn"):
        main(["--data", str(tmp_path / "d"), "--components", "ease,knn"])
