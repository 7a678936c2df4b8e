"""The coordinators' pages: every partner, the reviewers' pages (submissions with each rule's
result, completeness, trends) with filters and sorting, the publications, and the users.

The data come from the same functions that build the static reviewers' site
(``publishing.reviewers_site``), so both show the same figures. Approving and reopening a
month is ``warehouse.period_close``'s, as the command and the review_month DAG do it.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from inclusion_data.contracts.i18n import N_
from inclusion_data.portal import accounts
from inclusion_data.portal.access import not_found, publication_file, stored_file, submission_for
from inclusion_data.portal.accounts import COORDINATOR, INVITE, PARTNER, RESET, AccountError, User
from inclusion_data.portal.mail import send_link
from inclusion_data.portal.web import CoordinatorUser, flash, portal, render
from inclusion_data.publishing.reviewers_site import (
    _completeness_context,
    _rules,
    _submissions,
    _trends_context,
)
from inclusion_data.submissions.outcome import NIL
from inclusion_data.warehouse import period_close, schema
from inclusion_data.warehouse.review import ReviewError, review_history

router = APIRouter(prefix="/coordinator")
FILTERS = ("project", "partner", "dataset", "period", "status")
SORTABLE = ("id", "project", "partner", "dataset", "period", "status", "version", "row_count",
            "error_count", "warning_count", "received_at")  # fmt: skip


def _filtered(rows: list[dict], request: Request) -> tuple[list[dict], dict[str, str]]:
    chosen = {k: request.query_params.get(k, "") for k in FILTERS}
    kept = [r for r in rows if all(not v or str(r.get(k)) == v for k, v in chosen.items())]
    return kept, chosen


def _choices(rows: list[dict]) -> dict[str, list[str]]:
    return {k: sorted({str(r[k]) for r in rows}) for k in FILTERS}


@router.get("", response_class=HTMLResponse)
def partners(request: Request, user: CoordinatorUser) -> Response:
    p = portal(request)
    c = schema.completeness
    with p.engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(select(c)).mappings()]
    counts: dict[str, Counter[str]] = {}
    for r in rows:
        counts.setdefault(r["partner"], Counter())[r["status"]] += 1
        counts[r["partner"]]["late"] += r["late"]
    users = Counter(u.partner for u in accounts.list_users(p.engine) if u.partner)
    return render(
        request,
        "coordinator_home.html",
        user,
        partners=sorted(p.network.partners.values(), key=lambda x: x.code),
        memberships=p.network.memberships,
        counts=counts,
        users=users,
    )


@router.get("/submissions", response_class=HTMLResponse)
def submissions(request: Request, user: CoordinatorUser, sort: str = "id", order: str = "desc") -> Response:
    everything = _submissions(portal(request).engine)
    rows, chosen = _filtered(everything, request)
    key = sort if sort in SORTABLE else "id"
    rows.sort(key=lambda r: (r[key] is None, r[key]), reverse=order != "asc")
    return render(
        request,
        "coordinator_submissions.html",
        user,
        submissions=rows,
        chosen=chosen,
        choices=_choices(everything),
        sort=key,
        order="asc" if order == "asc" else "desc",
        counts=Counter(r["status"] for r in rows),
    )


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission(request: Request, submission_id: int, user: CoordinatorUser) -> Response:
    p = portal(request)
    s = submission_for(p.engine, user, submission_id)
    s["received"] = f"{s['received_at']:%Y-%m-%d %H:%M}"
    try:
        stored_file(p.config.settings, s, ".report.html")
        has_report = True
    except Exception:
        has_report = False
    return render(request, "coordinator_submission.html", user, s=s, rules=_rules(s), has_report=has_report)


@router.get("/submissions/{submission_id}/report")
def submission_report(request: Request, submission_id: int, user: CoordinatorUser) -> Response:
    """The file's data-quality report (rules and rows, no values). The feedback workbook is
    not offered here: it holds the partner's own values."""
    p = portal(request)
    path = stored_file(p.config.settings, submission_for(p.engine, user, submission_id), ".report.html")
    return FileResponse(path, media_type="text/html; charset=utf-8")


@router.get("/completeness", response_class=HTMLResponse)
def completeness(request: Request, user: CoordinatorUser) -> Response:
    p = portal(request)
    c = schema.completeness
    with p.engine.connect() as conn:
        everything = [dict(r) for r in conn.execute(select(c)).mappings()]
    rows, chosen = _filtered(everything, request)
    return render(
        request,
        "coordinator_completeness.html",
        user,
        chosen=chosen,
        choices=_choices(everything) if everything else {k: [] for k in FILTERS},
        due_day=p.config.settings.due_day,
        nil_months=sum(r["status"] == NIL for r in rows),
        **_completeness_context(rows),
    )


