"""The HTML reader's grid: rowspan/colspan expansion, nested tables, entities, comments, unclosed cells, and the
NFKC shortcut against unicodedata."""

import random
import unicodedata

from pipelines.report.normalize import nfkc
from pipelines.report.readers import read_html


def grid(html: str) -> list[tuple[str, list[tuple[str, str]]]]:
    return [(b.kind, [(c.text, c.where) for c in b.cells]) for b in read_html(html.encode()).blocks]


def test_spans_entities_comments_and_inline_markup():
    html = """<html><body><p>一、总体情况</p><table><tr><td rowspan="3" colspan="2">本年新收</td><td>a</td></tr>
    <tr><td>b</td></tr><tr><td> c &nbsp; d </td></tr><tr><td>x</td><td>y</td><td>z</td></tr>
    <tr><th>h<!-- note --></th><td><span>5</span><b>0</b></td><td/></tr></table>
    <div>after<p>in p</p>tail</div></body></html>"""
    assert grid(html) == [
        ("text", [("一、总体情况", "paragraph 1")]),
        ("table_row", [("本年新收", "table 1 row 1 col 1"), ("a", "table 1 row 1 col 3")]),
        ("table_row", [("b", "table 1 row 2 col 3")]),
        ("table_row", [("c d", "table 1 row 3 col 3")]),
        ("table_row", [("x", "table 1 row 4 col 1"), ("y", "table 1 row 4 col 2"), ("z", "table 1 row 4 col 3")]),
        ("table_row", [("h", "table 1 row 5 col 1"), ("50", "table 1 row 5 col 2"), ("", "table 1 row 5 col 3")]),
        ("text", [("after", "paragraph 7")]),
        ("text", [("in p", "paragraph 8")]),
        ("text", [("tail", "paragraph 9")]),
    ]
    blank = read_html(html.encode()).blocks[5].cells[2]
    assert blank.blank_in_grid


def test_table_inside_a_layout_table_stays_in_its_cell():
    html = """<html><body><div>导航 &amp; 首页</div>
    <table class=layout><tr><td>左栏</td><td><p>一、总体情况</p><p>正文<br>第二行</p>
    <TABLE border=1><TR><TD rowspan=2>本年新收</TD><TD>1</TD><TD>2</TD></TR><TR><TD>3</TD><td>4</td></TR></TABLE>
    <p>尾</p></td></tr><tr><td colspan=2>底 &lt;注&gt;</td></tr></table><p>页脚</p></body></html>"""
    assert grid(html) == [
        (
            "table_row",
            [("左栏", "table 1 row 1 col 1"), ("一、总体情况正文第二行 本年新收1234 尾", "table 1 row 1 col 2")],
        ),
        ("table_row", [("底 <注>", "table 1 row 2 col 1")]),
    ]


def test_unclosed_cells_and_text_after_the_last_table():
    html = "<html><body><h2>一、总体情况</h2><table><tr><td>本年新收<td>1<td>2<tr><td>x<td>3</table>text after"
    assert grid(html) == [
        ("text", [("一、总体情况", "paragraph 1")]),
        (
            "table_row",
            [("本年新收", "table 1 row 1 col 1"), ("1", "table 1 row 1 col 2"), ("2", "table 1 row 1 col 3")],
        ),
        ("table_row", [("x", "table 1 row 2 col 1"), ("3", "table 1 row 2 col 2")]),
        ("text", [("text after", "paragraph 4")]),
    ]


def test_tables_are_numbered_in_document_order():
    html = "<p>一、总体情况 行1<table><tr><td>本年新收</td><td>9</td></tr></table>between<table><tr><td>q</td></tr></table>end"
    assert grid(html) == [
        ("text", [("一、总体情况 行1", "paragraph 1")]),
        ("table_row", [("本年新收", "table 1 row 1 col 1"), ("9", "table 1 row 1 col 2")]),
        ("text", [("between", "paragraph 3")]),
        ("table_row", [("q", "table 2 row 1 col 1")]),
        ("text", [("end", "paragraph 5")]),
    ]


def test_nfkc_matches_unicodedata():
    rng = random.Random(1)
    ranges = [
        (0x20, 0x7F),
        (0x300, 0x370),
        (0x4E00, 0x4E50),
        (0xFF00, 0xFF60),
        (0x3000, 0x3100),
        (0xAC00, 0xAC10),
        (0x1100, 0x1170),
        (0x2460, 0x24FF),
        (0xF900, 0xFA10),
    ]
    for _ in range(3000):
        text = "".join(chr(rng.randrange(*rng.choice(ranges))) for _ in range(rng.randrange(1, 200)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text)
