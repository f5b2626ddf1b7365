"""`switchboard users`: add dashboard logins, set a password, list them."""

from __future__ import annotations

import argparse
import sys

from switchboard.cli.database import session_of
from switchboard.cli.output import Commands, show
from switchboard.settings import Settings


def register(commands: Commands) -> None:
    users = commands.add_parser("users", help="manage dashboard logins")
    actions = users.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add a dashboard user and print a password for them")
    create.add_argument("email")
    create.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of generating one",
    )
    create.add_argument("--json", action="store_true")
    password = actions.add_parser(
        "set-password", help="give a user a new password (ends their sessions)"
    )
    password.add_argument("email")
    password.add_argument("--password-stdin", action="store_true")
    password.add_argument("--json", action="store_true")
    listing = actions.add_parser("list", help="list dashboard users")
    listing.add_argument("--json", action="store_true")
    users.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from switchboard.users import service
    from switchboard.users.passwords import random_password

    def password() -> tuple[str, bool]:
        if args.password_stdin:
            return sys.stdin.readline().rstrip("\r\n"), False
        return random_password(), True

    with session_of(settings) as session:
        if args.action == "list":
            records = [
                {
                    "id": u.id,
                    "email": u.email,
                    "created_at": u.created_at,
                    "last_login_at": u.last_login_at,
                }
                for u in service.list_users(session)
            ]
            lines = [f"{r['id']}\t{r['email']}" for r in records]
            show(args, records, "\n".join(lines) if lines else "no users")
            return 0
        secret, generated = password()
        try:
            if args.action == "create":
                user = service.create_user(session, args.email, secret)
            else:
                found = service.find_user(session, args.email)
                if found is None:
                    print(f"no user with the address {args.email}", file=sys.stderr)
                    return 1
                user = found
                service.set_password(session, user, secret)
        except service.UserError as exc:
            print(str(exc), file=sys.stderr)
            return 1
        session.commit()
        record = {"id": user.id, "email": user.email}
        if generated:
            record["password"] = secret
        text = f"{user.email}\tpassword: {secret}" if generated else user.email
        show(args, record, text)
    return 0
