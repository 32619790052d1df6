"""Accuracy: the hand-checked labels of ../shared/corpus/dev (per format, and silently wrong cells); every printing
variant and format of the demo generator read back (values and statuses); the unlabelled real crawls of
../shared/corpus/wild parsed without a crash (their numbers are read by people, never put into tests)."""

import tempfile
from pathlib import Path

from common import SHARED, save

from pipelines.demo.generate import generate
from pipelines.demo.roundtrip import roundtrip
from pipelines.report.evaluate import evaluate
from pipelines.report.parse import parse_file


def main() -> None:
    report = evaluate(SHARED / "corpus" / "dev" / "labels.jsonl")
    folder = Path(tempfile.mkdtemp(prefix="nianbao-variants-")) / "corpus"
    generate(folder, seed=31, count=900, formats=["html", "txt", "docx", "pdf", "layout"])
    variants = roundtrip(folder)
    wild = sorted((SHARED / "corpus" / "wild").glob("*"))
    statuses: dict[str, int] = {}
    for path in wild:
        try:
            status = parse_file(path)["status"]
        except Exception as exc:
            status = f"crash: {type(exc).__name__}"
        statuses[status] = statuses.get(status, 0) + 1
    save(
        "accuracy",
        {
            "per_format": report["per_format"],
            "total": report["total"],
            "exact_share": round(report["total"]["exact"] / report["total"]["cells"], 4),
            "generated_by_format": variants["by_format"],
            "generated_by_variant": variants["by_variant"],
            "generated_failures": variants["failures"][:10],
            "wild_files": len(wild),
            "wild_statuses": statuses,
        },
    )


if __name__ == "__main__":  # the generator's worker processes import this module
    main()
