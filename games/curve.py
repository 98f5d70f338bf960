"""The learning curve as a small SVG chart (no plotting library): win rate against the rules by training games."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 640, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 40, 56


def learning_curve_svg(points: list[tuple[int, float]], *, title: str) -> str:
    """points: (training games, win rate in [0, 1]) in order of games."""
    if not points:
        raise ValueError("no points to draw")
    max_games = max(g for g, _ in points) or 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(games: float) -> float:
        return LEFT + plot_w * games / max_games

    def y(rate: float) -> float:
        return TOP + plot_h * (1 - rate)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 8}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.0%}</text>')
    for games, _ in points:
        parts.append(f'<text x="{x(games):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{games:,}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0.5):.1f}" y2="{y(0.5):.1f}" stroke="#999" '
                 'stroke-dasharray="4 4"/>')  # fmt: skip
    line = " ".join(f"{x(g):.1f},{y(r):.1f}" for g, r in points)
    parts.append(f'<polyline points="{line}" fill="none" stroke="#9b2c2c" stroke-width="2.5"/>')
    parts += [f'<circle cx="{x(g):.1f}" cy="{y(r):.1f}" r="4" fill="#9b2c2c"/>' for g, r in points]
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">self-play training games</text>'
    )
    parts.append(f'<text transform="translate(16 {TOP + plot_h / 2}) rotate(-90)" text-anchor="middle">'
                 "win rate against the rule engine</text>")  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
