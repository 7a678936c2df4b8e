"""The portal's web application: ``create_app()`` for uvicorn (``python -m inclusion_data.portal``)."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from inclusion_data.contracts.network import load_network
from inclusion_data.portal import auth_pages, coordinator_pages, partner_pages
from inclusion_data.portal.config import PortalConfig
from inclusion_data.portal.web import SECURITY_HEADERS, Portal, current_user, render, verify_csrf
from inclusion_data.warehouse.engine import make_engine

SESSION_COOKIE = "inclusion_session"
FORM_OVERHEAD = 1 << 20  # what a multipart form adds around the file


def _warm_up() -> None:
    """Pay the checks' one-off start-up (10-30 s on a 2-core machine) before the first
    partner's upload."""
    from inclusion_data.quality import validation

    validation.warm_up()


@asynccontextmanager
async def _lifespan(app: FastAPI):
    if app.state.portal.config.warm_up:
        threading.Thread(target=_warm_up, name="portal-warm-up", daemon=True).start()
    yield
    app.state.portal.engine.dispose()


def create_app(config: PortalConfig | None = None) -> FastAPI:
    config = config or PortalConfig.from_env()
    app = FastAPI(
        title="inclusion-data portal",
        lifespan=_lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(verify_csrf)],
    )
    app.state.portal = Portal(config, make_engine(config.settings.warehouse_url), load_network())
    limit = config.settings.limits.max_file_bytes + FORM_OVERHEAD

    @app.middleware("http")
    async def guard(request: Request, call_next) -> Response:
        length = request.headers.get("content-length")
        if length and (not length.isdigit() or int(length) > limit):
            return Response("Request too large", status_code=413)
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    # signed (itsdangerous), HttpOnly, SameSite=Lax; Secure behind TLS
    app.add_middleware(
        SessionMiddleware,
        secret_key=config.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=int(config.session_hours * 3600),
        same_site="lax",
        https_only=config.secure_cookies,
    )

    @app.exception_handler(HTTPException)
    async def errors(request: Request, exc: HTTPException) -> Response:
        if exc.status_code in (301, 302, 303, 307) or not exc.status_code >= 400:
            return Response(status_code=exc.status_code, headers=exc.headers)
        user = current_user(request) if "session" in request.scope else None
        return render(request, "error.html", user, status_code=exc.status_code, code=exc.status_code)

    @app.get("/health", include_in_schema=False)
    def health() -> HTMLResponse:
        return HTMLResponse("ok")

    app.include_router(auth_pages.router)
    app.include_router(partner_pages.router)
    app.include_router(coordinator_pages.router)
    app.mount("/static", StaticFiles(packages=[("inclusion_data.portal", "static")]), name="static")
    return app
