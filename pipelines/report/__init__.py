"""The pure report library: readers → document model → table recognition → validation → metadata.

It knows nothing of Dagster or DuckDB. Entry point: `parse_file` / `parse_bytes`.
"""

PARSER_VERSION = "1.3.0"  # 1.3.0: reporting body; province context breaks ties only; registry hint
# 1.2.0: PDFs read with PDFium; units, signs, fixed-width text, honest status
