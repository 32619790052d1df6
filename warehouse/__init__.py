"""Warehouse: the field catalogue, DuckDB schema, marts, publication and the dashboard's query API."""
