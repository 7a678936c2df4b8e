"""Run the portal: ``python -m inclusion_data.portal`` (uvicorn).

Binds ``INCLUSION_PORTAL_HOST`` (127.0.0.1) and ``INCLUSION_PORTAL_PORT`` (8000). Behind a TLS
reverse proxy set ``INCLUSION_PORTAL_FORWARDED_ALLOW_IPS`` to the proxy's address, so that
sign-in limits count the client's address, not the proxy's.
"""

from __future__ import annotations

import os

import uvicorn

from inclusion_data.settings import Settings
from inclusion_data.warehouse.engine import migrate


def main() -> None:
    settings = Settings.from_env()
    settings.make_dirs()
    migrate(settings.warehouse_url)  # the accounts' tables, on a fresh installation
    uvicorn.run(
        "inclusion_data.portal.app:create_app",
        factory=True,
        host=os.environ.get("INCLUSION_PORTAL_HOST", "127.0.0.1"),
        port=int(os.environ.get("INCLUSION_PORTAL_PORT", "8000")),
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("INCLUSION_PORTAL_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        workers=int(os.environ.get("INCLUSION_PORTAL_WORKERS", "1")),
        log_level="info",
    )


if __name__ == "__main__":
    main()