@router.get("/review", response_class=HTMLResponse)
def review(request: Request, user: CoordinatorUser) -> Response:
    p = portal(request)
    months = period_close.status(p.engine, p.config.settings, p.network)
    rows, chosen = _filtered(months, request)
    with p.engine.connect() as conn:
        history = review_history(conn)
    return render(
        request,
        "coordinator_review.html",
        user,
        months=rows,
        chosen=chosen,
        choices={k: sorted({str(m[k]) for m in months}) for k in ("project", "period")},
        history=list(reversed(history))[:50],
    )


@router.post("/review/{project}/{period}")
def review_action(
    request: Request,
    project: str,
    period: str,
    user: CoordinatorUser,
    action: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    p = portal(request)
    try:
        if action == "approve":
            period_close.approve(p.engine, p.network, project, period, user.email, note)
            flash(request, N_("%(project)s %(period)s approved: it is final and closed."), project=project,
                  period=period)  # fmt: skip
        elif action == "reopen":
            done = period_close.reopen(
                p.engine, p.config.settings, p.network, project, period, user.email, note
            )
            flash(request, N_("%(project)s %(period)s reopened; %(n)s held files go back to the inbox."),
                  project=project, period=period, n=str(len(done.released)))  # fmt: skip
        else:
            raise not_found()
    except ReviewError as exc:
        flash(request, N_("Not done: %(reason)s"), "error", reason=str(exc))
    return RedirectResponse(f"/coordinator/review?project={project}", status_code=303)


@router.get("/trends", response_class=HTMLResponse)
def trends(request: Request, user: CoordinatorUser) -> Response:
    everything = _submissions(portal(request).engine)
    rows, chosen = _filtered(everything, request)
    return render(
        request,
        "coordinator_trends.html",
        user,
        chosen=chosen,
        choices=_choices(everything),
        **_trends_context(rows),
    )


@router.get("/publications", response_class=HTMLResponse)
def publications(request: Request, user: CoordinatorUser) -> Response:
    root = portal(request).config.settings.published
    dates = sorted((d for d in root.iterdir() if d.is_dir()), reverse=True) if root.is_dir() else []
    listed = [
        {"date": d.name, "files": sorted(f.name for f in d.iterdir() if f.is_file())}
        for d in dates
        if len(d.name) == 10
    ]
    return render(request, "coordinator_publications.html", user, publications=listed)


@router.get("/publications/{date}/{name}")
def publication(request: Request, date: str, name: str, user: CoordinatorUser) -> Response:
    return FileResponse(publication_file(portal(request).config.settings, date, name))


@router.get("/users", response_class=HTMLResponse)
def users(request: Request, user: CoordinatorUser) -> Response:
    p = portal(request)
    return render(
        request,
        "coordinator_users.html",
        user,
        users=accounts.list_users(p.engine),
        partners=sorted(p.network.partners.values(), key=lambda x: x.code),
        link=request.session.pop("link", None),
    )


@router.post("/users/invite")
def invite(
    request: Request,
    user: CoordinatorUser,
    email: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = PARTNER,
    partner: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "ro",
) -> Response:
    p = portal(request)
    try:
        invited = accounts.create_user(
            p.engine, p.network, email, name, role, partner if role == PARTNER else None, language
        )
    except AccountError as exc:
        flash(request, N_("The invitation was not sent: %(reason)s"), "error", reason=str(exc))
        return RedirectResponse("/coordinator/users", status_code=303)
    _send(request, invited, INVITE)
    return RedirectResponse("/coordinator/users", status_code=303)


def _send(request: Request, target: User, purpose: str) -> None:
    p = portal(request)
    token = accounts.issue_link_token(p.engine, target.id, purpose)
    mailed = send_link(p.config, target, token, purpose)
    request.session["link"] = {"email": target.email, "url": f"{p.config.base_url}/link/{token}"}
    if mailed:
        flash(request, N_("A link was mailed to %(email)s."), email=target.email)
    else:
        flash(request, N_("Mail is not set up: give %(email)s the link below."), "error", email=target.email)


def _target(request: Request, user_id: int) -> User:
    target = accounts.get_user(portal(request).engine, user_id)
    if target is None:
        raise not_found()
    return target


@router.post("/users/{user_id}/reset")
def reset(request: Request, user_id: int, user: CoordinatorUser) -> Response:
    target = _target(request, user_id)
    _send(request, target, INVITE if not target.has_password else RESET)
    return RedirectResponse("/coordinator/users", status_code=303)


@router.post("/users/{user_id}/active")
def activate(
    request: Request, user_id: int, active: Annotated[str, Form()], user: CoordinatorUser
) -> Response:
    target = _target(request, user_id)
    if target.id == user.id or (target.role == COORDINATOR and active != "1" and _last_coordinator(request)):
        flash(request, N_("You cannot deactivate yourself or the last coordinator."), "error")
    else:
        accounts.set_active(portal(request).engine, target.id, active == "1")
    return RedirectResponse("/coordinator/users", status_code=303)


def _last_coordinator(request: Request) -> bool:
    active = [u for u in accounts.list_users(portal(request).engine) if u.is_coordinator and u.active]
    return len(active) <= 1
