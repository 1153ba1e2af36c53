"""The ``citygraph`` command. Errors print one line and exit non-zero, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import NoReturn, TypeVar

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select
from tqdm import tqdm

from citygraph import __version__, migrate
from citygraph.config import ConfigurationError, Settings
from citygraph.demo.perfdata import DEFAULT_SEED as DEFAULT_PERF_SEED
from citygraph.domain import accounts, tokens
from citygraph.domain.errors import DomainError, InvalidInput
from citygraph.domain.policy import SYSTEM
from citygraph.domain.unit import UnitOfWork, unit_of_work
from citygraph.importer import SourceError
from citygraph.importer import command as import_command
from citygraph.models import District
from citygraph.outbox import command as outbox_command
from citygraph.services import Services
from citygraph.storage import StoreError
from citygraph.storage import command as media_command

T = TypeVar("T")
log = logging.getLogger("citygraph")


class CommandError(Exception):
    """A user-facing failure: printed as one line."""


def _run(settings: Settings, work: Callable[[Services], Awaitable[T]]) -> T:
    async def runner() -> T:
        services = Services.from_settings(settings)
        try:
            return await work(services)
        finally:
            await services.aclose()

    return asyncio.run(runner())


def _in_unit(settings: Settings, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run ``work`` in one unit of work acted by the operator (``SYSTEM``), committed at the end."""

    async def in_unit(services: Services) -> T:
        async with unit_of_work(services, actor=SYSTEM) as uow:
            return await work(uow)

    return _run(settings, in_unit)


def progress_bar(total: int, unit: str, desc: str) -> tqdm[NoReturn]:
    """A progress display on stderr for long work; silent unless both streams are a terminal
    (a pipe, a log file or a test gets only the summary line)."""
    quiet = not (sys.stdout.isatty() and sys.stderr.isatty())
    return tqdm(total=total, unit=unit, desc=desc, disable=quiet, leave=False, file=sys.stderr)


def _load_demo(settings: Settings, *, only_if_empty: bool = False) -> str:
    from citygraph.demo.loader import PLACE_COUNT, load_demo

    async def work(services: Services) -> str:
        async with unit_of_work(services, actor=SYSTEM) as uow:
            if only_if_empty:
                count = (await uow.session.exec(select(func.count()).select_from(District))).one()
                if count:
                    return "demo data: database already has districts, left as it is"
            with progress_bar(PLACE_COUNT, " places", "demo data") as bar:
                report = await load_demo(uow, progress=bar.update)
        return (
            f"demo data: {report.districts_created} districts, {report.places_created} places, "
            f"{report.images_created} images created"
        )

    return _run(settings, work)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    migrate.upgrade(settings.effective_database_url)
    print("database migrated to head")


def cmd_load_demo(settings: Settings, _args: argparse.Namespace) -> None:
    print(_load_demo(settings))


#: Seconds a stopping server waits for open connections. Subscriptions over SSE never end by
#: themselves (WebSockets are closed with 1012 at once), so without a limit a server with an
#: open stream would never stop; clients reconnect to another instance.
SHUTDOWN_GRACE_SECONDS = 5


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    from citygraph.logs import uvicorn_access_log, uvicorn_log_config

    settings.check_startable()
    if settings.trusted_documents is not None:  # refused here with its reason, not in a worker
        from citygraph.graphql.persisted import load_trusted
        from citygraph.graphql.schema import export_sdl

        load_trusted(settings, export_sdl())
    if settings.uses_embedded_default or args.migrate:
        migrate.upgrade(settings.effective_database_url)
    if settings.uses_embedded_default or args.load_demo:
        print(_load_demo(settings, only_if_empty=settings.uses_embedded_default))
    json_logs = uvicorn_log_config(settings)
    uvicorn.run(
        "citygraph.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=None if args.reload else args.workers,
        reload=args.reload,
        log_level=settings.log_level,
        proxy_headers=True,
        timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        # JSON lines when asked for; then citygraph's access line replaces uvicorn's.
        log_config=json_logs or LOGGING_CONFIG,
        access_log=uvicorn_access_log(settings),
    )


def cmd_load_perf_data(settings: Settings, args: argparse.Namespace) -> None:
    from citygraph.demo.perfdata import row_counts
    from citygraph.demo.perfload import LoadReport, PerfLoadRefused, load_perf_data

    started = time.perf_counter()
    with progress_bar(sum(row_counts(args.scale)), " rows", "perf data") as bar:
        try:

            async def load(services: Services) -> LoadReport:
                report = await load_perf_data(
                    services.engine,
                    args.scale,
                    seed=args.seed,
                    replace=args.replace,
                    progress=bar.update,
                )
                services.changes.bump()  # rows written around the units of work
                return report

            report = _run(settings, load)
        except PerfLoadRefused as exc:
            raise CommandError(str(exc)) from exc
    print(
        f"perf data ({report.scale}, seed {report.seed}): {report.districts} districts, "
        f"{report.places} places, {report.images} images in {time.perf_counter() - started:.1f}s"
        " (no image files written)"
    )


