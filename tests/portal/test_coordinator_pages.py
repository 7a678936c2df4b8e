"""Coordinators' pages: every partner, submissions filtered and sorted, rules, completeness,
the review of months (approve, hold, reopen), trends, publications, users; and the command
that creates the first coordinator."""

from __future__ import annotations

import re

from portal_helpers import *  # noqa: F403
from portal_helpers import csrf, signed_in, submitted

from inclusion_data.orchestration.tasks import refresh_reports
from inclusion_data.portal import accounts, admin
from inclusion_data.warehouse.review import review_history
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


def test_completeness_and_trends(client, people, portal_settings, portal_engine):
    _two_files(portal_settings, portal_engine)
    signed_in(client, people["coordinator"].email)
    page = client.get("/coordinator/completeness?partner=asoc-cluj").text
    assert 'href="/coordinator/review"' in page
    assert "asoc-cluj" in page and "<td>asoc-bihor</td>" not in page
    assert "Pass rate by rule" in client.get("/coordinator/trends").text
    partners = client.get("/coordinator").text
    assert "date@asoc-cluj.example.org" in partners and "primaria-alba-iulia" in partners


def _month_row(page: str, project: str, period: str) -> str:
    match = re.search(rf'<tr id="month-{project}-{period}">(.*?)</tr>', page, re.S)
    assert match, page[:2000]
    return match.group(1)


def test_a_coordinator_approves_a_month_and_reopens_it_with_a_reason(
    client, other_client, people, portal_settings, portal_engine
):
    _two_files(portal_settings, portal_engine)
    signed_in(client, people["coordinator"].email)
    page = client.get("/coordinator/review?project=TWAM").text
    assert "<td>open</td>" in _month_row(page, "TWAM", "2016-03") and 'id="month-ALBA' not in page
    token = csrf(client, "/coordinator/review")
    # without the session's CSRF token nothing happens
    refused = client.post("/coordinator/review/TWAM/2016-03", data={"action": "approve"})
    assert refused.status_code == 403
    done = client.post(
        "/coordinator/review/TWAM/2016-03", data={"action": "approve", "note": "ok", "csrf_token": token}
    )
    assert done.status_code == 200 and "TWAM 2016-03 approved" in done.text
    assert "approved, closed" in _month_row(done.text, "TWAM", "2016-03")
    with portal_engine.connect() as conn:
        [entry] = review_history(conn, "TWAM", "2016-03")
    assert (entry.action, entry.by, entry.note) == ("approved", people["coordinator"].email, "ok")

    # a file for the closed month is held, and the page counts it
    held = submitted(portal_settings, portal_engine, "TWAM/asoc-cluj/c_2016-03.xlsx",
                     {"Beneficiari": [beneficiary(), beneficiary(cnp=None, person_code="P-9")]})  # fmt: skip
    assert held.status == "held" and held.stored_at.startswith("held/TWAM/asoc-cluj/")
    row = _month_row(client.get("/coordinator/review").text, "TWAM", "2016-03")
    assert '<td class="num">1</td>' in row
    signed_in(other_client, people["cluj"].email)
    mine = other_client.get("/partner/submissions").text
    assert '<tr class="held"><td>TWAM</td><td>c_2016-03.xlsx</td>' in mine and "reținut" in mine
    # reopening needs a reason; with one, the held file is back in the inbox
    blank = client.post(
        "/coordinator/review/TWAM/2016-03", data={"action": "reopen", "note": " ", "csrf_token": token}
    )
    assert "Not done" in blank.text and "reason" in blank.text
    assert not list((portal_settings.inbox / "TWAM" / "asoc-cluj").iterdir())
    client.post("/coordinator/review/TWAM/2016-03",
                data={"action": "reopen", "note": "correction", "csrf_token": token})  # fmt: skip
    assert [p.name for p in (portal_settings.inbox / "TWAM" / "asoc-cluj").iterdir()] == ["c_2016-03.xlsx"]
    # a partner cannot review
    response = other_client.post(
        "/coordinator/review/TWAM/2016-03",
        data={"action": "approve", "csrf_token": csrf(other_client, "/partner")},
    )
    assert response.status_code == 403
    with portal_engine.connect() as conn:
        assert [r.action for r in review_history(conn, "TWAM", "2016-03")] == ["approved", "reopened"]


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
