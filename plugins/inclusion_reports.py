"""Airflow plugin: the data-quality site in the API server, with a link in the UI's menu."""

from airflow.plugins_manager import AirflowPlugin

from inclusion_data.publishing.reviewers_app import URL_PREFIX, create_app


class InclusionReportsPlugin(AirflowPlugin):
    name = "inclusion_reports"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "Data-quality reports"}]
    external_views = [
        {
            "name": "Calitatea datelor / Data quality",
            "href": f"{URL_PREFIX}/index.html",
            "destination": "nav",
            "category": "browse",
        }
    ]
