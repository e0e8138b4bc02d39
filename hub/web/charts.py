"""Charts drawn on the server as inline SVG: data in, an SVG string out, every text escaped.

No script and nothing from another host. Each value is written beside its mark, not only shown as a
length or a colour, so a chart still reads when printed in grey; the palette also steps in lightness.
Text widths are estimated (a CJK character is about 1 em, other characters about 0.6 em): labels that
would not fit are shortened with "…" and keep their full text in a <title>.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

FONT = (
    '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'
)
INK, MUTED, GRID, BAR = "#1f2933", "#616e7c", "#cbd2d9", "#9b1c1c"
# Alternating dark and light, so neighbouring segments stay apart in grey too.
PALETTE = (
    "#1f4e79", "#f4a261", "#2a9d8f", "#e9c46a", "#6d2e46", "#a8dadc",
    "#b23a48", "#e76f51", "#5a6f2b", "#d4b8e0", "#8c5a2b", "#bcccdc", "#457b9d",
)  # fmt: skip
WIDTH, PAD, ROW, BAR_H, SIZE = 760, 12, 28, 18, 13
MAX_LABEL = 300  # px kept for a label column


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None  # None: nothing to measure (written as the chart's `missing` text)


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Stack:
    label: str
    counts: dict[str, int]  # series key -> count


def number(value: float) -> str:
    """At most one decimal, no trailing zero: 75, 66.7, 2.5."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def text_width(text: str, size: float = SIZE) -> float:
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _fit(text: str, width: float, size: float = SIZE) -> str:
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text + "…"


def _ink_on(color: str) -> str:
    """White or dark text, whichever reads on `color` (a #rrggbb colour; anything else: white)."""
    if len(color) == 7 and color.startswith("#"):
        try:
            r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
        except ValueError:
            return "#fff"
        return INK if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#fff"
    return "#fff"


def _svg(title: str, height: float, body: list[str], width: float = WIDTH) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{_e(title)}" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'font-family="{_e(FONT)}" font-size="{SIZE}" fill="{INK}">'
        f"<title>{_e(title)}</title>"
        f'<text x="{PAD}" y="{PAD + 14}" font-size="15" font-weight="bold">{_e(title)}</text>'
        + "".join(body)
        + "</svg>"
    )


def _text(x: float, y: float, text: str, **attrs: object) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{_e(text)}</text>'


def _label(x: float, y: float, text: str, width: float) -> str:
    """A row's label, right-aligned at x; shortened to `width`, the full text then in a <title>."""
    shown = _fit(text, width)
    label = f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end">{_e(shown)}</text>'
    return label if shown == text else f"<g><title>{_e(text)}</title>{label}</g>"


def _label_column(labels: Sequence[str]) -> float:
    return min(max((text_width(t) for t in labels), default=0) + 8, MAX_LABEL)


def bar_chart(
    bars: Sequence[Bar], *, title: str, maximum: float = 100, unit: str = "%", missing: str = "无数据"
) -> str:
    """Horizontal bars, one row per label, on a scale 0..maximum with five grid lines; each value is
    written after its bar (75%), a None value as `missing`."""
    label_w = _label_column([b.label for b in bars])
    x0 = PAD + label_w + 8
    plot_w = WIDTH - x0 - PAD - 56
    top = PAD + 30
    bottom = top + ROW * max(len(bars), 1)
    body = []
    for i in range(5):
        x = x0 + plot_w * i / 4
        body.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>')
        tick = number(maximum * i / 4) + unit
        body.append(_text(x, bottom + 16, tick, text_anchor="middle", fill=MUTED, font_size=11))
    for row, bar in enumerate(bars):
        y = top + ROW * row
        mid = y + BAR_H / 2 + 4.5
        body.append(_label(PAD + label_w, mid, bar.label, label_w))
        if bar.value is None:
            body.append(_text(x0 + 4, mid, missing, fill=MUTED))
            continue
        w = plot_w * min(max(bar.value, 0), maximum) / maximum if maximum > 0 else 0
        body.append(
            f'<rect x="{x0:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BAR_H}" fill="{BAR}">'
            f"<title>{_e(bar.label)}：{_e(number(bar.value) + unit)}</title></rect>"
        )
        body.append(_text(x0 + w + 4, mid, number(bar.value) + unit, font_weight="bold"))
    return _svg(title, bottom + 26, body)


