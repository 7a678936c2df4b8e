"""Airflow plugin: a link in the UI's menu to the reviewers' pages, which the portal serves
behind its own sign-in (coordinators only). No app is mounted in the API server: a plugin app
there is not behind Airflow's login."""

import os

from airflow.plugins_manager import AirflowPlugin

PORTAL_URL = os.environ.get("INCLUSION_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")


class InclusionReportsPlugin(AirflowPlugin):
    name = "inclusion_reports"
    external_views = [
        {
            "name": "Calitatea datelor / Data quality",
            "href": f"{PORTAL_URL}/coordinator/submissions",
            "destination": "nav",
            "category": "browse",
        }
    ]
