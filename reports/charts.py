"""Charts drawn on the server as SVG (bar, line, pie): no script, so they
work under the CSP, and the same markup prints. Labels are escaped."""
from __future__ import annotations

import math
from html import escape

COLOURS = ("#337ab7", "#5cb85c", "#f0ad4e", "#d9534f", "#5bc0de", "#8e6bbf", "#795548", "#9e9e9e",
           "#e91e63", "#009688")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 260, 48, 70, 16


def chart_svg(kind: str, labels: list[str], values: list[float], title: str = "") -> str:
    values = [max(0.0, float(v or 0)) for v in values]
    if not values:      # 暂无数据 only when the table beside it is empty too
        return (f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} 60" '
                f'xmlns="http://www.w3.org/2000/svg"><text x="{WIDTH // 2}" y="34" text-anchor="middle" '
                'fill="#999" font-size="14">暂无数据</text></svg>')
    if not any(values) and kind == "pie":
        kind = "bar"    # rows that are all 0 have no slices: drawn as bars of 0, each labelled
    body = {"pie": _pie, "line": _line}.get(kind, _bar)(labels, values)
    return (f'<svg class="chart chart-{escape(kind)}" role="img" aria-label="{escape(title)}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" xmlns="http://www.w3.org/2000/svg" font-size="11">{body}</svg>')


def _short(label, n=8) -> str:
    text = str(label)
    return escape(text if len(text) <= n else text[: n - 1] + "…")


def _axis(values: list[float]) -> tuple[float, str]:
    top, ticks = _ticks(values)
    plot_h = HEIGHT - BOTTOM - TOP
    lines = []
    for v in ticks:
        y = TOP + plot_h - plot_h * v / top
        lines.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 8}" y2="{y:.1f}" stroke="#e5e5e5"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#666">{_fmt(v)}</text>')
    return top, "".join(lines)


def _ticks(values: list[float]) -> tuple[float, list[float]]:
    """The axis' top and its ticks. Counts (every value whole) get whole ticks —
    never 0.5 of a declaration; other values four even steps."""
    highest = max(values)
    if all(float(v).is_integer() for v in values):
        wanted = max(1.0, highest / 4)
        power = 10 ** math.floor(math.log10(wanted))
        step = next(m * power for m in (1, 2, 5, 10) if m * power >= wanted)
        step = max(1, round(step))
        count = max(1, math.ceil(highest / step))
        return step * count, [step * i for i in range(count + 1)]
    top = _nice(highest)
    return top, [top * i / 4 for i in range(5)]


def _nice(value: float) -> float:
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _bar(labels, values) -> str:
    top, grid = _axis(values)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(values)
    bar_w = max(2.0, min(40.0, slot * 0.7))
    parts = [grid]
    for i, (label, v) in enumerate(zip(labels, values)):
        h = plot_h * v / top
        x = LEFT + slot * i + (slot - bar_w) / 2
        y = TOP + plot_h - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                     f'fill="{COLOURS[0]}"><title>{escape(str(label))}：{_fmt(v)}</title></rect>')
        if len(values) <= 24:
            cx = x + bar_w / 2
            parts.append(f'<text x="{cx:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="#333">{_fmt(v)}</text>'
                         f'<text x="{cx:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" fill="#333" '
                         f'transform="rotate(-35 {cx:.1f} {TOP + plot_h + 14})">{_short(label)}</text>')
    return "".join(parts)


def _line(labels, values) -> str:
    top, grid = _axis(values)
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(1, len(values) - 1) if len(values) > 1 else 0
    points = [(LEFT + (step * i if len(values) > 1 else plot_w / 2), TOP + plot_h - plot_h * v / top)
              for i, v in enumerate(values)]
    parts = [grid, '<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
        COLOURS[0], " ".join(f"{x:.1f},{y:.1f}" for x, y in points))]
    every = max(1, len(values) // 12)
    for i, ((x, y), label, v) in enumerate(zip(points, labels, values)):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{COLOURS[0]}">'
                     f'<title>{escape(str(label))}：{_fmt(v)}</title></circle>')
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" fill="#333" '
                         f'transform="rotate(-35 {x:.1f} {TOP + plot_h + 14})">{_short(label, 10)}</text>')
    return "".join(parts)


def _pie(labels, values) -> str:
    total = sum(values)
    cx, cy, r = 130, HEIGHT / 2, 100
    parts, angle = [], -math.pi / 2
    for i, (label, v) in enumerate(zip(labels, values)):
        colour = COLOURS[i % len(COLOURS)]
        share = v / total
        tip = f"<title>{escape(str(label))}：{_fmt(v)}（{share * 100:.1f}%）</title>"
        if share >= 0.9999:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{r}" fill="{colour}">{tip}</circle>')
        elif share > 0:
            end = angle + 2 * math.pi * share
            x1, y1 = cx + r * math.cos(angle), cy + r * math.sin(angle)
            x2, y2 = cx + r * math.cos(end), cy + r * math.sin(end)
            large = 1 if share > 0.5 else 0
            parts.append(f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{r},{r} 0 {large} 1 {x2:.2f},{y2:.2f} Z" '
                         f'fill="{colour}" stroke="#fff">{tip}</path>')
            angle = end
        if i < 12:
            y = 24 + i * 18
            parts.append(f'<rect x="270" y="{y - 10}" width="12" height="12" fill="{colour}"/>'
                         f'<text x="288" y="{y}" fill="#333">{_short(label, 16)}　{_fmt(v)}'
                         f'（{share * 100:.1f}%）</text>')
    return "".join(parts)