def cmd_createsuperuser(settings: Settings, args: argparse.Namespace) -> None:
    username = args.username or input("Username: ").strip()
    email = args.email if args.email is not None else input("Email address: ").strip()
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("passwords do not match")

    form = accounts.NewAccount.parse(email=email, username=username, password=password)

    async def work(uow: UnitOfWork) -> str:
        # The same rules as registration (Django's createsuperuser runs the validators too).
        user = await accounts.create_superuser(uow, form)
        return f"superuser {user.username!r} created (id {user.id})"

    print(_in_unit(settings, work))


def cmd_prune_tokens(settings: Settings, _args: argparse.Namespace) -> None:
    print(f"removed {_in_unit(settings, tokens.prune_blacklist)} expired blacklisted tokens")


def cmd_users(settings: Settings, args: argparse.Namespace) -> None:
    active = args.action == "activate"

    async def work(uow: UnitOfWork) -> str:
        user_id = await accounts.find_by_username(uow, args.username)
        user = await accounts.set_active(uow, user_id, active)
        return f"user {user.username!r} is now {'active' if user.is_active else 'inactive'}"

    print(_in_unit(settings, work))


def cmd_cache(settings: Settings, _args: argparse.Namespace) -> None:
    from citygraph.changes import ChangeCounter

    ChangeCounter(settings.effective_database_url, settings.runtime_dir).bump()
    print("cached responses of this database are stale now, on every worker of this machine")


def cmd_export_schema(_settings: Settings, _args: argparse.Namespace) -> None:
    from citygraph.graphql.schema import export_sdl

    sys.stdout.write(export_sdl())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citygraph", description=__doc__)
    parser.add_argument("--version", action="version", version=f"citygraph {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the app with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument("--migrate", action="store_true", help="migrate an explicit DATABASE_URL")
    serve.add_argument("--load-demo", action="store_true", help="load demo data into it too")
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to the newest schema").set_defaults(
        handler=cmd_migrate
    )
    sub.add_parser("load-demo", help="load the Moscow demo data (idempotent)").set_defaults(
        handler=cmd_load_demo
    )

    perf = sub.add_parser(
        "load-perf-data",
        help="load the deterministic benchmark data set (rows only, no image files)",
        description="Load 12 districts x 100 (small) or 10,000 (large) places x 3 images, the "
        "rows of the benchmark rig's generator. Image rows point at files that are not written.",
    )
    perf.add_argument("--scale", choices=["small", "large"], required=True)
    perf.add_argument("--seed", type=int, default=DEFAULT_PERF_SEED)
    perf.add_argument(
        "--replace",
        action="store_true",
        help="delete existing districts, places and image rows first (users are kept; files stay)",
    )
    perf.set_defaults(handler=cmd_load_perf_data)

    su = sub.add_parser("createsuperuser", help="create an active staff superuser")
    su.add_argument("--username")
    su.add_argument("--email")
    su.add_argument("--password", help="omit to be prompted")
    su.set_defaults(handler=cmd_createsuperuser)

    users = sub.add_parser("users", help="manage accounts")
    users.add_argument("action", choices=["activate", "deactivate"])
    users.add_argument("username")
    users.set_defaults(handler=cmd_users)

    sub.add_parser(
        "prune-tokens", help="delete expired entries from the refresh-token blacklist"
    ).set_defaults(handler=cmd_prune_tokens)

    cache = sub.add_parser("cache", help="the response cache")
    cache.add_argument("action", choices=["clear"], help="forget every cached response")
    cache.set_defaults(handler=cmd_cache)

    sub.add_parser("export-schema", help="print the GraphQL SDL").set_defaults(
        handler=cmd_export_schema
    )
    for extend in EXTRA_COMMANDS:
        extend(sub)
    return parser


# Later layers register their commands here (e.g. prune-tokens), keeping this module small.
EXTRA_COMMANDS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = [
    media_command.register,  # citygraph media migrate
    outbox_command.register,  # citygraph outbox [list|flush|prune]
    import_command.register,  # citygraph import-django
]


def _format_invalid(error: InvalidInput) -> str:
    return "; ".join(
        f"{field}: {' '.join(messages)}" for field, messages in error.messages().items()
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
        args.handler(settings, args)
    except (ConfigurationError, ValidationError) as exc:
        print(f"citygraph: configuration error: {exc}", file=sys.stderr)
        return 2
    except InvalidInput as exc:
        print(f"citygraph: {_format_invalid(exc)}", file=sys.stderr)
        return 1
    except (
        DomainError,
        CommandError,
        StoreError,
        SourceError,
        outbox_command.OutboxNotEmpty,
    ) as exc:
        print(f"citygraph: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"citygraph: database error: {first_line}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"citygraph: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
