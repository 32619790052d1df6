"""OFD (GB/T 33190) as an input format: the reader on a hand-made package of the habits real writers have (runs with
DeltaX compressed by "g", a CTM, curves in paths), and the refusals a bad package earns."""

import io
import zipfile

import pytest

from pipelines.report.errors import ReportError
from pipelines.report.ofd import deltas
from pipelines.report.readers import read_document, sniff_format

NS = 'xmlns:ofd="http://www.ofdspec.org/2016"'


def _package(content: str, root: str = "Doc_0/Document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(
            "OFD.xml", f"<ofd:OFD {NS}><ofd:DocBody><ofd:DocRoot>{root}</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
        )
        package.writestr(
            "Doc_0/Document.xml",
            f'<ofd:Document {NS}><ofd:Pages><ofd:Page ID="1" '
            'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>',
        )
        package.writestr(
            "Doc_0/Pages/Page_0/Content.xml",
            f"<ofd:Page {NS}><ofd:Area><ofd:PhysicalBox>0 0 210 297"
            f"</ofd:PhysicalBox></ofd:Area><ofd:Content><ofd:Layer>"
            f"{content}</ofd:Layer></ofd:Content></ofd:Page>",
        )
    return buffer.getvalue()


def _text(x: float, y: float, text: str, delta: str = "", ctm: str = "") -> str:
    return (
        f'<ofd:TextObject ID="1" Boundary="{x} {y} 120 5" Size="4"'
        + (f' CTM="{ctm}"' if ctm else "")
        + '><ofd:TextCode X="0" Y="3.5"'
        + (f' DeltaX="{delta}"' if delta else "")
        + f">{text}</ofd:TextCode>"
        "</ofd:TextObject>"
    )


def test_delta_x_with_repeats():
    assert deltas("g 3 4 2.5", 4) == [4.0, 4.0, 4.0, 2.5]
    assert deltas("", 2) == [0.0, 0.0] and deltas("3", 3) == [3.0, 3.0, 3.0]


def test_text_runs_ctm_and_table_lines_become_the_positioned_model():
    lines = "".join(
        f'<ofd:PathObject ID="9" Boundary="20 {y} 100 0"><ofd:AbbreviatedData>M 0 0 L 100 0</ofd:AbbreviatedData>'
        "</ofd:PathObject>"
        for y in (60, 70, 80)
    )
    verticals = "".join(
        f'<ofd:PathObject ID="9" Boundary="{x} 60 0 20"><ofd:AbbreviatedData>M 0 0 L 0 20'
        "</ofd:AbbreviatedData></ofd:PathObject>"
        for x in (20, 70, 120)
    )
    stamp = (
        '<ofd:PathObject ID="8" Boundary="150 200 30 30"><ofd:AbbreviatedData>M 0 15 B 0 0 30 0 30 15 '
        "Q 30 30 15 30 L 15 20</ofd:AbbreviatedData></ofd:PathObject>"
    )  # a seal's curves: no ruling line
    content = (
        _text(20, 20, "政府信息公开工作年度报告", "g 11 4")
        + _text(20, 30, "本年新收", "4 4 4", ctm="1 0 0 1 0 0")
        + _text(22, 62, "行政许可", "g 3 4")
        + _text(72, 62, "312")
        + lines
        + verticals
        + stamp
    )
    data = _package(content)
    assert sniff_format(data, "report.ofd") == "ofd"
    document = read_document(data, "report.ofd")
    texts = [b.text for b in document.blocks if b.kind == "text"]
    assert "政府信息公开工作年度报告" in texts and "本年新收" in texts
    table = [b for b in document.blocks if b.kind != "text"]
    assert table and any("312" in c.text for b in table for c in b.cells)
    assert document.fmt == "ofd"


@pytest.mark.parametrize(
    "data,code",
    [
        (_package(""), "needs_ocr"),  # pages without a text layer: a scan
        (_package("", root=""), "corrupt"),  # OFD.xml names no document
        (b"PK\x03\x04 not a zip at all", "corrupt"),
    ],
)
def test_a_bad_package_is_refused_with_its_reason(data, code):
    with pytest.raises(ReportError) as refused:
        read_document(data, "report.ofd")
    assert refused.value.code == code
