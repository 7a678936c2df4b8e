"""The data-quality site served by a real Airflow API server through the plugin."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from inclusion_data.orchestration import tasks
from inclusion_data.settings import CHECKOUT, Settings
from inclusion_data.warehouse.engine import make_engine
from workbooks import beneficiary, write_xlsx

CHROMIUM = shutil.which("chromium")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode("utf-8")


@pytest.fixture
def site(tmp_path, monkeypatch, airflow_db):
    """A small warehouse with one rejected and one accepted file, and its site."""
    monkeypatch.setenv("INCLUSION_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("WAREHOUSE_URL", raising=False)
    tasks.prepare_warehouse()
    inbox = tmp_path / "var" / "inbox" / "TWAM" / "asoc-cluj"
    write_xlsx(inbox / "a_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
    write_xlsx(inbox / "b_2016-02.xlsx", {"Beneficiari": [beneficiary(locality="Atlantida")]})
    tasks.process_batch(tasks.find_batches()[0])
    settings = Settings.from_env()
    engine = make_engine(settings.warehouse_url)
    tasks.refresh_reports(settings, engine)
    engine.dispose()
    return tmp_path / "var"


@pytest.mark.slow
def test_the_reports_page_is_served_through_the_airflow_plugin(site, tmp_path):
    if CHROMIUM is None:
        pytest.fail("Debian's Chromium is required: apt-get install chromium")
    port = _free_port()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    log = (tmp_path / "api-server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "api-server", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                status, page = _get(f"{base}/inclusion-reports/index.html")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        "the API server did not serve the plugin:\n"
                        + (tmp_path / "api-server.log").read_text()[-3000:]
                    )
                time.sleep(1)
        assert status == 200 and "Depuneri / Submissions" in page and "rejected" in page
        assert _get(f"{base}/inclusion-reports/completeness.html")[0] == 200
        shot = tmp_path / "reports.png"
        subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp_path / 'chromium'}",
                "--window-size=1280,900",
                f"--screenshot={shot}",
                f"{base}/inclusion-reports/index.html",
            ],
            check=True,
            capture_output=True,
            timeout=90,
        )
        assert shot.stat().st_size > 10_000
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()


def test_the_plugin_declares_the_app_and_the_menu_link():
    from airflow.plugins_manager import AirflowPlugin

    sys.path.insert(0, str(CHECKOUT / "plugins"))
    try:
        import inclusion_reports
    finally:
        sys.path.remove(str(CHECKOUT / "plugins"))
    plugin = inclusion_reports.InclusionReportsPlugin
    assert issubclass(plugin, AirflowPlugin)
    assert plugin.fastapi_apps[0]["url_prefix"] == "/inclusion-reports"
    assert plugin.external_views[0]["href"] == "/inclusion-reports/index.html"