def _legend(series: Sequence[Series], y: float) -> tuple[list[str], float]:
    """Swatches and names in rows across the width; returns the marks and the y below them."""
    body, x = [], float(PAD)
    for s in series:
        w = 14 + 4 + text_width(s.label) + 16
        if x + w > WIDTH - PAD and x > PAD:
            x, y = PAD, y + 20
        body.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="14" fill="{_e(s.color)}"/>')
        body.append(_text(x + 18, y + 12, s.label))
        x += w
    return body, y + 24


def stacked_bar_chart(
    stacks: Sequence[Stack],
    *,
    title: str,
    series: Sequence[Series],
    unit: str = "件",
    missing: str = "无数据",
) -> str:
    """One bar per label split by series, as shares of the row's total (the mix); each segment wide
    enough carries its count, each row ends with its total (共 4 件), an empty row says `missing`."""
    legend, top = _legend(series, PAD + 26)
    label_w = _label_column([s.label for s in stacks])
    x0 = PAD + label_w + 8
    plot_w = WIDTH - x0 - PAD - 64
    body = list(legend)
    for row, stack in enumerate(stacks):
        y = top + ROW * row
        mid = y + BAR_H / 2 + 4.5
        body.append(_label(PAD + label_w, mid, stack.label, label_w))
        total = sum(stack.counts.get(s.key, 0) for s in series)
        if total <= 0:
            body.append(_text(x0 + 4, mid, missing, fill=MUTED))
            continue
        x = x0
        for s in series:
            count = stack.counts.get(s.key, 0)
            if count <= 0:
                continue
            w = plot_w * count / total
            share = number(count / total * 100)
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{BAR_H}" fill="{_e(s.color)}" '
                f'stroke="#fff" stroke-width="1"><title>{_e(stack.label)} · {_e(s.label)}：'
                f"{count} {_e(unit)}（{share}%）</title></rect>"
            )
            if w >= text_width(str(count)) + 6:
                body.append(_text(x + w / 2, mid, str(count), text_anchor="middle", fill=_ink_on(s.color)))
            x += w
        body.append(_text(x0 + plot_w + 6, mid, f"共 {total} {unit}"))
    return _svg(title, top + ROW * max(len(stacks), 1) + PAD, body)


def line_chart(
    points: Sequence[Bar],
    *,
    title: str,
    maximum: float = 100,
    unit: str = "%",
    missing: str = "—",
    width: float = 560,
) -> str:
    """Values over a sequence of labels (months), on a scale 0..maximum: a line through the points that
    have a value (broken where one is None), each value written above its point, `missing` below."""
    top, height = PAD + 36, 130
    x0, x1 = PAD + 40, width - PAD - 16
    base = top + height
    step = (x1 - x0) / max(len(points) - 1, 1)
    body = []
    for i in range(5):
        y = base - height * i / 4
        body.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        tick = number(maximum * i / 4) + unit
        body.append(_text(x0 - 6, y + 4, tick, text_anchor="end", fill=MUTED, font_size=11))
    xy: list[tuple[float, float] | None] = []
    for i, point in enumerate(points):
        x = x0 + step * i if len(points) > 1 else (x0 + x1) / 2
        body.append(_text(x, base + 18, point.label, text_anchor="middle"))
        if point.value is None:
            xy.append(None)
            body.append(_text(x, base - 6, missing, text_anchor="middle", fill=MUTED))
            continue
        y = base - height * min(max(point.value, 0), maximum) / maximum if maximum > 0 else base
        xy.append((x, y))
    runs: list[list[tuple[float, float]]] = [[]]
    for p in xy:
        if p is None:
            runs.append([])
        else:
            runs[-1].append(p)
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>')
    for point, p in zip(points, xy, strict=True):
        if p is None or point.value is None:
            continue
        x, y = p
        text = number(point.value) + unit
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"><title>{_e(point.label)}：'
            f"{_e(text)}</title></circle>"
        )
        body.append(_text(x, y - 8, text, text_anchor="middle", font_weight="bold"))
    return _svg(title, base + 30, body, width)
