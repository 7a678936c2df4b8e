"""Mail through a real SMTP server (aiosmtpd) started here: the outcome of a rejected file,
with its feedback workbook attached, to the partner's contact in network.yaml, in Romanian by
default; invitation links; reminders before a due date."""

from __future__ import annotations

import datetime as dt

import pytest
from portal_helpers import *  # noqa: F403
from portal_helpers import submitted

from inclusion_data.contracts.network import load_network
from inclusion_data.portal import accounts
from inclusion_data.portal.mail import MailConfig, send_file_outcome, send_link, send_reminders
from smtp_server import text_of
from workbooks import beneficiary


def test_a_rejected_file_dropped_in_the_inbox_is_mailed_back_with_its_feedback(
    smtp, portal_settings, portal_engine
):
    inbox, config = smtp
    outcome = submitted(
        portal_settings, portal_engine, "TWAM/asoc-cluj/raport_2016-03.xlsx",
        {"Beneficiari": [beneficiary(), beneficiary(locality="Atlantida")]},
    )  # fmt: skip
    assert outcome.status == "rejected"
    sent = send_file_outcome(outcome, portal_settings, portal_engine, load_network(), config)
    assert sent == 1
    [(recipients, message)] = inbox.messages
    assert recipients == ["date@asoc-cluj.example.org"] == list(load_network().partners["asoc-cluj"].contacts)
    assert message["From"] == "date@retea.example.org"
    assert message["Subject"] == "raport_2016-03.xlsx: respins"
    body = text_of(message)
    assert "localitate din afara județului" in body and "rândurile 3" in body
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {"raport_2016-03.xlsx.feedback.xlsx", "raport_2016-03.xlsx.report.html"}
    assert attachments["raport_2016-03.xlsx.feedback.xlsx"].get_content()[:2] == b"PK"


def test_a_contact_with_an_english_account_gets_english(smtp, portal_settings, portal_engine):
    inbox, config = smtp
    accounts.create_user(
        portal_engine, load_network(), "date@asoc-bihor.example.org", "B", "partner", "asoc-bihor", "en"
    )
    outcome = submitted(
        portal_settings, portal_engine, "TWAM/asoc-bihor/raport_2016-03.xlsx",
        {"Beneficiari": [beneficiary(locality="Săcuieni")]},
    )  # fmt: skip
    assert send_file_outcome(outcome, portal_settings, portal_engine, load_network(), config) == 1
    [(_, message)] = inbox.messages
    assert message["Subject"] == f"raport_2016-03.xlsx: {outcome.status}"
    assert "was processed" in text_of(message)
    # the attached report speaks the message's language too, though the partner's is Romanian
    [report] = [p for p in message.iter_attachments() if p.get_filename().endswith(".report.html")]
    assert '<html lang="en">' in report.get_content() and "Data-quality report" in report.get_content()


def test_no_server_or_no_contact_sends_nothing_and_never_raises(portal_settings, portal_engine):
    outcome = submitted(
        portal_settings, portal_engine, "ALBA/adis/raport_2016-05.xlsx", {"Beneficiari": [beneficiary()]}
    )
    unreachable = MailConfig(host="127.0.0.1", port=9, starttls=False)  # nothing listens there
    assert send_file_outcome(outcome, portal_settings, portal_engine, load_network(), unreachable) == 0


def test_an_invitation_link_arrives(smtp, config, portal_engine):
    inbox, mail = smtp
    user = accounts.create_user(
        portal_engine, load_network(), "nou@adis.example.org", "Nou", "partner", "adis"
    )
    token = accounts.issue_link_token(portal_engine, user.id, accounts.INVITE)
    assert send_link(config, user, token, accounts.INVITE, mail)
    [(recipients, message)] = inbox.messages
    assert recipients == ["nou@adis.example.org"] and f"http://testserver/link/{token}" in text_of(message)
    assert message["Subject"] == "Contul dvs. în portalul inclusion-data"


def test_partners_missing_a_month_are_reminded_before_the_due_date(smtp, portal_settings, portal_engine):
    inbox, config = smtp
    submitted(
        portal_settings, portal_engine, "TWAM/asoc-cluj/raport_2016-03.xlsx", {"Beneficiari": [beneficiary()]}
    )
    # 2016-03 is due on 10 April 2016: three days before
    sent = send_reminders(portal_settings, dt.date(2016, 4, 7), days_before=3, config=config)
    cluj = [r for r in sent if r["partner"] == "asoc-cluj" and r["project"] == "TWAM"]
    assert cluj and set(cluj[0]["datasets"]) == {"trainings", "volunteers"}  # beneficiaries arrived
    assert {r["partner"] for r in sent} >= {"asoc-cluj", "asoc-bihor", "speromax"}
    [message] = [
        m for to, m in inbox.messages if to == ["date@asoc-cluj.example.org"] and "TWAM" in m["Subject"]
    ]
    assert "10.04.2016" in message["Subject"] and "Instruiri, Voluntari" in text_of(message)
    # TWAM and NETW for each of the two partners with contacts; the others have none
    assert len(inbox.messages) == sum(r["messages"] for r in sent) == 4
    assert send_reminders(portal_settings, dt.date(2016, 4, 8), days_before=3, config=config) == []


@pytest.mark.slow
def test_the_remind_partners_dag_mails_on_the_days_before_the_due_date(
    smtp, portal_settings, portal_engine, airflow_db, monkeypatch
):
    """The daily DAG, run as on 5 April 2016 (2016-03 is due on 10 April, 5 days later)."""
    inbox, config = smtp
    for name, value in {
        "INCLUSION_SMTP_HOST": config.host,
        "INCLUSION_SMTP_PORT": str(config.port),
        "INCLUSION_SMTP_STARTTLS": "false",
        "INCLUSION_REMINDER_DAYS": "5,1",
    }.items():
        monkeypatch.setenv(name, value)
    submitted(
        portal_settings, portal_engine, "TWAM/asoc-cluj/raport_2016-03.xlsx", {"Beneficiari": [beneficiary()]}
    )
    dag = airflow_db["remind_partners"]
    run = dag.test(run_conf={"today": "2016-04-05"})
    assert str(run.state).rsplit(".", 1)[-1].lower() == "success"
    [message] = [
        m for to, m in inbox.messages if to == ["date@asoc-cluj.example.org"] and "TWAM" in m["Subject"]
    ]
    assert "10.04.2016" in message["Subject"] and "Instruiri, Voluntari" in text_of(message)
    count = len(inbox.messages)
    assert count == 4  # TWAM and NETW for each of the two partners with contacts
    dag.test(run_conf={"today": "2016-04-06"})  # 4 days before
    assert len(inbox.messages) == count
    dag.test(run_conf={"today": "2016-04-09"})  # the day before
    assert len(inbox.messages) == 2 * count
