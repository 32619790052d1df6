"""Dependencies point one way: the dashboard and the warehouse never import the parser or Dagster."""
import ast
from pathlib import Path

from .conftest import ROOT


def _imports(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found


def test_dashboard_uses_only_the_warehouse():
    assert not {"pipelines", "dagster"} & _imports(ROOT / "dashboard")


def test_warehouse_imports_no_pipeline_code():
    assert not {"pipelines", "dagster", "streamlit"} & _imports(ROOT / "warehouse")


def test_report_library_knows_nothing_of_dagster():
    assert not {"dagster", "duckdb", "streamlit"} & _imports(ROOT / "pipelines" / "report")
