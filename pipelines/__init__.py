"""nianbao pipelines: the Dagster code location plus the pure report library (pipelines.report)."""
