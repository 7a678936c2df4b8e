"""The portal as partners use it: a real uvicorn server on 127.0.0.1, Debian's Chromium driven
by Playwright, and a real run of the ingest DAG (dag.test()) between sending and seeing the
file accepted. A second partner then tries the first one's URLs, and a coordinator approves
the month."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest
from portal_helpers import PASSWORD, make_user

from inclusion_data.contracts.datasets import DATASETS
from inclusion_data.warehouse.engine import make_engine
from inclusion_data.warehouse.review import is_closed
from workbooks import beneficiary

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path, monkeypatch, airflow_db):
    from conftest import prepared_settings, warehouse_database

    with warehouse_database("sqlite", tmp_path) as url:
        settings = prepared_settings(tmp_path / "var", url, monkeypatch)
        engine = make_engine(url)
        users = {
            "cluj": make_user(engine, "date@asoc-cluj.example.org", "asoc-cluj"),
            "bihor": make_user(engine, "date@asoc-bihor.example.org", "asoc-bihor"),
            "coordinator": make_user(engine, "ana@retea.example.org", None, "en"),
        }
        port = _free_port()
        env = {
            **os.environ,
            "INCLUSION_PORTAL_PORT": str(port),
            "INCLUSION_PORTAL_SECRET_KEY": "browser-test",
        }
        log = (tmp_path / "portal.log").open("w")
        process = subprocess.Popen(
            [sys.executable, "-m", "inclusion_data.portal"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"{base}/health", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail("the portal did not start:\n" + (tmp_path / "portal.log").read_text())
                    time.sleep(0.3)
            yield {"base": base, "settings": settings, "users": users, "dags": airflow_db, "tmp": tmp_path}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
            engine.dispose()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def _sign_in(browser, base: str, email: str):
    context = browser.new_context(accept_downloads=True)
    # generous: on a loaded 2-core machine the first check may wait for the server's warm-up
    context.set_default_timeout(180_000)
    context.set_default_navigation_timeout(180_000)
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_load_state()
    return page


def _fill(template: Path, target: Path, rows: list[dict]) -> Path:
    """The partner's data officer fills the downloaded template in the Beneficiari sheet."""
    workbook = openpyxl.load_workbook(template)
    sheet = workbook["Beneficiari"]
    fields = [f.name for f in DATASETS["beneficiaries"].fields]
    for r, row in enumerate(rows, start=2):
        for c, name in enumerate(fields, start=1):
            sheet.cell(r, c, row.get(name))
    workbook.save(target)
    return target


