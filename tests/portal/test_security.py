"""The portal's defences, through its real application: CSRF tokens on every form, the
session cookie's flags and signature, rate-limited sign-in (held in the warehouse, so across
processes, on SQLite and PostgreSQL), one-time links, and partners kept to their own data
whatever URL they type."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from portal_helpers import *  # noqa: F403
from portal_helpers import PASSWORD, csrf, make_user, signed_in, submitted
from sqlalchemy import update

from inclusion_data.contracts.network import load_network
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import INVITE, MAX_FAILURES_PER_ACCOUNT, MAX_FAILURES_PER_ADDRESS
from inclusion_data.portal.app import SESSION_COOKIE, create_app
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.engine import make_engine
from workbooks import beneficiary

SAMPLE = {"project": "TWAM", "period": "2016-03", "token": "0" * 32, "user_id": "1", "submission_id": "1"}


def _post_routes(app) -> list[str]:
    paths = []
    for route in app.routes:
        if "POST" in getattr(route, "methods", set()):
            paths.append(re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], route.path))
    return paths


@pytest.mark.parametrize("who", ["cluj", "coordinator"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(app, client, people, who):
    signed_in(client, people[who].email)
    paths = _post_routes(app)
    assert {"/login", "/logout", "/partner/TWAM/upload", "/coordinator/users/invite"} <= set(paths)
    for path in paths:
        for data in ({}, {"csrf_token": "not-the-token"}):
            response = client.post(path, data={**data, "email": "x@y.z"}, follow_redirects=False)
            assert response.status_code == 403, (path, data, response.status_code)
    # the same request with the page's token goes through
    response = client.post(
        "/logout",
        data={"csrf_token": csrf(client, "/partner" if who == "cluj" else "/coordinator")},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_token_from_another_session_is_refused(app, client, other_client, people):
    signed_in(client, people["cluj"].email)
    foreign = csrf(other_client)
    response = client.post("/logout", data={"csrf_token": foreign}, follow_redirects=False)
    assert response.status_code == 403


def _set_cookie(response) -> str:
    [cookie] = [v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v]
    return cookie.lower()


def test_the_session_cookie_is_httponly_samesite_and_secure_when_asked(config, people):
    for secure in (False, True):
        app = create_app(
            type(config)(config.settings, config.secret_key, config.base_url, secure_cookies=secure)
        )
        with TestClient(app, base_url="https://testserver") as client:
            token = csrf(client)
            response = client.post(
                "/login",
                data={"email": people["cluj"].email, "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            cookie = _set_cookie(response)
            assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
            assert ("secure" in cookie.split("; ")) is secure


def test_a_tampered_or_foreign_cookie_signs_nobody_in(config, client, people):
    signed_in(client, people["cluj"].email)
    value = client.cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB"))
    assert client.get("/partner", follow_redirects=False).headers["location"] == "/login"
    other = create_app(type(config)(config.settings, "another-secret", config.base_url, False))
    with TestClient(other) as stranger:
        stranger.cookies.set(SESSION_COOKIE, value)
        assert stranger.get("/partner", follow_redirects=False).status_code == 303


def test_pages_send_security_headers(client):
    assert client.get("/health").text == "ok"  # the compose health check's URL
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def _login(client, email, password):
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf(client)},
        follow_redirects=False,
    )


def test_wrong_passwords_are_rate_limited_per_account_across_processes(app, config, client, people):
    email = people["cluj"].email
    for _ in range(MAX_FAILURES_PER_ACCOUNT):
        assert _login(client, email, "wrong password!").status_code == 401
    # even the right password is refused now, and by a second server process too
    assert _login(client, email, PASSWORD).status_code == 429
    with TestClient(create_app(config)) as second:
        assert _login(second, email, PASSWORD).status_code == 429
    # another account from the same address still signs in
    assert _login(client, people["bihor"].email, PASSWORD).status_code == 303


def test_the_limits_hold_on_postgresql_too(warehouse_url, tmp_path, monkeypatch):
    from conftest import prepared_settings

    settings = prepared_settings(tmp_path / "var", warehouse_url, monkeypatch)
    engine = make_engine(settings.warehouse_url)
    user = make_user(engine, "date@speromax.example.org", "speromax")
    for n in range(MAX_FAILURES_PER_ADDRESS):
        assert accounts.authenticate(engine, f"nobody{n}@x.org", "guess", "10.0.0.9") is None
        assert not accounts.is_rate_limited(engine, user.email, "10.0.0.8")
    assert accounts.is_rate_limited(engine, user.email, "10.0.0.9")  # that address, any account
    assert accounts.authenticate(engine, user.email, PASSWORD, "10.0.0.8") == user
    # failures older than the window no longer count
    with engine.begin() as conn:
        conn.execute(
            update(schema.portal_login_failures).values(at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
        )
    assert not accounts.is_rate_limited(engine, user.email, "10.0.0.9")
    engine.dispose()


def test_an_invitation_link_works_once_and_expires(portal_engine, client):
    user = accounts.create_user(
        portal_engine, load_network(), "nou@adis.example.org", "Nou", "partner", "adis"
    )
    token = accounts.issue_link_token(portal_engine, user.id, INVITE)
    with portal_engine.connect() as conn:  # only the hash is kept
        stored = conn.execute(schema.portal_tokens.select()).all()
    assert token not in str(stored)
    page = client.get(f"/link/{token}")
    assert page.status_code == 200
    form = {"password": PASSWORD, "password_again": PASSWORD, "csrf_token": csrf(client, f"/link/{token}")}
    assert client.post(f"/link/{token}", data=form, follow_redirects=False).headers["location"] == "/partner"
    assert client.get(f"/link/{token}").status_code == 404  # used
    late = accounts.issue_link_token(portal_engine, user.id, INVITE)
    with portal_engine.begin() as conn:
        conn.execute(
            update(schema.portal_tokens).values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
    assert client.get(f"/link/{late}").status_code == 404  # expired


def test_a_new_password_signs_out_every_other_session(portal_engine, client, people):
    signed_in(client, people["cluj"].email)
    assert client.get("/partner").status_code == 200
    accounts.set_password(portal_engine, people["cluj"].id, "another long password")
    assert client.get("/partner", follow_redirects=False).headers["location"] == "/login"


@pytest.fixture
def cluj_submission(portal_settings, portal_engine):
    outcome = submitted(
        portal_settings, portal_engine, "TWAM/asoc-cluj/raport_2016-03.xlsx",
        {"Beneficiari": [beneficiary(), beneficiary(locality="Atlantida")]},
    )  # fmt: skip
    assert outcome.feedback
    return outcome.submissions[0].submission_id


def test_a_partner_cannot_reach_another_partners_submission_report_or_feedback(
    client, other_client, people, cluj_submission
):
    signed_in(client, people["cluj"].email)
    signed_in(other_client, people["bihor"].email)
    for suffix in ("", "/report", "/feedback"):
        assert client.get(f"/partner/submissions/{cluj_submission}{suffix}").status_code == 200, suffix
        assert other_client.get(f"/partner/submissions/{cluj_submission}{suffix}").status_code == 404, suffix
    assert f'/partner/submissions/{cluj_submission}"' not in other_client.get("/partner/submissions").text
    # coordinators see the report, never the partner's values in the feedback workbook
    coordinator = other_client
    coordinator.cookies.clear()
    signed_in(coordinator, people["coordinator"].email)
    assert coordinator.get(f"/coordinator/submissions/{cluj_submission}/report").status_code == 200
    assert coordinator.get(f"/partner/submissions/{cluj_submission}/feedback").status_code == 403


def test_ids_and_paths_in_urls_are_checked(portal_engine, client, people, cluj_submission, portal_settings):
    signed_in(client, people["bihor"].email)
    for path in (
        "/partner/ALBA/template?month=2016-03",  # not a project of asoc-bihor
        "/partner/TWAM/template?month=2030-01",  # outside its months
        "/partner/uploads/..%2F..%2Fsecrets/feedback",
        "/partner/uploads/" + "a" * 32,
        "/partner/submissions/999999",
        "/coordinator/submissions/1",
    ):
        assert client.get(path).status_code in (403, 404), path
    token = csrf(client, "/partner")
    files = {"file": ("x_2016-03.xlsx", b"PK", "application/octet-stream")}
    assert client.post("/partner/ALBA/upload", data={"csrf_token": token}, files=files).status_code == 404
    # a stored path that has been tampered with is not followed
    with portal_engine.begin() as conn:
        conn.execute(update(schema.submissions).values(stored_at="../../../etc/passwd"))
    signed_in(client, people["cluj"].email)
    assert client.get(f"/partner/submissions/{cluj_submission}/report").status_code == 404
    client.cookies.clear()
    signed_in(client, people["coordinator"].email)
    (portal_settings.published / "2026-12-01").mkdir(parents=True)
    (portal_settings.published / "2026-12-01" / "indicator_values.csv").write_text("a,b\n")
    (portal_settings.home / "secret.txt").write_text("no")
    assert client.get("/coordinator/publications/2026-12-01/indicator_values.csv").status_code == 200
    for path in (
        "/coordinator/publications/2026-12-01/..%2F..%2Fsecret.txt",
        "/coordinator/publications/..%2F/secret.txt",
        "/coordinator/publications/2026-12-01/.%2E",
    ):
        assert client.get(path).status_code == 404, path


def test_a_partner_cannot_use_another_partners_upload(client, other_client, people):
    signed_in(client, people["cluj"].email)
    signed_in(other_client, people["bihor"].email)
    token = csrf(client, "/partner")
    import io  # noqa: E401
    import pathlib
    import tempfile

    from workbooks import write_xlsx

    with tempfile.TemporaryDirectory() as d:
        path = write_xlsx(pathlib.Path(d) / "raport_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
        files = {"file": (path.name, io.BytesIO(path.read_bytes()), "application/octet-stream")}
        response = client.post(
            "/partner/TWAM/upload", data={"csrf_token": token}, files=files, follow_redirects=False
        )
    upload = response.headers["location"]
    assert client.get(upload).status_code == 200
    assert other_client.get(upload).status_code == 404
    theirs = csrf(other_client, "/partner")
    assert other_client.post(upload + "/submit", data={"csrf_token": theirs}).status_code == 404
