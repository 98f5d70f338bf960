"""The diversity trade-off figure: one labelled point per setting, written from a real evaluation."""

import xml.etree.ElementTree as ET

import numpy as np

from benchmarks.diversity_curve import main, tradeoff_svg
from tests.recommendations.engine.test_engine_cli import to_mlcsv

SVG = "{http://www.w3.org/2000/svg}"


def test_the_figure_is_valid_svg_with_a_labelled_point_per_setting():
    points = [(0.0, 0.60, 0.42), (0.5, 0.80, 0.38), (1.0, 0.86, 0.27)]

    root = ET.fromstring(tradeoff_svg(points, title="Trade-off <demo>"))

    circles = root.findall(f"{SVG}circle")
    assert len(circles) == 3
    ys = [float(c.get("cy")) for c in circles]
    xs = [float(c.get("cx")) for c in circles]
    assert xs == sorted(xs) and ys == sorted(ys)  # more diverse to the right, lower nDCG further down
    labels = {t.text for t in root.findall(f"{SVG}text")}
    assert {"0", "0.5", "1", "Trade-off <demo>"} <= labels


def test_the_script_writes_the_figure_and_prints_the_table(tmp_path, capsys):
    to_mlcsv(tmp_path / "d", np.random.default_rng(2))
    out = tmp_path / "curve.svg"

    assert main(["--data", str(tmp_path / "d"), "--algorithm", "itemknn", "--out", str(out)]) == 0

    assert len(ET.parse(out).getroot().findall(f"{SVG}circle")) == 11
    rows = capsys.readouterr().out.strip().splitlines()
    assert rows[0].startswith("| diversity | nDCG@10")
    settings = ["0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"]
    assert [row.split("|")[1].strip() for row in rows[2:]] == settings
