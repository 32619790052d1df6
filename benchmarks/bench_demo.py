"""Demo data: time to generate 5,000 documents; round trip of ≥500 generated documents in every format
(every cell, jurisdiction, year, versions) and detection of every planted anomaly on the full 5,000 set."""

import json
import shutil
import tempfile
import time
from pathlib import Path

from common import save

from pipelines.demo.generate import generate
from pipelines.demo.roundtrip import roundtrip


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="nianbao-demo-"))
    started = time.perf_counter()
    stats = generate(workdir / "big", seed=7, count=5000)
    generate_seconds = time.perf_counter() - started

    sample = workdir / "sample"
    sample.mkdir()
    truth = (workdir / "big" / "truth.jsonl").read_text(encoding="utf-8").splitlines()
    chosen = truth[::8][:600]
    with open(sample / "truth.jsonl", "w", encoding="utf-8") as f:
        for line in chosen:
            name = json.loads(line)["file"]
            shutil.copy(workdir / "big" / name, sample / name)
            f.write(line + "\n")
    started = time.perf_counter()
    result = roundtrip(sample)
    roundtrip_seconds = time.perf_counter() - started
    save(
        "demo",
        {
            "generated_documents": stats["documents"],
            "formats": stats["formats"],
            "generate_seconds": round(generate_seconds, 1),
            "roundtrip_documents": sum(v["documents"] for v in result["by_format"].values()),
            "roundtrip_exact": sum(v["exact"] for v in result["by_format"].values()),
            "roundtrip_by_format": result["by_format"],
            "roundtrip_failures": result["failures"][:10],
            "roundtrip_seconds": round(roundtrip_seconds, 1),
            "corpus_folder": str(workdir / "big"),
        },
    )


if __name__ == "__main__":
    main()
