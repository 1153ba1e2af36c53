"""``citygraph import-django SOURCE --media-root DIR``: the command line of the import.

The target is citygraph's configured database (``DATABASE_URL``, migrated first) and media
store (``CITYGRAPH_MEDIA_ROOT`` or ``CITYGRAPH_MEDIA_STORAGE``). A progress bar goes to stderr
when it is a terminal; the summary goes to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from citygraph import migrate
from citygraph.config import Settings
from citygraph.importer.run import ImportOptions, count_source, import_django
from citygraph.importer.source import KINDS, SourceError
from citygraph.importer.summary import ImportSummary, format_summary
from citygraph.services import Services


def cmd_import_django(settings: Settings, args: argparse.Namespace) -> None:
    media_root: Path = args.media_root
    if not media_root.is_dir():
        raise SourceError(f"media folder {media_root} does not exist")
    options = ImportOptions(
        source=args.source,
        media_root=media_root,
        dry_run=args.dry_run,
        tables={kind: getattr(args, f"{kind}_table") for kind in KINDS},
    )
    if not args.dry_run:
        migrate.upgrade(settings.effective_database_url)

    async def run() -> ImportSummary:
        _tables, total = await count_source(options)
        services = Services.from_settings(settings)
        try:
            with tqdm(
                total=total, unit=" rows", desc="import-django", file=sys.stderr, disable=None
            ) as bar:
                summary = await import_django(
                    options, services.engine, services.store, progress=bar.update
                )
            if summary.changed:
                services.changes.bump()  # rows written outside the units of work
            return summary
        finally:
            await services.aclose()

    summary = asyncio.run(run())
    if args.report is not None:
        args.report.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=1) + "\n")
    print(format_summary(summary))


def register(sub: argparse._SubParsersAction[Any]) -> None:
    command = sub.add_parser(
        "import-django",
        help="import the original Django service's database and media (idempotent)",
        description="Copy accounts, districts, places and place images, ids preserved, from "
        "the original service's database (a SQLite file or a PostgreSQL URL) into citygraph's, "
        "and their files from its media folder into citygraph's media store, in one "
        "transaction. Rows already imported are left as they are.",
    )
    command.add_argument("source", metavar="SOURCE", help="SQLite file or postgresql:// URL")
    command.add_argument(
        "--media-root", required=True, type=Path, metavar="DIR", help="the original MEDIA_ROOT"
    )
    command.add_argument(
        "--dry-run", action="store_true", help="report what would be imported, write nothing"
    )
    command.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="also write the whole summary as JSON (every skipped row and missing file)",
    )
    for kind in KINDS:
        command.add_argument(
            f"--{kind}-table",
            metavar="TABLE",
            help=f"the source table of the {kind} (default: found by its columns)",
        )
    command.set_defaults(handler=cmd_import_django)
