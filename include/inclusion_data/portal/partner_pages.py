"""A partner's pages: the month's template, checking and sending a file, months without
activity, "my submissions" with their reports and feedback, completeness and due dates.
Every page shows only the signed-in user's own partner; the partner is never read from the URL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from inclusion_data.contracts.i18n import N_
from inclusion_data.intake.periods import due_date, months_between, parse_month
from inclusion_data.portal import uploads
from inclusion_data.portal.access import (
    membership_for,
    memberships,
    not_found,
    sent_name,
    stored_file,
    submission_for,
)
from inclusion_data.portal.accounts import User
from inclusion_data.portal.web import PartnerUser, flash, portal, render
from inclusion_data.submissions.file_report import report_in
from inclusion_data.submissions.template_workbook import TemplateError, template_name, write_template
from inclusion_data.warehouse import schema
from inclusion_data.warehouse.completeness import COMPLETE

router = APIRouter(prefix="/partner")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _default_month(start: str, end: str) -> str:
    """The month most likely being reported: the previous calendar month, kept in range."""
    today = dt.date.today().replace(day=1)
    previous = f"{today - dt.timedelta(days=1):%Y-%m}"
    return min(max(previous, start), end)


def _completeness(request: Request, user: User) -> list[dict]:
    c = schema.completeness
    query = select(c).where(c.c.partner == user.partner).order_by(c.c.period.desc(), c.c.project, c.c.dataset)
    with portal(request).engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


@router.get("", response_class=HTMLResponse)
def home(request: Request, user: PartnerUser) -> Response:
    p = portal(request)
    projects = []
    for m in memberships(p.network, user):
        months = months_between(m.start, m.end)
        default = _default_month(m.start, m.end)
        projects.append(
            {
                "membership": m,
                "project": p.network.projects[m.project],
                "months": months,
                "default": default,
                "due": due_date(default, p.config.settings.due_day),
            }
        )
    rows = _completeness(request, user)
    return render(
        request,
        "partner_home.html",
        user,
        partner=p.network.partners[user.partner or ""],
        projects=projects,
        completeness=rows,
        open_months=[r for r in rows if r["status"] not in COMPLETE],
        due_day=p.config.settings.due_day,
    )


@router.get("/{project}/template")
def template(request: Request, project: str, month: str, user: PartnerUser) -> Response:
    p = portal(request)
    membership = membership_for(p.network, user, project)
    period = parse_month(month)
    if period is None or not membership.start <= period <= membership.end:
        raise not_found()
    directory = p.config.settings.home / "portal" / "templates" / user.language
    name = template_name(project, membership.partner, period)
    try:
        path = write_template(
            project, membership.partner, period, directory / name, p.network, language=user.language
        )
    except TemplateError:
        raise not_found() from None
    return FileResponse(path, media_type=XLSX, filename=name)


@router.post("/{project}/upload")
def upload(
    request: Request, project: str, file: Annotated[UploadFile, File()], user: PartnerUser
) -> Response:
    p = portal(request)
    membership_for(p.network, user, project)
    try:
        staged = uploads.stage(p.config, user, project, file.filename, file.file)
    except uploads.TooBig:
        mb = p.config.settings.limits.max_file_bytes // 2**20
        flash(request, N_("The file is larger than %(mb)s MB, the most a file may be."), "error", mb=str(mb))
        return RedirectResponse("/partner", status_code=303)
    uploads.evaluate(p.config, p.engine, p.network, staged, user.language)
    return RedirectResponse(f"/partner/uploads/{staged.token}", status_code=303)


def _staged(request: Request, user: User, token: str) -> uploads.Staged:
    staged = uploads.staged_for(portal(request).config, user, token)
    if staged is None:
        raise not_found()
    return staged


@router.get("/uploads/{token}", response_class=HTMLResponse)
def upload_result(request: Request, token: str, user: PartnerUser) -> Response:
    staged = _staged(request, user, token)
    return render(request, "upload_result.html", user, staged=staged, result=staged.outcome())


@router.get("/uploads/{token}/feedback")
def upload_feedback(request: Request, token: str, user: PartnerUser) -> Response:
    staged = _staged(request, user, token)
    if not staged.feedback.is_file():
        raise not_found()
    return FileResponse(staged.feedback, media_type=XLSX, filename=f"{staged.file_name}.feedback.xlsx")


@router.post("/uploads/{token}/submit")
def upload_submit(request: Request, token: str, user: PartnerUser) -> Response:
    staged = _staged(request, user, token)
    sent = uploads.submit(portal(request).config, staged)
    flash(request, N_("%(file)s was sent. The pipeline processes it within the hour."), file=sent.name)
    return RedirectResponse("/partner/submissions", status_code=303)


@router.post("/{project}/nil")
def nil_return(
    request: Request,
    project: str,
    dataset: Annotated[str, Form()],
    month: Annotated[str, Form()],
    user: PartnerUser,
) -> Response:
    p = portal(request)
    membership = membership_for(p.network, user, project)
    period = parse_month(month)
    if (
        period is None
        or not membership.start <= period <= membership.end
        or dataset not in membership.reports
    ):
        raise not_found()
    sent = uploads.declare_nil_return(p.config, p.network, user, project, dataset, period)
    flash(request, N_("No activity declared: %(file)s was sent."), file=sent.name)
    return RedirectResponse("/partner/submissions", status_code=303)


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions(request: Request, user: PartnerUser) -> Response:
    p = portal(request)
    s = schema.submissions
    query = select(s).where(s.c.partner == user.partner).order_by(s.c.id.desc())
    with p.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["file_name"] = sent_name(p.config.settings, row)
        row["has_report"] = _exists(request, row, ".report.html")
        row["has_feedback"] = _exists(request, row, ".feedback.xlsx")
    waiting = [
        f
        for m in memberships(p.network, user)
        for f in [
            *uploads.pending(p.config, m.project, m.partner),
            *uploads.held(p.config, m.project, m.partner),
        ]
    ]
    return render(request, "partner_submissions.html", user, submissions=rows, waiting=waiting)


def _exists(request: Request, submission: dict, suffix: str) -> bool:
    try:
        stored_file(portal(request).config.settings, submission, suffix)
    except Exception:
        return False
    return True


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_page(request: Request, submission_id: int, user: PartnerUser) -> Response:
    submission = submission_for(portal(request).engine, user, submission_id)
    submission["file_name"] = sent_name(portal(request).config.settings, submission)
    return render(
        request,
        "partner_submission.html",
        user,
        s=submission,
        has_report=_exists(request, submission, ".report.html"),
        has_feedback=_exists(request, submission, ".feedback.xlsx"),
    )


@router.get("/submissions/{submission_id}/report")
def submission_report(request: Request, submission_id: int, user: PartnerUser) -> Response:
    submission = submission_for(portal(request).engine, user, submission_id)
    path = stored_file(portal(request).config.settings, submission, ".report.html")
    written = path.with_name(path.name.removesuffix(".html") + ".json")
    if written.is_file():  # rendered in the user's language, which may not be the partner's
        return HTMLResponse(report_in(written, user.language))
    return FileResponse(path, media_type="text/html; charset=utf-8")


@router.get("/submissions/{submission_id}/feedback")
def submission_feedback(request: Request, submission_id: int, user: PartnerUser) -> Response:
    submission = submission_for(portal(request).engine, user, submission_id)
    path = stored_file(portal(request).config.settings, submission, ".feedback.xlsx")
    name = sent_name(portal(request).config.settings, submission)
    return FileResponse(path, media_type=XLSX, filename=f"{name}.feedback.xlsx")
