"""Digest of the parser's output on every real file under ../shared (corpus and seed) and N generated documents:
a refactoring that claims to move code only must leave it unchanged. Usage: parse_digest.py [N | FOLDER] > digest.txt
(a FOLDER of generated documents is parsed as it is: generated DOCX files carry their creation time, so two
generations differ in bytes and compare only through the same folder)."""

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.demo.generate import generate  # noqa: E402
from pipelines.report.parse import parse_file  # noqa: E402


def files(generated: Path) -> list[Path]:
    shared = Path(os.environ.get("NIANBAO_SHARED", ROOT.parent / "shared"))
    real = sorted(p for p in (shared / "corpus").rglob("*") if p.is_file() and p.suffix not in (".jsonl", ".md"))
    return (
        real + sorted((shared / "seed").glob("*")) + sorted(p for p in generated.iterdir() if p.name != "truth.jsonl")
    )


def main() -> None:
    argument = sys.argv[1] if len(sys.argv) > 1 else "1000"
    if Path(argument).is_dir():
        return digest(Path(argument))
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, seed=7, count=int(argument), formats=["html", "txt", "docx", "pdf"])
        digest(Path(folder))


def digest(generated: Path) -> None:
    for path in files(generated):
        result = parse_file(path, "内蒙古自治区")
        text = json.dumps(result, ensure_ascii=False, sort_keys=True, default=str)
        print(path.name, hashlib.sha256(text.encode()).hexdigest())


if __name__ == "__main__":
    main()
