"""The Airflow plugin only links to the portal: nothing unauthenticated is served from the
API server any more."""

import sys

from inclusion_data.settings import CHECKOUT


def test_the_plugin_links_to_the_portal_and_mounts_no_app(monkeypatch):
    from airflow.plugins_manager import AirflowPlugin

    monkeypatch.setenv("INCLUSION_PORTAL_URL", "https://portal.example.org/")
    monkeypatch.syspath_prepend(str(CHECKOUT / "plugins"))
    sys.modules.pop("inclusion_reports", None)
    import inclusion_reports

    plugin = inclusion_reports.InclusionReportsPlugin
    assert issubclass(plugin, AirflowPlugin)
    assert not getattr(plugin, "fastapi_apps", None) and not getattr(plugin, "fastapi_root_middlewares", None)
    assert plugin.external_views[0]["href"] == "https://portal.example.org/coordinator/submissions"
    sys.modules.pop("inclusion_reports", None)