def test_a_partner_checks_corrects_sends_and_sees_its_file_accepted(server, browser):
    base, settings, tmp = server["base"], server["settings"], server["tmp"]
    page = _sign_in(browser, base, server["users"]["cluj"].email)
    assert page.url == f"{base}/partner"
    twam = page.locator("#project-TWAM")
    twam.locator("select[name=month]").first.select_option("2016-03")
    with page.expect_download() as download:
        twam.get_by_role("button", name="Descărcați șablonul").click()
    template = tmp / "template.xlsx"
    download.value.save_as(template)
    assert download.value.suggested_filename == "TWAM_asoc-cluj_2016-03.xlsx"

    wrong = _fill(
        template, tmp / "TWAM_asoc-cluj_2016-03.xlsx", [beneficiary(), beneficiary(locality="Atlantida")]
    )
    twam.locator("input[type=file]").set_input_files(str(wrong))
    started = time.monotonic()
    twam.get_by_role("button", name="Verificați fișierul").click()
    page.wait_for_selector("[data-status]")
    checked_in = time.monotonic() - started
    assert page.get_attribute("[data-status]", "data-status") == "rejected"
    problems = page.locator("table.problems tbody tr")
    texts = problems.all_inner_texts()
    assert any("localitate din afara județului" in t and "Localitate" in t and "3" in t for t in texts), texts
    with page.expect_download() as feedback:
        page.get_by_role("link", name="Descărcați registrul cu observații").click()
    feedback.value.save_as(tmp / "feedback.xlsx")
    assert openpyxl.load_workbook(tmp / "feedback.xlsx").sheetnames[0] == "Erori"

    # the corrected file, dropped on the drop zone this time
    page.goto(f"{base}/partner")
    right = _fill(
        template,
        tmp / "fixed" / "TWAM_asoc-cluj_2016-03.xlsx" if (tmp / "fixed").mkdir() is None else tmp,
        [
            beneficiary(),
            beneficiary(
                cnp=None,
                person_code="P-2",
                name="Ana Test",
                birth_date="02.06.2008",
                sex="F",
                vulnerable_group="Copil în situație de risc",
            ),
        ],
    )  # noqa: E501
    data = page.evaluate_handle(
        "([bytes, name]) => { const t = new DataTransfer();"
        " t.items.add(new File([new Uint8Array(bytes)], name)); return t; }",
        [list(right.read_bytes()), right.name],
    )
    started = time.monotonic()
    with page.expect_navigation():
        page.dispatch_event("#project-TWAM [data-dropzone]", "drop", {"dataTransfer": data})
    page.wait_for_selector("[data-status]")
    rechecked_in = time.monotonic() - started
    assert page.get_attribute("[data-status]", "data-status") == "accepted", page.inner_text("main")
    page.get_by_role("button", name="Trimiteți fișierul").click()
    page.wait_for_url(f"{base}/partner/submissions")
    assert "în așteptarea procesării" in page.inner_text("main")
    assert [p.name for p in (settings.inbox / "TWAM" / "asoc-cluj").iterdir()] == [
        "TWAM_asoc-cluj_2016-03.xlsx"
    ]

    state = server["dags"]["ingest_submissions"].test()
    assert str(state.state).rsplit(".", 1)[-1].lower() == "success"
    page.reload()
    row = page.locator("tr[data-submission]").first
    assert "acceptat" in row.inner_text() and "2016-03" in row.inner_text()
    submission = row.get_attribute("data-submission")
    print(f"upload to result page in the browser: first {checked_in:.1f} s, second {rechecked_in:.1f} s")

    # another partner of the same project types the first one's URLs
    other = _sign_in(browser, base, server["users"]["bihor"].email)
    for suffix in ("", "/report", "/feedback"):
        response = other.goto(f"{base}/partner/submissions/{submission}{suffix}")
        assert response is not None and response.status == 404, suffix
    response = other.goto(f"{base}/coordinator/submissions/{submission}")
    assert response is not None and response.status == 403
    # what it uploads goes to its own folder, whatever it sends
    other.goto(f"{base}/partner")
    other.locator("#project-TWAM input[type=file]").set_input_files(str(right))
    other.locator("#project-TWAM").get_by_role("button", name="Verificați fișierul").click()
    other.wait_for_selector("[data-status]")
    other.get_by_role("button", name="Trimiteți fișierul").click()
    other.wait_for_url(f"{base}/partner/submissions")
    assert not list((settings.inbox / "TWAM" / "asoc-cluj").iterdir())
    assert [p.name for p in (settings.inbox / "TWAM" / "asoc-bihor").iterdir()] == [right.name]

    # the coordinator sees the accepted submission with its rules
    coordinator = _sign_in(browser, base, server["users"]["coordinator"].email)
    coordinator.goto(f"{base}/coordinator/submissions?partner=asoc-cluj")
    assert f"/coordinator/submissions/{submission}" in coordinator.content()
    coordinator.goto(f"{base}/coordinator/submissions/{submission}")
    assert "locality not in the county" in coordinator.inner_text("main")
    shot = tmp / "coordinator.png"
    coordinator.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000

    # and approves the month: it is closed
    coordinator.goto(f"{base}/coordinator/review?project=TWAM")
    month = coordinator.locator("#month-TWAM-2016-03")
    month.locator("input[name=note]").fill("checked with the partner")
    month.get_by_role("button", name="Approve").click()
    coordinator.wait_for_url(f"{base}/coordinator/review?project=TWAM")
    assert "TWAM 2016-03 approved" in coordinator.inner_text("main")
    assert "approved, closed" in coordinator.locator("#month-TWAM-2016-03").inner_text()
    engine = make_engine(settings.warehouse_url)
    with engine.connect() as conn:
        assert is_closed(conn, "TWAM", "2016-03")
    engine.dispose()
