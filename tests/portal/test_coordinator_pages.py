"""Coordinators' pages: every partner, submissions filtered and sorted, rules, completeness
(with the place of the approval that issue 11 brings), trends, publications, users; and the
command that creates the first coordinator."""

from __future__ import annotations

import re

from portal_helpers import *  # noqa: F403
from portal_helpers import csrf, signed_in, submitted

from inclusion_data.orchestration.tasks import refresh_reports
from inclusion_data.portal import accounts, admin
from workbooks import beneficiary

ROW = r'<tr class="(\w+)"><td><a href="/coordinator/submissions/(\d+)"'


def _two_files(settings, engine):
    submitted(settings, engine, "TWAM/asoc-cluj/a_2016-03.xlsx", {"Beneficiari": [beneficiary()]})
    submitted(
        settings,
        engine,
        "TWAM/asoc-bihor/b_2016-03.xlsx",
        {"Beneficiari": [beneficiary(locality="Atlantida")]},
    )
    refresh_reports(settings, engine)


def test_submissions_are_filtered_sorted_and_their_rules_shown(
    client, people, portal_settings, portal_engine
):
    _two_files(portal_settings, portal_engine)
    signed_in(client, people["coordinator"].email)
    everything = client.get("/coordinator/submissions").text
    assert "asoc-cluj" in everything and "asoc-bihor" in everything
    rejected = client.get("/coordinator/submissions?status=rejected").text
    rows = re.findall(ROW, rejected)
    assert [status for status, _ in rows] == ["rejected"]
    ascending = client.get("/coordinator/submissions?sort=id&order=asc").text
    ids = [int(i) for _, i in re.findall(ROW, ascending)]
    assert ids == sorted(ids) and len(ids) == 2
    page = client.get(f"/coordinator/submissions/{rows[0][1]}").text
    assert "locality not in the county" in page and "passed" in page  # English: the coordinator's choice


def test_completeness_trends_and_the_place_of_approval(client, people, portal_settings, portal_engine):
    _two_files(portal_settings, portal_engine)
    signed_in(client, people["coordinator"].email)
    page = client.get("/coordinator/completeness?partner=asoc-cluj").text
    assert 'id="review"' in page and "issue 11" in page
    assert "asoc-cluj" in page and "<td>asoc-bihor</td>" not in page
    assert "Pass rate by rule" in client.get("/coordinator/trends").text
    partners = client.get("/coordinator").text
    assert "date@asoc-cluj.example.org" in partners and "primaria-alba-iulia" in partners


def test_publications_are_listed(client, people, portal_settings):
    folder = portal_settings.published / "2026-11-30"
    folder.mkdir(parents=True)
    (folder / "indicator_values.csv").write_text("indicator_id\n")
    signed_in(client, people["coordinator"].email)
    page = client.get("/coordinator/publications").text
    assert "/coordinator/publications/2026-11-30/indicator_values.csv" in page


def test_a_coordinator_invites_a_partner_user_who_then_signs_in(client, other_client, people, portal_engine):
    signed_in(client, people["coordinator"].email)
    form = {"email": "nou@speromax.example.org", "name": "Nou", "role": "partner", "partner": "speromax",
            "language": "ro", "csrf_token": csrf(client, "/coordinator/users")}  # fmt: skip
    page = client.post("/coordinator/users/invite", data=form).text
    link = re.search(r"<code>http://testserver(/link/[^<]+)</code>", page).group(1)
    password = {"password": "a long new password", "password_again": "a long new password"}
    other_client.post(link, data={**password, "csrf_token": csrf(other_client, link)})
    assert "Asociația SPEROMAX" in other_client.get("/partner").text
    assert accounts.find_user(portal_engine, "nou@speromax.example.org").partner == "speromax"


def test_partners_cannot_open_coordinator_pages(client, people):
    signed_in(client, people["cluj"].email)
    for path in (
        "/coordinator",
        "/coordinator/submissions",
        "/coordinator/users",
        "/coordinator/publications",
    ):
        assert client.get(path).status_code == 403, path


def test_the_command_creates_the_first_coordinator(portal_settings, portal_engine, capsys, client):
    assert admin.main(["create-coordinator", "--email", "Sef@Retea.example.org", "--name", "Șef"]) == 0
    link = re.search(r"http://127\.0\.0\.1:8000(/link/\S+)", capsys.readouterr().out).group(1)
    user = accounts.find_user(portal_engine, "sef@retea.example.org")
    assert user is not None and user.is_coordinator and not user.has_password
    assert client.get(link).status_code == 200
    assert admin.main(["create-coordinator", "--email", "sef@retea.example.org"]) == 1  # exists already
