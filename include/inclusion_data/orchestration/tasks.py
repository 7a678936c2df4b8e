"""What the DAG tasks do, as plain functions: DAG files only schedule and wire these."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import Engine

from inclusion_data.contracts.network import load_network
from inclusion_data.indicators.incremental import build_indicator_values
from inclusion_data.intake.isolation import reader_child
from inclusion_data.intake.sealing import NameSeal
from inclusion_data.orchestration.attempts import MAX_ATTEMPTS, Attempts
from inclusion_data.orchestration.collector import loaded_frozen
from inclusion_data.orchestration.faults import is_infrastructure_fault
from inclusion_data.orchestration.ingest import (
    Begun,
    batches,
    begin_file,
    discover,
    finish_file,
    reading_ahead,
    recall_hashes,
    set_aside,
)
from inclusion_data.orchestration.object_storage import pull_inbox, push_processed, push_published
from inclusion_data.portal.mail import MailConfig, send_file_outcome, send_reminders
from inclusion_data.publishing.publication import publish, unchanged
from inclusion_data.publishing.reviewers_site import build_site
from inclusion_data.quality import validation
from inclusion_data.quality.findings import Finding, file_error
from inclusion_data.settings import Settings
from inclusion_data.submissions.evaluation import Evaluation, evaluate_together
from inclusion_data.submissions.outcome import CURRENT, short_id
from inclusion_data.warehouse.completeness import compute_completeness, store_completeness
from inclusion_data.warehouse.engine import loggable_error, make_engine, migrate
from inclusion_data.warehouse.history import WarehouseHistory
from inclusion_data.warehouse.key_binding import load_bound_key
from inclusion_data.warehouse.load import sync_reference
from inclusion_data.warehouse.volumes import refresh_volume_findings

log = logging.getLogger(__name__)


def prepare_warehouse() -> None:
    settings = Settings.from_env()
    settings.make_dirs()
    migrate(settings.warehouse_url)
    sync_reference(make_engine(settings.warehouse_url), load_network())


def find_batches(batch_size: int | None = None) -> list[list[str]]:
    """The waiting files in batches, each file named by a short id (``short_id`` of its inbox
    path): file names are personal, and what a task returns is shown in XCom and in the
    mapped task's rendered fields."""
    settings = Settings.from_env()
    pulled = pull_inbox(settings)
    if pulled:
        log.info("moved %d files from the object-storage inbox into the working inbox", len(pulled))
    waiting = [short_id(p) for p in discover(settings, settings.settle_seconds)]
    return batches(waiting, batch_size or settings.batch_size)


def process_batch(ids: list[str]) -> list[dict]:
    """Process each file on its own: whatever one file does, the others are processed and it
    ends in ``rejected/`` with its report. Only the warehouse or the disk failing stops the
    task (the file then stays in the inbox for the retry). ``ids`` are ``find_batches``'s
    (inbox paths are accepted too). The batch's sheets are validated together (a Great
    Expectations call costs about half a second whatever its rows); each file is then loaded
    and filed in its own transaction."""
    settings = Settings.from_env()
    waiting = {short_id(p): p for p in discover(settings)}
    engine = make_engine(settings.warehouse_url)
    network = load_network()
    key = load_bound_key(settings, engine)  # another key than the warehouse's fails the task here
    attempts, history = Attempts(settings.home), WarehouseHistory(engine, NameSeal(key))
    mail = _mail_config()
    results = []
    validation.warm_up()  # before freezing: what every file uses is loaded once, and frozen

    def done(relative: str, outcome) -> None:
        attempts.finish(relative)
        send_file_outcome(outcome, settings, engine, network, mail)  # never raises: mail is a courtesy
        results.append(outcome.task_summary())

    begun: list[Begun] = []
    relatives = [waiting.get(i, i) for i in ids]
    history.recall(sources=relatives)  # the batch's files looked up at once, not one by one
    with loaded_frozen(), reader_child(settings.limits):  # one reader process for the batch's files
        for relative in relatives:
            if not os.path.lexists(settings.inbox / relative):
                continue  # taken by an earlier try of this task
            # a file whose outcome is recorded only needs filing: it is never set aside
            if attempts.begin(relative) > MAX_ATTEMPTS and history.unfiled(relative) is None:
                done(relative, set_aside(relative, settings, _stopped_every_time(), "_internal_error"))
                continue
            started = _guarded(
                relative, settings, attempts, begin_file, relative, settings, engine, network, key, history
            )
            if isinstance(started, Begun):
                begun.append(started)
            else:
                done(relative, started)
        recall_hashes(history, begun)
        for i, evaluation in evaluate_together(reading_ahead(begun, settings)):
            relative = begun[i].relative
            done(
                relative,
                _guarded(relative, settings, attempts, _finished, begun[i], evaluation, settings, engine),
            )
    engine.dispose()
    if mail is not None and mail.host is None and results:
        log.info("mail not set up (INCLUSION_SMTP_HOST): the %d files' outcomes not mailed", len(results))
    return results


def _mail_config() -> MailConfig | None:
    """The mail settings, read once a batch; None when they cannot be read: each file's mail
    then logs why and the batch goes on (mail is a courtesy, as in ``send_file_outcome``)."""
    try:
        return MailConfig.from_env()
    except ValueError:
        return None


def _finished(begun: Begun, evaluation: Evaluation | Exception, settings: Settings, engine: Engine):
    if isinstance(evaluation, Exception):
        raise evaluation
    return finish_file(begun, evaluation, settings, engine)


