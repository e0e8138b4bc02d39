"""The server-drawn charts alone: well-formed SVG, every text escaped, values written out, sizes right."""

import lxml.etree
import pytest

from hub.web.charts import Bar, Series, Stack, bar_chart, line_chart, number, stacked_bar_chart, text_width

SVG = "{http://www.w3.org/2000/svg}"
NASTY = '<script>alert("x")</script> & 单位'


def parse(svg: str) -> lxml.etree._Element:
    root = lxml.etree.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def texts(root) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text") if t.text]


def rects(root) -> list[lxml.etree._Element]:
    return list(root.iter(f"{SVG}rect"))


@pytest.mark.parametrize(
    ("value", "written"), [(75.0, "75"), (66.6667, "66.7"), (2.5, "2.5"), (100.0, "100"), (0.04, "0")]
)
def test_numbers_have_at_most_one_decimal(value, written):
    assert number(value) == written


def test_a_bar_chart_writes_each_label_and_value_and_scales_the_bars():
    root = parse(
        bar_chart(
            [Bar("安图县民政局", 100), Bar("安图县不动产登记中心", 50), Bar("车辆管理所", None)],
            title="按期答复率",
            missing="无答复",
        )
    )
    words = texts(root)
    assert root.find(f"{SVG}title").text == "按期答复率" and root.get("aria-label") == "按期答复率"
    for word in ("安图县民政局", "安图县不动产登记中心", "车辆管理所", "100%", "50%", "无答复", "0%", "75%"):
        assert word in words
    full, half = (float(r.get("width")) for r in rects(root))  # no bar for the missing value
    assert full == pytest.approx(2 * half)
    over, top = rects(parse(bar_chart([Bar("超出", 250), Bar("满分", 100)], title="t")))
    assert over.get("width") == top.get("width")  # clamped to the scale


def test_every_text_is_escaped():
    for svg in (
        bar_chart([Bar(NASTY, 10)], title=NASTY),
        stacked_bar_chart([Stack(NASTY, {"a": 1})], title=NASTY, series=[Series("a", NASTY, '"red')]),
        line_chart([Bar(NASTY, 10), Bar("3月", None)], title=NASTY),
    ):
        root = parse(svg)  # well-formed: nothing broke out of a text or an attribute
        assert "<script" not in svg and not list(root.iter("script"))
        assert NASTY in "".join(root.itertext())


def test_a_long_label_is_shortened_and_keeps_its_full_text_in_a_title():
    name = "中共安图县纪律检查委员会安图县监察委员会驻某某单位纪检监察组办公室"
    root = parse(bar_chart([Bar(name, 50)], title="t"))
    [label] = [t for t in root.iter(f"{SVG}text") if t.get("text-anchor") == "end"]
    assert label.text.endswith("…") and text_width(label.text) <= 300
    assert label.getparent().find(f"{SVG}title").text == name


def test_a_stacked_bar_shows_the_mix_with_counts_totals_and_a_legend():
    series = [Series("NOT_FOUND", "未查到", "#f4a261"), Series("FOUND", "已查到", "#1f4e79")]
    root = parse(
        stacked_bar_chart(
            [Stack("不动产登记中心", {"NOT_FOUND": 3, "FOUND": 1}), Stack("民政局", {})],
            title="答复结果构成",
            series=series,
            missing="无答复",
        )
    )
    words = texts(root)
    for word in ("未查到", "已查到", "不动产登记中心", "民政局", "3", "1", "共 4 件", "无答复"):
        assert word in words
    swatches, segments = rects(root)[:2], rects(root)[2:]
    assert [s.get("fill") for s in swatches] == ["#f4a261", "#1f4e79"]
    three, one = (float(s.get("width")) for s in segments)
    assert three == pytest.approx(3 * one, abs=0.5)
    assert [s.find(f"{SVG}title").text for s in segments] == [
        "不动产登记中心 · 未查到：3 件（75%）",
        "不动产登记中心 · 已查到：1 件（25%）",
    ]
    # dark text on a light colour, white on a dark one
    assert [t.get("fill") for t in root.iter(f"{SVG}text") if t.text in ("3", "1")] == ["#1f2933", "#fff"]


def test_a_line_chart_breaks_where_a_value_is_missing():
    points = [Bar("10月", 50), Bar("11月", 100), Bar("12月", None), Bar("1月", 80), Bar("2月", 60)]
    root = parse(line_chart(points, title="近5个月按期答复率"))
    words = texts(root)
    for word in ("10月", "11月", "12月", "1月", "2月", "50%", "100%", "80%", "60%", "—"):
        assert word in words
    lines = list(root.iter(f"{SVG}polyline"))
    assert [len(line.get("points").split()) for line in lines] == [2, 2]
    assert len(list(root.iter(f"{SVG}circle"))) == 4
    ys = {c.get("cy") for c in root.iter(f"{SVG}circle")}
    assert len(ys) == 4  # different values, different heights


def test_charts_with_nothing_to_draw_are_still_valid():
    parse(bar_chart([], title="空"))
    parse(stacked_bar_chart([], title="空", series=[]))
    parse(line_chart([], title="空"))
    parse(line_chart([Bar("3月", 80)], title="一个月"))
