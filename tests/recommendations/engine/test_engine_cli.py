"""The offline command line on tiny files, including malformed ones."""

import csv
import json
import os

import numpy as np
import pytest

from recommendations.engine import ALGORITHMS
from recommendations.engine.cli import main


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return str(path)


def tiny_ratings():
    """Two taste groups: users u0-u9 rate items a0-a7, users u10-u19 rate b0-b7."""
    rng = np.random.default_rng(1)
    lines = ["user,item,rating,timestamp"]
    for u in range(20):
        group = "a" if u < 10 else "b"
        for i in rng.choice(8, size=5, replace=False):
            lines.append(f"u{u},{group}{i},{rng.choice([3.5, 4.0, 5.0])},{1_600_000_000 + u * 100 + i}")
    lines.append("u0,b0,1.0,1600000000")  # a low rating: negative evidence
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("algorithm", ["hybrid", "itemknn"])
def test_recommend_writes_k_unseen_items_for_every_user(tmp_path, algorithm):
    train = write(tmp_path / "train.csv", tiny_ratings())
    items = write(
        tmp_path / "items.csv",
        "item,title,genres\n"
        + "".join(f"{g}{i},Film {g}{i},{'Sci-Fi|Action' if g == 'a' else 'Romance'}\n" for g in "ab" for i in range(9)),
    )
    out = tmp_path / "recs.csv"

    code = main(
        ["recommend", "--train", train, "--items", items, "--k", "3", "--out", str(out), "--algorithm", algorithm]
    )

    assert code == 0
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["user", "item", "rank", "score"]
    seen = {(r["user"], r["item"]) for r in csv.DictReader((tmp_path / "train.csv").read_text().splitlines())}
    by_user = {}
    for r in rows:
        by_user.setdefault(r["user"], []).append(r)
        assert (r["user"], r["item"]) not in seen
    assert len(by_user) == 20 and all(len(v) == 3 for v in by_user.values())
    assert [r["rank"] for r in by_user["u3"]] == ["1", "2", "3"]
    assert "b0" not in {r["item"] for r in by_user["u0"]}


@pytest.mark.parametrize(
    "text,message",
    [
        ("user,item,rating\nu1,i1,4\n", "line 1: missing column(s) timestamp"),
        ("user,item,rating,timestamp\nu1,i1,4,1\nu2,i2,lots,1\n", "line 3: rating must be a number, got 'lots'"),
        ("user,item,rating,timestamp\nu1,i1,4,1\nu2,i2\n", "line 3: expected 4 fields"),
        ("user,item,rating,timestamp\nu1,i1,9,1\n", "line 2: rating must be between 0 and 5"),
    ],
)
def test_malformed_training_files_are_a_clear_error(tmp_path, capsys, text, message):
    train = write(tmp_path / "train.csv", text)

    code = main(["recommend", "--train", train, "--k", "3", "--out", str(tmp_path / "r.csv")])

    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def to_mlcsv(directory, rng):
    directory.mkdir()
    lines = ["userId,movieId,rating,timestamp"]
    for u in range(1, 41):
        for m in rng.choice(np.arange(1, 31) if u % 2 else np.arange(20, 51), size=10, replace=False):
            lines.append(f"{u},{m},{rng.choice([2.0, 3.5, 5.0])},{1_500_000_000 + u}")
    (directory / "ratings.csv").write_text("\n".join(lines) + "\n")
    (directory / "movies.csv").write_text(
        "movieId,title,genres\n"
        + "".join(f'{m},"Movie {m}, The (1999)",{"Drama|Sci-Fi" if m < 25 else "Comedy"}\n' for m in range(1, 51))
    )
    return lines[1:]


def to_ml100k(directory, ratings):
    directory.mkdir()
    (directory / "u.data").write_text("".join("\t".join(line.split(",")) + "\n" for line in ratings))
    (directory / "u.item").write_bytes(
        "".join(
            f"{m}|Caf\u00e9 {m} (1999)|01-Jan-1999||http://x|0|1|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0\n"
            for m in range(1, 51)
        ).encode("latin-1")
    )


def test_evaluate_reads_both_movielens_layouts_and_prints_one_json_line_per_question(tmp_path, capsys):
    ratings = to_mlcsv(tmp_path / "mlcsv", np.random.default_rng(2))
    to_ml100k(tmp_path / "ml100k", ratings)
    results = {}
    for layout in ("mlcsv", "ml100k"):
        assert (
            main(["evaluate", "--data", str(tmp_path / layout), "--format", layout, "--algorithm", "itemknn", "--json"])
            == 0
        )
        lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
        assert [(r["question"], r["relevance"], r["binary"]) for r in lines] == [
            ("loved", "liked", False),
            ("watched", "all", True),
        ]
        results[layout] = lines
    metrics = {"precision@10", "recall@10", "ndcg@10", "map@10", "coverage", "fit_s"}
    assert set(results["mlcsv"][0]) == {"algorithm", "question", "relevance", "binary", "seed"} | metrics
    for line in results["mlcsv"]:
        for key in ("precision@10", "ndcg@10", "coverage"):
            assert 0 < line[key] <= 1
    assert [r["ndcg@10"] for r in results["mlcsv"]] == [r["ndcg@10"] for r in results["ml100k"]]
    assert results["mlcsv"][0]["ndcg@10"] != results["mlcsv"][1]["ndcg@10"]


