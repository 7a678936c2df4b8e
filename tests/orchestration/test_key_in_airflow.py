"""The pseudonymisation key kept as an Airflow Variable, read back through a real API server's
REST API as the UI reads it: under its name (``inclusion_pseudonym_secret``) the value never
comes back in clear. The old name (``inclusion_pseudonym_key``) did: that is why it is refused."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from inclusion_data.intake import pseudonym

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_key_never_appears_in_the_rest_apis_answers(tmp_path, airflow_db):
    port, password = _free_port(), secrets.token_urlsafe(16)
    passwords = tmp_path / "passwords.json"
    passwords.write_text(json.dumps({"admin": password}))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(16),
    }
    log = (tmp_path / "api-server.log").open("w")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "airflow"), "api-server", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    key, legacy = secrets.token_hex(32), secrets.token_hex(32)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                token = httpx.post(
                    f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=5
                )
                if token.status_code == 201:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the API server did not start:\n" + (tmp_path / "api-server.log").read_text()[-3000:]
                )
            time.sleep(1)
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with httpx.Client(base_url=f"{base}/api/v2", headers=headers, timeout=30) as api:
            answers = []
            for name, value in (
                (pseudonym.AIRFLOW_VARIABLE, key),
                (pseudonym.LEGACY_AIRFLOW_VARIABLE, legacy),
            ):
                api.delete(f"/variables/{name}")
                created = api.post("/variables", json={"key": name, "value": value})
                assert created.status_code == 201, created.text
                answers += [created.text, api.get(f"/variables/{name}").text]
            answers.append(api.get("/variables", params={"limit": 100}).text)
            for name in (pseudonym.AIRFLOW_VARIABLE, pseudonym.LEGACY_AIRFLOW_VARIABLE):
                api.delete(f"/variables/{name}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()
    everything = "\n".join(answers)
    assert pseudonym.AIRFLOW_VARIABLE in everything and "***" in everything
    assert key not in everything
    assert legacy in everything  # the old name is shown in clear: the test can tell
