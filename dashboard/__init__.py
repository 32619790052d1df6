"""Streamlit dashboard. Reads only the published warehouse copy through warehouse.queries."""