def test_evaluate_flags_choose_one_question_and_the_seed_the_split(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(2))
    base = ["evaluate", "--data", str(tmp_path / "d"), "--algorithm", "itemknn"]
    both = {}
    assert main(base) == 0
    for line in capsys.readouterr().out.strip().splitlines():
        both[json.loads(line)["question"]] = json.loads(line)

    def one(*flags):
        assert main([*base, *flags]) == 0
        [line] = capsys.readouterr().out.strip().splitlines()
        return json.loads(line)

    loved = one("--relevance", "liked")
    assert {k: v for k, v in loved.items() if k != "fit_s"} == {k: v for k, v in both["loved"].items() if k != "fit_s"}
    watched = one("--binary")
    assert (watched["question"], watched["relevance"]) == ("watched", "all")
    assert watched["ndcg@10"] == both["watched"]["ndcg@10"]
    custom = one("--relevance", "all")
    assert (custom["question"], custom["binary"]) == ("custom", False)
    other = one("--binary", "--seed", "7")
    assert other["seed"] == 7 and other["ndcg@10"] != watched["ndcg@10"]
    assert one("--binary", "--seed", "7")["ndcg@10"] == other["ndcg@10"]


def test_evaluate_without_an_algorithm_runs_every_one(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(3))
    assert main(["evaluate", "--data", str(tmp_path / "d"), "--format", "mlcsv", "--binary", "--json"]) == 0
    names = [json.loads(line)["algorithm"] for line in capsys.readouterr().out.strip().splitlines()]
    assert names == list(ALGORITHMS)


def test_evaluate_on_a_missing_directory_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", "--data", str(tmp_path / "nope"), "--format", "ml100k"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_bench_reports_fit_time_and_peak_memory_last(tmp_path, capsys):
    import scipy.sparse as sp

    from recommendations.engine.synthetic import synthetic_matrix

    path = tmp_path / "m.npz"
    sp.save_npz(path, synthetic_matrix(300, 120, 6000, seed=1))
    assert main(["bench", "--matrix", str(path), "--json"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(last) == {"fit_s", "peak_rss_mb"} and last["fit_s"] >= 0
    assert os.path.exists(path)


def test_bench_with_fixed_weights_fits_that_blend(tmp_path, capsys):
    import scipy.sparse as sp

    from recommendations.engine.synthetic import synthetic_matrix

    path = tmp_path / "m.npz"
    sp.save_npz(path, synthetic_matrix(300, 120, 6000, seed=1))
    assert main(["bench", "--matrix", str(path), "--weights", "ease=1,itemknn=0.5", "--json"]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[0])
    assert first["params"]["weights"] == {"ease": 1.0, "itemknn": 0.5}
    assert main(["bench", "--matrix", str(path), "--weights", "svd=1", "--json"]) == 2
    assert "unknown component 'svd'" in capsys.readouterr().err
    assert main(["bench", "--matrix", str(path), "--weights", "ease=lots", "--json"]) == 2
    assert "needs a number" in capsys.readouterr().err


def test_evaluate_with_diversity_reports_ndcg_and_intra_list_diversity_per_value(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(2))
    args = ["evaluate", "--data", str(tmp_path / "d"), "--format", "mlcsv", "--algorithm", "itemknn", "--binary"]
    assert main(args) == 0
    plain = json.loads(capsys.readouterr().out)

    assert main([*args, "--diversity", "0,1"]) == 0

    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [line["diversity"] for line in lines] == [0.0, 1.0]
    assert {"ndcg@10", "ild@10"} <= set(lines[0])
    assert lines[0]["ndcg@10"] == plain["ndcg@10"]  # diversity 0 is the plain ranking
    assert lines[1]["ild@10"] > lines[0]["ild@10"]
    assert all(0 <= line["ild@10"] <= 1 for line in lines)


def test_evaluate_with_diversity_reads_ml100k_genre_flags(tmp_path, capsys):
    ratings = to_mlcsv(tmp_path / "mlcsv", np.random.default_rng(2))
    to_ml100k(tmp_path / "ml100k", ratings)
    args = ["evaluate", "--data", str(tmp_path / "ml100k"), "--format", "ml100k", "--algorithm", "itemknn", "--binary"]

    assert main([*args, "--diversity", "0.5"]) == 0

    line = json.loads(capsys.readouterr().out)
    assert line["diversity"] == 0.5
    assert line["ild@10"] == 0.0  # every u.item film is Action|Drama: nothing to spread


def test_evaluate_with_diversity_but_no_genres_is_a_clear_error(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(2))
    (tmp_path / "d" / "movies.csv").unlink()

    code = main(["evaluate", "--data", str(tmp_path / "d"), "--format", "mlcsv", "--diversity", "0.5"])

    assert code == 2
    assert "--diversity needs the items' genres" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["2", "lots", "0.5,-1"])
def test_a_diversity_outside_0_to_1_is_refused(tmp_path, capsys, value):
    with pytest.raises(SystemExit) as exit_:
        main(["evaluate", "--data", str(tmp_path), "--diversity", value])
    assert exit_.value.code == 2
    assert "between 0 and 1" in capsys.readouterr().err
