"""Airflow Assets shared by the DAGs (the one place their names are stated)."""

from airflow.sdk import Asset

WAREHOUSE_SUBMISSIONS = Asset("inclusion_warehouse_submissions")
