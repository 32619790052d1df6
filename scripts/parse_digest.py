"""Digest of the parser's output on every real file under ../shared (corpus and seed) and N generated documents:
a refactoring that claims to move code only must leave it unchanged. Usage: parse_digest.py [N] > digest.txt"""
import hashlib
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.demo.generate import generate  # noqa: E402
from pipelines.report.parse import parse_file  # noqa: E402


def files(generated: Path) -> list[Path]:
    shared = ROOT.parent / "shared"
    real = sorted(p for p in (shared / "corpus").rglob("*") if p.is_file() and p.suffix not in (".jsonl", ".md"))
    return real + sorted((shared / "seed").glob("*")) + sorted(p for p in generated.iterdir() if p.name != "truth.jsonl")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as folder:
        generate(folder, seed=7, count=count, formats=["html", "txt", "docx", "pdf"])
        for path in files(Path(folder)):
            result = parse_file(path, "内蒙古自治区")
            text = json.dumps(result, ensure_ascii=False, sort_keys=True, default=str)
            print(path.name, hashlib.sha256(text.encode()).hexdigest())


if __name__ == "__main__":
    main()
