"""Signing in and out, invitations and password resets by one-time link, the language."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from inclusion_data.contracts.i18n import LANGUAGES, N_
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import RESET
from inclusion_data.portal.mail import send_link
from inclusion_data.portal.web import current_user, flash, portal, render, sign_in

router = APIRouter()


def _home(user: accounts.User) -> str:
    return "/coordinator" if user.is_coordinator else "/partner"


@router.get("/")
def index(request: Request) -> Response:
    user = current_user(request)
    return RedirectResponse(_home(user) if user else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    user = current_user(request)
    if user is not None:
        return RedirectResponse(_home(user), status_code=303)
    return render(request, "login.html", None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request, email: Annotated[str, Form()] = "", password: Annotated[str, Form()] = ""
) -> Response:
    engine = portal(request).engine
    address = request.client.host if request.client else "unknown"
    if accounts.is_rate_limited(engine, email, address):
        flash(request, N_("Too many failed attempts. Wait 15 minutes and try again."), "error")
        return render(request, "login.html", None, status_code=429, email=email)
    user = accounts.authenticate(engine, email, password, address)
    if user is None:
        flash(request, N_("Wrong e-mail address or password."), "error")
        return render(request, "login.html", None, status_code=401, email=email)
    sign_in(request, user)
    return RedirectResponse(_home(user), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.post("/language")
def choose_language(
    request: Request, language: Annotated[str, Form()], back: Annotated[str, Form()] = "/"
) -> Response:
    user = current_user(request)
    if language in LANGUAGES:
        request.session["lang"] = language
        if user is not None:
            accounts.set_language(portal(request).engine, user.id, language)
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)


@router.get("/link/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str) -> Response:
    """An invitation or reset link: the form to choose a password."""
    user = accounts.peek_link_token(portal(request).engine, token)
    if user is None:
        return render(request, "link_invalid.html", None, status_code=404)
    request.session["lang"] = user.language
    return render(request, "set_password.html", None, token=token, email=user.email)


@router.post("/link/{token}", response_class=HTMLResponse)
def use_link(
    request: Request,
    token: str,
    password: Annotated[str, Form()] = "",
    password_again: Annotated[str, Form()] = "",
) -> Response:
    engine = portal(request).engine
    user = accounts.peek_link_token(engine, token)
    if user is None:
        return render(request, "link_invalid.html", None, status_code=404)
    problem = accounts.check_password_rules(password, user.email)
    if problem is None and password != password_again:
        problem = N_("The two passwords differ.")
    if problem is not None:
        flash(request, problem, "error")
        return render(request, "set_password.html", None, status_code=400, token=token, email=user.email)
    used = accounts.use_link_token(engine, token, password)
    if used is None:
        return render(request, "link_invalid.html", None, status_code=404)
    sign_in(request, used)
    flash(request, N_("Your password is set."))
    return RedirectResponse(_home(used), status_code=303)


@router.get("/reset", response_class=HTMLResponse)
def reset_page(request: Request) -> Response:
    return render(request, "reset_request.html", None)


@router.post("/reset", response_class=HTMLResponse)
def reset_request(request: Request, email: Annotated[str, Form()] = "") -> Response:
    """Mails a reset link to a known, active address; says the same whatever the address, so
    nobody can find out who has an account."""
    p = portal(request)
    address = request.client.host if request.client else "unknown"
    user = accounts.find_user(p.engine, email)
    if accounts.is_rate_limited(p.engine, email, address):
        pass  # a flood of requests for one account gets no more mail
    elif user is not None and user.active:
        token = accounts.issue_link_token(p.engine, user.id, RESET)
        send_link(p.config, user, token, RESET)
    flash(request, N_("If the address has an account, a link to choose a new password is on its way."))
    return RedirectResponse("/login", status_code=303)
