"""What every page shares: the signed-in user (from the signed session cookie), CSRF tokens,
the page's language, rendering and the security headers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Engine

from inclusion_data.contracts.i18n import LANGUAGES, language_or_default, translations, translator
from inclusion_data.contracts.labels import Labels
from inclusion_data.contracts.network import Network
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import User
from inclusion_data.portal.config import PortalConfig

CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS = {
    # no inline scripts anywhere; the reports' inline styles are allowed
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass
class Portal:
    """The running portal's shared parts, kept on ``app.state.portal``."""

    config: PortalConfig
    engine: Engine
    network: Network

    @cached_property
    def environments(self) -> dict[str, Environment]:
        envs = {}
        for language in LANGUAGES:
            env = Environment(
                loader=PackageLoader("inclusion_data.portal", "templates"),
                autoescape=select_autoescape(["html"]),
                extensions=["jinja2.ext.i18n"],
                trim_blocks=True,
                lstrip_blocks=True,
            )
            env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
            envs[language] = env
        return envs


def portal(request: Request) -> Portal:
    return request.app.state.portal


def current_user(request: Request) -> User | None:
    uid, version = request.session.get("uid"), request.session.get("sv")
    if not isinstance(uid, int):
        return None
    user = accounts.get_user(portal(request).engine, uid)
    if user is None or not user.active or user.session_version != version:
        request.session.clear()  # signed out elsewhere, password changed, or disabled
        return None
    return user


def _to_login() -> HTTPException:
    return HTTPException(status_code=303, headers={"Location": "/login"})


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise _to_login()
    return user


def require_partner(request: Request) -> User:
    user = require_user(request)
    if user.partner is None:
        raise HTTPException(status_code=403)
    return user


def require_coordinator(request: Request) -> User:
    user = require_user(request)
    if not user.is_coordinator:
        raise HTTPException(status_code=403)
    return user


PartnerUser = Annotated[User, Depends(require_partner)]
CoordinatorUser = Annotated[User, Depends(require_coordinator)]


def sign_in(request: Request, user: User) -> None:
    request.session.clear()  # a new session (and CSRF token) on every sign-in: no fixation
    request.session.update({"uid": user.id, "sv": user.session_version, "lang": user.language})


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


async def verify_csrf(request: Request) -> None:
    """Every state-changing request carries the session's CSRF token in its form: 403 if not."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get(CSRF_FIELD)
    try:
        sent = (await request.form()).get(CSRF_FIELD)
    except Exception:  # not a form at all
        sent = None
    if (
        not isinstance(expected, str)
        or not isinstance(sent, str)
        or not secrets.compare_digest(expected, sent)
    ):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


def language(request: Request, user: User | None = None) -> str:
    if user is not None:
        return user.language
    return language_or_default(request.session.get("lang"))


def flash(request: Request, message: str, kind: str = "info", **values: str) -> None:
    """A message (an English msgid, translated when shown) for the next page."""
    request.session.setdefault("flash", []).append([kind, message, values])


def render(
    request: Request, template: str, user: User | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request, user)
    env = portal(request).environments[lang]
    messages = request.session.pop("flash", [])
    _ = translator(lang)
    html = env.get_template(template).render(
        request=request,
        user=user,
        lang=lang,
        L=Labels(lang),
        csrf_token=csrf_token(request),
        csrf_field=CSRF_FIELD,
        flashes=[(kind, _(message) % values if values else _(message)) for kind, message, values in messages],
        network=portal(request).network,
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
