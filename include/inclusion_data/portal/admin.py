"""Accounts from the command line: the first coordinator, invitations, resets.

    python -m inclusion_data.portal.admin create-coordinator --email ana@retea.ro --name "Ana Pop"
    python -m inclusion_data.portal.admin invite --email date@asoc-cluj.ro --partner asoc-cluj [--lang en]
    python -m inclusion_data.portal.admin reset --email date@asoc-cluj.ro
    python -m inclusion_data.portal.admin list

Each prints a one-time link to choose a password (and mails it when mail is set up).
"""

from __future__ import annotations

import argparse
import sys

from inclusion_data.contracts.network import load_network
from inclusion_data.portal import accounts
from inclusion_data.portal.accounts import COORDINATOR, INVITE, PARTNER, RESET, AccountError
from inclusion_data.portal.config import PortalConfig
from inclusion_data.portal.mail import send_link
from inclusion_data.warehouse.engine import make_engine, migrate


def _link(config: PortalConfig, engine, user: accounts.User, purpose: str) -> None:
    token = accounts.issue_link_token(engine, user.id, purpose)
    mailed = send_link(config, user, token, purpose)
    print(f"{user.email}: {config.base_url}/link/{token}")
    print("(mailed)" if mailed else "(mail not set up: give this link to the person yourself)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Portal accounts.")
    commands = parser.add_subparsers(dest="command", required=True)
    first = commands.add_parser("create-coordinator", help="a coordinator of the network")
    invite = commands.add_parser("invite", help="a partner's user (or, with --coordinator, a coordinator)")
    for sub in (first, invite):
        sub.add_argument("--email", required=True)
        sub.add_argument("--name", default="")
        sub.add_argument("--lang", choices=["ro", "en"], default="ro")
    invite.add_argument("--partner", help="the partner's code in network.yaml")
    invite.add_argument("--coordinator", action="store_true")
    reset = commands.add_parser("reset", help="a new one-time link to choose a password")
    reset.add_argument("--email", required=True)
    commands.add_parser("list", help="every account")
    args = parser.parse_args(argv)

    config = PortalConfig.from_env()
    migrate(config.settings.warehouse_url)
    engine = make_engine(config.settings.warehouse_url)
    network = load_network()
    try:
        if args.command in ("create-coordinator", "invite"):
            coordinator = args.command == "create-coordinator" or args.coordinator
            if not coordinator and not args.partner:
                parser.error("invite needs --partner (or --coordinator)")
            user = accounts.create_user(
                engine,
                network,
                args.email,
                args.name,
                COORDINATOR if coordinator else PARTNER,
                None if coordinator else args.partner,
                args.lang,
            )
            _link(config, engine, user, INVITE)
        elif args.command == "reset":
            found = accounts.find_user(engine, args.email)
            if found is None:
                parser.error(f"no account for {args.email}")
            _link(config, engine, found, RESET if found.has_password else INVITE)
        else:
            for u in accounts.list_users(engine):
                state = "active" if u.active else "disabled"
                print(f"{u.email}\t{u.role}\t{u.partner or '-'}\t{u.language}\t{state}")
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
