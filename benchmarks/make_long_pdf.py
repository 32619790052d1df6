"""Write a 100-page synthetic report PDF (long narrative + the three tables) for the memory benchmark."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pipelines.demo import render
from pipelines.demo.generate import build_reports

target, pages = Path(sys.argv[1]), int(sys.argv[2])
report = build_reports(5, 1)[0]
paragraph = report.sections["一"][0]
report.sections["一"] = report.sections["一"] + [paragraph * 3] * (pages * 4)
data = render.render_pdf(report)
while True:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    count = len(document)
    document.close()
    if count >= pages:
        break
    report.sections["一"] += [paragraph * 3] * (pages - count) * 4
    data = render.render_pdf(report)
target.write_bytes(data)
print(f"{target}: {count} pages")