def _guarded(relative: str, settings: Settings, attempts: Attempts, work, *args):
    """``work(*args)``, or the file set aside with the reason when the pipeline fails on it; the
    warehouse or the disk failing is raised (the file stays for the task's retry)."""
    try:
        return work(*args)
    except Exception as exc:
        if is_infrastructure_fault(exc):
            attempts.finish(relative)  # not the file's doing: it stays for the retry
            log.warning(
                "file %s: %s; left in the inbox for the retry", short_id(relative), loggable_error(exc)
            )
            raise
        # keep the file and say so; the log has the trace for engineers (no values: the
        # exception's type and where it was raised, not its message)
        log.error("file %s could not be processed: %s", short_id(relative), loggable_error(exc))
        return set_aside(relative, settings, _failed_on(exc), "_internal_error")


def _failed_on(exc: Exception) -> Finding:
    return file_error(
        "internal_error",
        f"The pipeline failed on this file ({type(exc).__name__}); the network's data team has "
        "the details. Nothing from it was loaded; it will be processed again once fixed.",
        "Procesarea a eșuat din cauza unei erori interne; echipa de date a fost anunțată. "
        "Nu s-a încărcat nimic din fișier.",
    )


def _stopped_every_time() -> Finding:
    return file_error(
        "internal_error",
        f"Processing this file stopped the pipeline {MAX_ATTEMPTS} times, so it was set aside; the "
        "network's data team has been told. Nothing from it was loaded.",
        f"Procesarea acestui fișier a oprit sistemul de {MAX_ATTEMPTS} ori, așa că a fost pus deoparte; "
        "echipa de date a fost anunțată. Nu s-a încărcat nimic din fișier.",
    )


def refresh_reports(settings: Settings, engine: Engine) -> dict:
    """Recompute completeness and rebuild the reviewers' site under ``<home>/reports``."""
    rows = compute_completeness(engine, load_network(), settings.due_day)
    store_completeness(engine, rows)
    index = build_site(engine, settings.reports, rows, settings.due_day)
    return {
        "reports": str(index),
        "expected": len(rows),
        "missing": sum(r["status"] == "missing" for r in rows),
        "late": sum(r["late"] for r in rows),
    }


def summarise(results: Sequence[list[dict]]) -> dict:
    # indexed, not iterated: iterating Airflow's lazy XCom sequence probes one item past the
    # end and logs a spurious "XCom not found" error
    files = [outcome for i in range(len(results)) for outcome in results[i]]
    counts = Counter(outcome["status"] for outcome in files)
    log.info("ingest: %s", dict(counts))
    if files:
        settings = Settings.from_env()
        engine = make_engine(settings.warehouse_url)
        changed = refresh_volume_findings(engine, settings.home, NameSeal(load_bound_key(settings, engine)))
        log.info("ingest: unusual_volume warnings changed on %d submissions", changed)
        refresh_reports(settings, engine)
        engine.dispose()
        push_processed(settings)
    # a nil return changes the publication too: it supersedes the rows of its month
    if not any(s["status"] in CURRENT for outcome in files for s in outcome["submissions"]):
        from airflow.sdk.exceptions import AirflowSkipException

        # no new data: skipping emits no Asset event, so publish_indicators is not triggered
        raise AirflowSkipException(f"nothing new was loaded ({dict(counts)})")
    return {"files": len(files), **counts}


def build_and_publish(full: bool = False) -> dict:
    """The nightly build: indicators brought up to date (incrementally, or rebuilt whole from
    every accepted row when ``full``), reports refreshed, a new publication when a figure
    changed."""
    settings = Settings.from_env()
    engine = make_engine(settings.warehouse_url)
    standing = None if full else unchanged(engine, settings)
    if standing is not None:  # nothing new since the latest publication: recompute nothing
        engine.dispose()
        return {"publication": standing.publication, "changed": False, "html": str(standing.html)}
    built = build_indicator_values(engine, full=full)
    log.info("indicators: %s build, %d values written", built.mode, built.values)
    refresh_reports(settings, engine)
    published = publish(engine, settings)
    push_published(settings)
    engine.dispose()
    return {
        "publication": published.publication,
        "changed": published.changed,
        "indicators": built.mode,
        "indicator_rows": built.values,
        "csv": str(published.csv),
        "workbook": str(published.workbook),
        "html": str(published.html),
    }


def remind_partners(today: str | None) -> list[dict]:
    """Mail every partner whose month falls due in one of ``Settings.reminder_days`` days of
    ``today`` (the run's date) and still lacks a file; what was sent, by codes and counts."""
    settings = Settings.from_env()
    day = dt.date.fromisoformat(today) if today else dt.date.today()
    sent = [r for days in settings.reminder_days for r in send_reminders(settings, day, days_before=days)]
    log.info("reminders: %d partner-months, %d messages", len(sent), sum(r["messages"] for r in sent))
    return sent


def review_month(params: dict, triggered_by: str | None) -> dict:
    """The ``review_month`` DAG's action: a refused one (approving a closed month, reopening
    without a reason) fails the task with the reason, and never retries."""
    from airflow.sdk.exceptions import AirflowFailException

    from inclusion_data.orchestration.review import run
    from inclusion_data.warehouse.review import ReviewError

    by = params.get("by") or (f"airflow:{triggered_by}" if triggered_by else "airflow")
    try:
        done = run(params["action"], params.get("project"), params.get("period"), by, params.get("note", ""))
    except ReviewError as exc:
        raise AirflowFailException(str(exc)) from None
    log.info("review: %s %s, %d held files released", done["action"], done["months"], len(done["released"]))
    return done
