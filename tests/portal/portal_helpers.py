"""The portal's test fixtures and helpers: a portal on a fresh warehouse (SQLite), with a
coordinator and two partners of TWAM, asoc-cluj and asoc-bihor; accounts and signed-in clients.
Test modules take the fixtures with `from portal_helpers import *`."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from conftest import prepared_settings, warehouse_database
from inclusion_data.contracts.network import load_network
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import COORDINATOR, INVITE, PARTNER
from inclusion_data.portal.app import create_app
from inclusion_data.portal.config import PortalConfig
from inclusion_data.warehouse.engine import make_engine

PASSWORD = "correct horse battery"


def make_user(engine, email: str, partner: str | None, language: str = "ro") -> accounts.User:
    role = COORDINATOR if partner is None else PARTNER
    user = accounts.create_user(engine, load_network(), email, email.split("@")[0], role, partner, language)
    token = accounts.issue_link_token(engine, user.id, INVITE)
    used = accounts.use_link_token(engine, token, PASSWORD)
    assert used is not None
    return used


def csrf(client: TestClient, path: str = "/login") -> str:
    page = client.get(path).text
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def signed_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    response = client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    return client


@pytest.fixture
def portal_settings(tmp_path, monkeypatch):
    with warehouse_database("sqlite", tmp_path) as url:
        yield prepared_settings(tmp_path / "var", url, monkeypatch)


@pytest.fixture
def portal_engine(portal_settings):
    engine = make_engine(portal_settings.warehouse_url)
    yield engine
    engine.dispose()


@pytest.fixture
def people(portal_engine):
    return {
        "coordinator": make_user(portal_engine, "ana@retea.example.org", None, "en"),
        "cluj": make_user(portal_engine, "date@asoc-cluj.example.org", "asoc-cluj"),
        "bihor": make_user(portal_engine, "date@asoc-bihor.example.org", "asoc-bihor"),
    }


@pytest.fixture
def config(portal_settings):
    return PortalConfig(portal_settings, "test-secret-key", "http://testserver", secure_cookies=False)


@pytest.fixture
def app(config, people):
    return create_app(config)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def other_client(app):
    with TestClient(app) as client:
        yield client


def submitted(settings, engine, relative: str, sheets: dict, **options):
    """A partner file through the pipeline's own processing (evaluated, loaded, filed with its
    report and feedback): its outcome."""
    from inclusion_data.intake import pseudonym
    from inclusion_data.orchestration.ingest import process_file
    from workbooks import write_xlsx

    write_xlsx(settings.inbox / relative, sheets, **options)
    return process_file(relative, settings, engine, load_network(), pseudonym.load_key(settings))
