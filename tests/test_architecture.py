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


def test_report_library_knows_nothing_of_dagster_or_the_warehouse():
    assert not {"dagster", "duckdb", "streamlit", "warehouse"} & _imports(ROOT / "pipelines" / "report")


def test_the_catalogue_is_on_the_floor():
    """One field catalogue below everything: the parser, the warehouse and the pages read it; it reads none of them."""
    assert not {"pipelines", "warehouse", "dashboard", "dagster", "duckdb", "streamlit", "polars"} & _imports(
        ROOT / "catalogue"
    )


def test_every_check_code_has_a_chinese_name_in_the_catalogue():
    """Leaders read check names, not codes: each code the parser or the audit can emit is named in catalogue.yaml."""
    import re

    from catalogue import load_catalogue

    source = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipelines" / "report").glob("*.py"))
    codes = set(re.findall(r"""f?["']((?:QC_[A-Z_]+|VERSION_MISMATCH|E\d|TABLE))[."']""", source))
    assert {"E1", "E2", "E3", "E5", "E6", "TABLE", "VERSION_MISMATCH", "QC_LATE", "QC_COPY_PEER"} <= codes
    unnamed = {code for code in codes if load_catalogue().check_label(code) == code}
    assert not unnamed
