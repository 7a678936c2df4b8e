"""The reviewers' data-quality site served inside Airflow's API server (see plugins/).

A plain static-files app over ``<home>/reports``: the pages hold no personal values. It is
mounted without Airflow's own authentication, like any FastAPI plugin app; deployments put
it behind the same access control as the Airflow UI.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from inclusion_data.settings import Settings

URL_PREFIX = "/inclusion-reports"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    app = FastAPI(title="Data-quality reports", docs_url=None, redoc_url=None, openapi_url=None)
    # check_dir=False: the site appears with the first ingest run, after the server starts
    app.mount("/", StaticFiles(directory=settings.reports, html=True, check_dir=False), name="reports")
    return app
