"""Accuracy against the hand-checked labels of ../shared/corpus/dev (per format, and silently wrong cells)."""
from common import SHARED, save

from pipelines.report.evaluate import evaluate

report = evaluate(SHARED / "corpus" / "dev" / "labels.jsonl")
save("accuracy", {"per_format": report["per_format"], "total": report["total"],
                  "exact_share": round(report["total"]["exact"] / report["total"]["cells"], 4)})
