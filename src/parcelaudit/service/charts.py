"""Server-rendered SVG charts (no script, no build step): every label is escaped as XML text."""

from __future__ import annotations

from xml.sax.saxutils import escape


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="sans-serif">{escape(str(text))}</text>'
    )


def bar_chart_horizontal(pairs: list[tuple[str, float]], title: str, width: int = 640, unit: str = "") -> str:
    """Horizontal bars, one per (label, value), largest scale to the width."""
    row, left, top = 22, 170, 28
    height = top + row * max(len(pairs), 1) + 10
    peak = max((v for _, v in pairs), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        _text(8, 18, title, size=13),
    ]
    for number, (label, value) in enumerate(pairs):
        y = top + number * row
        length = (width - left - 70) * value / peak
        parts.append(_text(left - 6, y + 14, label, anchor="end"))
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" fill="#457b9d"/>')
        parts.append(_text(left + length + 4, y + 14, f"{value:,.0f}{unit}"))
    if not pairs:
        parts.append(_text(left, top + 14, "nothing yet"))
    parts.append("</svg>")
    return "".join(parts)


def rate_chart(days: list[tuple[str, float, float]], title: str, width: int = 760, height: int = 220) -> str:
    """Daily hold and review rates (0..1) as two lines over the days, with the first and last day labelled."""
    left, right, top, bottom = 44, 10, 28, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([max(h, r) for _, h, r in days] + [0.01])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>',
        _text(8, 18, title, size=13),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#888"/>',
        _text(left - 4, top + 4, f"{peak:.0%}", anchor="end", size=10),
        _text(left - 4, top + plot_h, "0%", anchor="end", size=10),
    ]
    step = plot_w / max(len(days) - 1, 1)
    for index, colour, name in ((1, "#c62828", "hold"), (2, "#ef8f00", "review")):
        points = " ".join(
            f"{left + n * step:.1f},{top + plot_h - plot_h * day[index] / peak:.1f}"
            for n, day in enumerate(days)
        )
        if points:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(_text(width - 120 + (index - 1) * 55, 18, name, size=11))
        parts.append(
            f'<rect x="{width - 134 + (index - 1) * 55}" y="10" width="10" height="10" fill="{colour}"/>'
        )
    if days:
        parts.append(_text(left, height - 8, days[0][0], size=10))
        parts.append(_text(left + plot_w, height - 8, days[-1][0], anchor="end", size=10))
    else:
        parts.append(_text(left + 10, top + 20, "no check run yet"))
    parts.append("</svg>")
    return "".join(parts)
