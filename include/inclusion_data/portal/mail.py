"""Mail to partners: the outcome of each file with its feedback workbook attached, links to
set a password, and reminders before a due date (standard library ``smtplib``/``email``).

The server comes from ``INCLUSION_SMTP_HOST``, ``INCLUSION_SMTP_PORT``, ``INCLUSION_SMTP_USER``,
``INCLUSION_SMTP_PASSWORD``, ``INCLUSION_SMTP_SENDER`` and ``INCLUSION_SMTP_STARTTLS``; without a
host nothing is sent. Recipients are the partner's ``contacts`` in ``network.yaml``; each gets
the message in the language of their portal account, else the partner's (``network.yaml``,
Romanian unless it says otherwise). A mail that cannot be
sent is logged and never stops the pipeline.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine

from inclusion_data.contracts.i18n import DEFAULT_LANGUAGE, translator
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import Network, load_network
from inclusion_data.intake.periods import due_date
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import INVITE, User
from inclusion_data.portal.config import PortalConfig
from inclusion_data.quality.findings import compact_rows
from inclusion_data.settings import Settings
from inclusion_data.submissions.file_report import report_in, sheet_line
from inclusion_data.submissions.outcome import REJECTED, FileOutcome, short_id
from inclusion_data.warehouse.completeness import COMPLETE, compute_completeness
from inclusion_data.warehouse.engine import loggable_error, make_engine

log = logging.getLogger(__name__)
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
MAX_PROBLEMS = 30  # listed in the body; the attached workbook has them all


@dataclass(frozen=True)
class MailConfig:
    host: str | None
    port: int = 587
    user: str | None = None
    password: str | None = None
    sender: str = "inclusion-data@localhost"
    starttls: bool = True

    @classmethod
    def from_env(cls) -> MailConfig:
        starttls = os.environ.get("INCLUSION_SMTP_STARTTLS", "true").strip().lower() in {"1", "true", "yes"}
        return cls(
            host=os.environ.get("INCLUSION_SMTP_HOST") or None,
            port=int(os.environ.get("INCLUSION_SMTP_PORT") or (587 if starttls else 25)),
            user=os.environ.get("INCLUSION_SMTP_USER") or None,
            password=os.environ.get("INCLUSION_SMTP_PASSWORD") or None,
            sender=os.environ.get("INCLUSION_SMTP_SENDER") or "inclusion-data@localhost",
            starttls=starttls,
        )


def send(message: EmailMessage, about: str, config: MailConfig | None = None) -> bool:
    """Send one message; False (and a log line) when mail is not set up or the server fails.

    The log names the message by ``about``, never by its subject or recipients: a subject
    carries the file's name, which partners often make a person's name."""
    config = config or MailConfig.from_env()
    if config.host is None:
        log.info("mail not set up (INCLUSION_SMTP_HOST): %s not sent", about)
        return False
    message["From"] = config.sender
    try:
        with smtplib.SMTP(config.host, config.port, timeout=30) as smtp:
            if config.starttls:
                smtp.starttls()
            if config.user:
                smtp.login(config.user, config.password or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        # an SMTP reply can quote the recipients; the system's reason for a socket error cannot
        # (smtplib's exceptions are OSErrors too, so they are told apart by their own class)
        socket_error = isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
        reason = exc.strerror if socket_error and exc.strerror else loggable_error(exc)
        log.error("%s not sent (%s:%s): %s", about, config.host, config.port, reason)
        return False
    return True


def _languages(
    engine: Engine | None, addresses: Iterable[str], default: str = DEFAULT_LANGUAGE
) -> dict[str, list[str]]:
    """Recipients grouped by language: their portal account's, or the partner's ``default``."""
    grouped: dict[str, list[str]] = {}
    for address in addresses:
        user = accounts.find_user(engine, address) if engine is not None else None
        grouped.setdefault(user.language if user else default, []).append(address)
    return grouped


def _portal_url() -> str:
    return Settings.from_env().portal_url


# --- the outcome of a file ------------------------------------------------------------------


def outcome_message(outcome: FileOutcome, language: str, settings: Settings) -> EmailMessage:
    _, L = translator(language), Labels(language)
    message = EmailMessage()
    message["Subject"] = _("%(file)s: %(status)s") % {
        "file": outcome.file_name,
        "status": L.status(outcome.status),
    }
    lines = [
        _("The file %(file)s sent for project %(project)s, month %(month)s, was processed: %(status)s.")
        % {
            "file": outcome.file_name,
            "project": outcome.project or "—",
            "month": outcome.period or "—",
            "status": L.status(outcome.status),
        },
        "",
    ]
    lines += [sheet_line(sheet, language) for sheet in outcome.submissions]
    findings = outcome.all_findings()
    if findings:
        lines += ["", _("Problems found:")]
        for f in findings[:MAX_PROBLEMS]:
            where = ", ".join(
                filter(
                    None,
                    [
                        f.sheet and _("sheet %(sheet)s") % {"sheet": f.sheet},
                        _("rows %(rows)s") % {"rows": compact_rows(f.rows)} if f.rows else None,
                        f.column
                        and _("column %(column)s") % {"column": f"{f.column} {f.header or ''}".strip()},
                    ],
                )
            )
            lines.append(
                f"- {L.severity(f.severity)} · {L.rule(f.rule)}{' · ' + where if where else ''}: "
                + L.message(f)
            )
        if len(findings) > MAX_PROBLEMS:
            lines.append(
                _("… and %(n)s more, all in the attached workbook.") % {"n": len(findings) - MAX_PROBLEMS}
            )
    if outcome.feedback:
        lines += ["", _("The attached workbook is your file with every problem cell marked and explained.")]
    if outcome.status == REJECTED:  # a held file is fine: it waits for its month to reopen
        lines += ["", _("Correct the file and send the whole month again.")]
    lines += ["", _("Your submissions: %(url)s") % {"url": f"{_portal_url()}/partner/submissions"}]
    message.set_content("\n".join(lines))
    if outcome.feedback:
        path = settings.home / outcome.feedback
        if path.is_file():
            message.add_attachment(
                path.read_bytes(),
                maintype=XLSX[0],
                subtype=XLSX[1],
                filename=f"{outcome.file_name}.feedback.xlsx",
            )
    if outcome.report:
        path = settings.home / outcome.report
        written = path.with_name(path.name.removesuffix(".html") + ".json")
        if path.is_file():  # in the message's language, which may not be the partner's
            html = report_in(written, language).encode() if written.is_file() else path.read_bytes()
            message.add_attachment(
                html,
                maintype="text",
                subtype="html",
                filename=f"{outcome.file_name}.report.html",
            )
    return message


def send_file_outcome(
    outcome: FileOutcome,
    settings: Settings | None = None,
    engine: Engine | None = None,
    network: Network | None = None,
    config: MailConfig | None = None,
) -> int:
    """Mail the outcome of a processed file to its partner's contacts; the number of messages
    sent. Called by the ingest task after each file; never raises."""
    try:
        settings = settings or Settings.from_env()
        network = network or load_network()
        partner = network.partners.get(outcome.partner or "")
        if partner is None or not partner.contacts:
            return 0
        config = config or MailConfig.from_env()
        if config.host is None:  # not set up: nothing to compose (a report each file costs)
            # said once a batch by the ingest task, not once a file
            log.debug("mail not set up: file %s not mailed", short_id(outcome.file_hash))
            return 0
        sent = 0
        for language, addresses in _languages(engine, partner.contacts, partner.language).items():
            message = outcome_message(outcome, language, settings)
            message["To"] = ", ".join(addresses)
            sent += send(message, f"the outcome of file {short_id(outcome.file_hash)}", config)
        return sent
    except Exception as exc:  # mail is a courtesy: the file is processed and filed whatever happens here
        # named by its hash and the error by its type and place: names and messages are personal
        log.warning(
            "the outcome of file %s was not mailed: %s", short_id(outcome.file_hash), loggable_error(exc)
        )
        return 0


# --- links to set a password ----------------------------------------------------------------


def send_link(
    config: PortalConfig, user: User, token: str, purpose: str, mail: MailConfig | None = None
) -> bool:
    _ = translator(user.language)
    url = f"{config.base_url}/link/{token}"
    message = EmailMessage()
    if purpose == INVITE:
        message["Subject"] = _("Your account on the inclusion-data portal")
        body = _(
            "You are invited to the network's data portal. Choose your password here (the link works "
            "once, for 7 days):"
        )
    else:
        message["Subject"] = _("Choose a new password for the inclusion-data portal")
        body = _("Choose a new password here (the link works once, for one hour):")
    message["To"] = user.email
    message.set_content(f"{body}\n\n{url}\n\n" + _("If you did not expect this message, ignore it."))
    return send(message, f"a {purpose} link", mail)


# --- reminders before a due date ------------------------------------------------------------


def due_reminders(
    engine: Engine, network: Network, due_day: int, today: dt.date, days_before: int
) -> list[dict]:
    """Partners whose month is due in ``days_before`` days and still lacks an accepted
    submission or a nil return: one entry per (project, partner, month) with the datasets
    missing."""
    found: dict[tuple[str, str, str], dict] = {}
    periods = set()
    for m in network.memberships.values():
        for period in (f"{today:%Y-%m}", f"{today.replace(day=1) - dt.timedelta(days=1):%Y-%m}"):
            if m.start <= period <= m.end and due_date(period, due_day) - today == dt.timedelta(
                days=days_before
            ):
                periods.add(period)
    for period in sorted(periods):
        for row in compute_completeness(engine, network, due_day, until=period):
            if row["period"] != period or row["status"] in COMPLETE:  # nil: nothing to remind
                continue
            entry = found.setdefault(
                (row["project"], row["partner"], period),
                {
                    "project": row["project"],
                    "partner": row["partner"],
                    "period": period,
                    "due": row["due"],
                    "datasets": [],
                },
            )
            entry["datasets"].append(row["dataset"])
    return list(found.values())


def reminder_message(reminder: dict, language: str) -> EmailMessage:
    _, L = translator(language), Labels(language)
    message = EmailMessage()
    message["Subject"] = _("Reminder: the %(month)s report for %(project)s is due on %(due)s") % {
        "month": reminder["period"],
        "project": reminder["project"],
        "due": f"{reminder['due']:%d.%m.%Y}",
    }
    datasets = ", ".join(L.dataset(d) for d in reminder["datasets"])
    message.set_content(
        _("We have not yet received an accepted file for %(month)s in project %(project)s: %(datasets)s.")
        % {"month": reminder["period"], "project": reminder["project"], "datasets": datasets}
        + "\n\n"
        + _("Send it through the portal by %(due)s, or declare that there was no activity: %(url)s")
        % {"due": f"{reminder['due']:%d.%m.%Y}", "url": f"{_portal_url()}/partner"}
    )
    return message


def send_reminders(
    settings: Settings | None = None,
    today: dt.date | None = None,
    days_before: int = 3,
    network: Network | None = None,
    config: MailConfig | None = None,
) -> list[dict]:
    """Remind every partner with a month due in ``days_before`` days; what was sent, for a
    DAG task's log (counts and codes only)."""
    settings = settings or Settings.from_env()
    network = network or load_network()
    engine = make_engine(settings.warehouse_url)
    try:
        reminders = due_reminders(engine, network, settings.due_day, today or dt.date.today(), days_before)
        for reminder in reminders:
            partner = network.partners[reminder["partner"]]
            reminder["messages"] = 0
            for language, addresses in _languages(engine, partner.contacts, partner.language).items():
                message = reminder_message(reminder, language)
                message["To"] = ", ".join(addresses)
                about = f"the reminder for {reminder['project']}/{reminder['partner']} {reminder['period']}"
                reminder["messages"] += send(message, about, config)
    finally:
        engine.dispose()
    return [{**r, "due": r["due"].isoformat()} for r in reminders]
