"""The crossover chart as a self-contained SVG (no plotting dependency, byte-stable output).

Monthly cost (log scale) against monthly requests (log scale): one solid line
per provider for the service's serverless compute (same traffic mix, scaled),
one dashed line per provider for the always-on container, a circle where they
cross, and a vertical marker at the profile's current volume.
"""

from __future__ import annotations

import math
from typing import Callable
from xml.sax.saxutils import escape

COLORS = {"aws": "#d97706", "gcp": "#2563eb", "azure": "#0f766e"}
WIDTH, HEIGHT = 760, 480
LEFT, RIGHT, TOP, BOTTOM = 80, 150, 50, 60


def _fmt_requests(value: float) -> str:
    for factor, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if value >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def _fmt_money(value: float) -> str:
    return f"${value:g}" if value < 1000 else f"${value / 1000:g}k"


def render_svg(series: dict[str, Callable[[float], float]], containers: dict[str, float],
               crossovers: dict[str, float | None], current: float, title: str) -> str:
    """``series``: provider -> cost at R requests/month; ``containers``: provider -> flat monthly cost."""
    known = [x for x in crossovers.values() if x] + ([current] if current > 0 else [])
    x_lo = 10 ** math.floor(math.log10(max(min(known) / 100, 1e3))) if known else 1e4
    x_hi = 10 ** math.ceil(math.log10(max(max(known) * 10, x_lo * 1e3))) if known else 1e9
    samples = [x_lo * (x_hi / x_lo) ** (i / 120) for i in range(121)]
    values = {name: [max(fn(x), 0.0) for x in samples] for name, fn in series.items()}
    top_value = max([v for vs in values.values() for v in vs] + list(containers.values()) + [1.0])
    y_lo, y_hi = 0.01, 10 ** math.ceil(math.log10(top_value * 1.2))
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def sx(x: float) -> float:
        return LEFT + pw * (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo))

    def sy(y: float) -> float:
        y = min(max(y, y_lo), y_hi)
        return TOP + ph * (1 - (math.log10(y) - math.log10(y_lo)) / (math.log10(y_hi) - math.log10(y_lo)))

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
           f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">',
           f'<title>{escape(title)}</title>',
           f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
           f'<text x="{WIDTH / 2:.1f}" y="24" text-anchor="middle" font-size="15" font-weight="bold">'
           f'{escape(title)}</text>']
    # grid and axes
    exp = int(math.log10(x_lo))
    while 10 ** exp <= x_hi:
        x = sx(10 ** exp)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">{_fmt_requests(10 ** exp)}</text>')
        exp += 1
    exp = int(math.log10(y_lo))
    while 10 ** exp <= y_hi:
        y = sy(10 ** exp)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{_fmt_money(10 ** exp)}</text>')
        exp += 1
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#374151"/>')
    out.append(f'<text x="{LEFT + pw / 2:.1f}" y="{HEIGHT - 18}" text-anchor="middle">'
               'requests per month (log scale)</text>')
    out.append(f'<text x="18" y="{TOP + ph / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 18 {TOP + ph / 2:.1f})">USD per month (log scale)</text>')
    if current > 0:
        x = sx(min(max(current, x_lo), x_hi))
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#6b7280" '
                   'stroke-dasharray="2,3"/>')
        out.append(f'<text x="{x + 4:.1f}" y="{TOP + 12}" fill="#6b7280">today</text>')
    legend_y = TOP + 10
    for name in sorted(series):
        color = COLORS.get(name, "#111827")
        points = " ".join(f"{sx(x):.1f},{sy(v):.1f}" for x, v in zip(samples, values[name]))
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{points}"/>')
        if name in containers:
            y = sy(containers[name])
            out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="{color}" '
                       'stroke-width="1.5" stroke-dasharray="6,4"/>')
        cross = crossovers.get(name)
        if cross and x_lo <= cross <= x_hi:
            cx, cy = sx(cross), sy(containers[name])
            out.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="5" fill="#ffffff" stroke="{color}" '
                       'stroke-width="2"/>')
            out.append(f'<line x1="{cx:.1f}" y1="{cy + 5:.1f}" x2="{cx:.1f}" y2="{TOP + ph}" stroke="{color}" '
                       'stroke-width="1" stroke-dasharray="1,3"/>')
        lx = LEFT + pw + 14
        out.append(f'<line x1="{lx}" y1="{legend_y}" x2="{lx + 22}" y2="{legend_y}" stroke="{color}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{lx + 28}" y="{legend_y + 4}">{escape(name)} functions</text>')
        out.append(f'<line x1="{lx}" y1="{legend_y + 18}" x2="{lx + 22}" y2="{legend_y + 18}" stroke="{color}" '
                   'stroke-width="1.5" stroke-dasharray="6,4"/>')
        out.append(f'<text x="{lx + 28}" y="{legend_y + 22}">{escape(name)} container</text>')
        legend_y += 44
    out.append(f'<circle cx="{LEFT + pw + 25}" cy="{legend_y + 2}" r="5" fill="#ffffff" stroke="#374151" '
               'stroke-width="2"/>')
    out.append(f'<text x="{LEFT + pw + 38}" y="{legend_y + 6}">crossover</text>')
    for name in sorted(series):
        legend_y += 18
        cross = crossovers.get(name)
        label = f"{_fmt_requests(cross)}/month" if cross else "never"
        out.append(f'<text x="{LEFT + pw + 14}" y="{legend_y + 6}" fill="{COLORS.get(name, "#111827")}">'
                   f'{escape(name)}: {label}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
