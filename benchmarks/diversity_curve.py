"""The diversity trade-off on a MovieLens directory: nDCG@10 against intra-list diversity, as an SVG and a table.

python -m benchmarks.diversity_curve --data data/ml-latest-small --out docs/diversity-tradeoff.svg

One fit of the default model on the evaluation protocol's split; every user's
list is re-ranked for diversity = 0, 0.1 … 1 (engine evaluate --diversity).
"""

from __future__ import annotations

import argparse
import sys
from html import escape

from recommendations.engine import build_model
from recommendations.engine.datasets import genre_matrix, load_evaluation_data
from recommendations.engine.evaluation import evaluate_diversity

WIDTH, HEIGHT = 640, 400
LEFT, RIGHT, TOP, BOTTOM = 72, 32, 40, 56
STEPS = [round(0.1 * n, 1) for n in range(11)]


def tradeoff_svg(points: list[tuple[float, float, float]], *, title: str) -> str:
    """points: (diversity setting, intra-list diversity, nDCG@10); one labelled dot per setting, joined in order."""
    if not points:
        raise ValueError("no points to draw")
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    x_lo, x_hi = _bounds(xs)
    y_lo, y_hi = _bounds(ys)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(value: float) -> float:
        return LEFT + plot_w * (value - x_lo) / (x_hi - x_lo)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - (value - y_lo) / (y_hi - y_lo))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    for n in range(5):
        ty, tx = y_lo + (y_hi - y_lo) * n / 4, x_lo + (x_hi - x_lo) * n / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(ty):.1f}" y2="{y(ty):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(ty) + 4:.1f}" text-anchor="end">{ty:.3f}</text>')
        parts.append(f'<text x="{x(tx):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{tx:.3f}</text>')
    line = " ".join(f"{x(i):.1f},{y(n):.1f}" for _, i, n in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#2c5282" stroke-width="2.5"/>')
    for setting, i, n in points:
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(n):.1f}" r="4" fill="#2c5282"/>')
        parts.append(f'<text x="{x(i) + 6:.1f}" y="{y(n) - 6:.1f}" font-size="11">{setting:g}</text>')
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">'
        "intra-list diversity of the top 10 (mean pairwise genre dissimilarity)</text>"
    )
    parts.append(f'<text transform="translate(18 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
                 "nDCG@10</text>")  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _bounds(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or 0.01
    return lo - pad, hi + pad


def table(results: list[dict]) -> str:
    rows = ["| diversity | nDCG@10 | P@10 | ILD@10 | coverage |", "|---|---|---|---|---|"]
    rows += [
        f"| {r['diversity']:g} | {r['ndcg@10']:.4f} | {r['precision@10']:.4f} | {r['ild@10']:.4f} | "
        f"{r['coverage']:.4f} |"
        for r in results
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/ml-latest-small")
    parser.add_argument("--format", default="mlcsv", choices=("mlcsv", "ml100k"))
    parser.add_argument("--algorithm", default="hybrid")
    parser.add_argument("--out", required=True, help="the .svg file to write")
    args = parser.parse_args(argv)
    data = load_evaluation_data(args.data, args.format)
    genres = genre_matrix(args.data, args.format, data.item_ids)
    results = evaluate_diversity(
        lambda: build_model(args.algorithm),
        data.matrix,
        genres,
        STEPS,
        item_texts=data.item_texts,
        timestamps=data.timestamps,
    )
    points = [(r["diversity"], r["ild@10"], r["ndcg@10"]) for r in results]
    with open(args.out, "w", encoding="utf-8") as handle:
        handle.write(tradeoff_svg(points, title=f"Diversity trade-off: {args.algorithm} on {args.data.rstrip('/')}"))
    print(table(results))
    print(f"fit_s {results[0]['fit_s']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
