"""Charts drawn on the server as SVG: stacked bars, lines, horizontal bars (pure).

Every series is a ``<g class="series" data-series="...">`` whose marks carry
``data-label`` and ``data-value``, so the figures stay readable by machines and by
assistive technology (each chart has a ``<title>`` and a ``<desc>``).
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 28, 56
PALETTE = ("#1f5fa8", "#d9822b", "#2f9e44", "#9c36b5", "#c92a2a", "#5c7cfa")


def _open(title: str, desc: str, height: int = HEIGHT) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" class="chart">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc)}</desc>",
        f'<text x="{LEFT}" y="16" class="chart-title" font-size="13" '
        f'font-weight="bold">{escape(title)}</text>',
    ]


def _nice_max(values: Sequence[float]) -> float:
    top = max([0.0, *values])
    if top <= 0:
        return 1.0
    step = 1.0
    while step * 10 < top:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= top:
            return step * factor
    return top  # pragma: no cover


def _axes(top: float, labels: Sequence[str], plot_h: int) -> list[str]:
    base = TOP + plot_h
    parts = [
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" '
        'stroke="#888"/>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end">'
        f"{top:,.0f}</text>",
        f'<text x="{LEFT - 4}" y="{base}" font-size="10" text-anchor="end">0</text>',
    ]
    if labels:
        every = max(1, len(labels) // 12)
        slot = (WIDTH - LEFT - RIGHT) / len(labels)
        for n, label in enumerate(labels):
            if n % every:
                continue
            x = LEFT + slot * (n + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{base + 14}" font-size="9" '
                f'text-anchor="end" transform="rotate(-40 {x:.1f} {base + 14})">'
                f"{escape(label)}</text>"
            )
    return parts


def _legend(names: Sequence[str], height: int) -> list[str]:
    parts = ['<g class="legend">']
    x = LEFT
    for n, name in enumerate(names):
        colour = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{height - 12}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{height - 3}" font-size="10">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</g>")
    return parts


def _empty(parts: list[str], height: int) -> str:
    parts.append(
        f'<text x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle" '
        'font-size="12" class="no-data">No data for this period</text></svg>'
    )
    return "".join(parts)


def stacked_bars(
    title: str, labels: Sequence[str], series: dict[str, Sequence[int]]
) -> str:
    """Bars per label, one stacked segment per series."""
    totals = [sum(values[n] for values in series.values()) for n in range(len(labels))]
    desc = "; ".join(f"{name}: {sum(values)}" for name, values in series.items())
    parts = _open(title, desc)
    if not labels or not any(totals):
        return _empty(parts, HEIGHT)
    plot_h = HEIGHT - TOP - BOTTOM
    top = _nice_max(totals)
    parts += _axes(top, labels, plot_h)
    slot = (WIDTH - LEFT - RIGHT) / len(labels)
    stacked = [0.0] * len(labels)
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        parts.append(f'<g class="series" data-series={quoteattr(name)}>')
        for n, value in enumerate(values):
            h = plot_h * value / top
            y = TOP + plot_h - stacked[n] - h
            stacked[n] += h
            parts.append(
                f'<rect x="{LEFT + slot * n + slot * 0.15:.1f}" y="{y:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}" '
                f'data-label={quoteattr(labels[n])} data-value="{value}">'
                f"<title>{escape(f'{labels[n]} {name}: {value}')}</title></rect>"
            )
        parts.append("</g>")
    parts += _legend(list(series), HEIGHT)
    parts.append("</svg>")
    return "".join(parts)


def lines(title: str, labels: Sequence[str], series: dict[str, Sequence[int]]) -> str:
    """One polyline per series over the labels, with a dot per point."""
    everything = [v for values in series.values() for v in values]
    desc = "; ".join(
        f"{name}: {values[-1] if values else 0} at the end"
        for name, values in series.items()
    )
    parts = _open(title, desc)
    if not labels or not any(everything):
        return _empty(parts, HEIGHT)
    plot_h = HEIGHT - TOP - BOTTOM
    top = _nice_max(everything)
    parts += _axes(top, labels, plot_h)
    slot = (WIDTH - LEFT - RIGHT) / len(labels)
    for s, (name, values) in enumerate(series.items()):
        colour = PALETTE[s % len(PALETTE)]
        points = [
            (LEFT + slot * (n + 0.5), TOP + plot_h - plot_h * v / top)
            for n, v in enumerate(values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<g class="series" data-series={quoteattr(name)}>')
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" '
            'stroke-width="2"/>'
        )
        for (x, y), label, value in zip(points, labels, values, strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}" '
                f'data-label={quoteattr(label)} data-value="{value}">'
                f"<title>{escape(f'{label} {name}: {value}')}</title></circle>"
            )
        parts.append("</g>")
    parts += _legend(list(series), HEIGHT)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """One horizontal bar per label (e.g. the most viewed items)."""
    row = 22
    height = TOP + row * max(len(labels), 1) + 16
    desc = "; ".join(
        f"{label}: {value}" for label, value in zip(labels, values, strict=True)
    )
    parts = _open(title, desc, height)
    if not labels or not any(values):
        return _empty(parts, height)
    top = _nice_max(values)
    label_w = 260
    plot_w = WIDTH - label_w - RIGHT - 50
    parts.append(f'<g class="series" data-series={quoteattr(title)}>')
    for n, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row * n
        shown = label if len(label) <= 42 else label[:41] + "…"
        w = plot_w * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" font-size="11" '
            f'text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{PALETTE[0]}" data-label={quoteattr(label)} data-value="{value}">'
            f"<title>{escape(f'{label}: {value}')}</title></rect>"
            f'<text x="{label_w + w + 4:.1f}" y="{y + 14}" font-size="11">'
            f"{value:,}</text>"
        )
    parts.append("</g></svg>")
    return "".join(parts)
