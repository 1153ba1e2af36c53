"""``citygraph media migrate --to s3://bucket/prefix``: copy the media folder into a store.

The endpoint, region and credentials come from the settings (``CITYGRAPH_S3_ENDPOINT_URL``,
``CITYGRAPH_S3_REGION``, ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``); the folder is
``CITYGRAPH_MEDIA_ROOT`` unless ``--from`` says otherwise. A progress bar goes to stderr when it
is a terminal; the summary goes to stdout. Exit status 1 when anything was not copied.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from citygraph.config import Settings
from citygraph.storage.base import StoreError
from citygraph.storage.factory import open_store, parse_s3_url
from citygraph.storage.migration import MigrationReport, migrate, scan


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def summary(report: MigrationReport, source: Path, target: str) -> str:
    text = (
        f"media migrate: {report.files} files in {source} -> {target}: "
        f"{report.copied} copied ({_mib(report.copied_bytes)}), "
        f"{report.skipped} already there, {len(report.failed)} failed"
    )
    if report.ignored:
        text += f", {len(report.ignored)} hidden or temporary files ignored"
    return text


def cmd_media_migrate(settings: Settings, args: argparse.Namespace) -> None:
    parse_s3_url(args.to)  # a ConfigurationError (exit 2) before anything else
    source: Path = args.source or settings.media_root
    if not source.is_dir():
        raise StoreError(f"media folder {source} does not exist")
    store = open_store(settings, args.to)
    files, ignored = scan(source)

    async def run() -> MigrationReport:
        try:
            await store.check()
            with tqdm(
                total=sum(item.size for item in files),
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc="media migrate",
                file=sys.stderr,
                disable=None,  # no bar unless stderr is a terminal
            ) as bar:
                return await migrate(files, store, jobs=args.jobs, on_progress=bar.update)
        finally:
            await store.aclose()

    report = asyncio.run(run())
    report.ignored = ignored
    print(summary(report, source, store.url))
    for key, reason in report.failed:
        print(f"citygraph: not copied: {key}: {reason}", file=sys.stderr)
    if report.outage:
        raise StoreError(f"media store {store.url} became unavailable: {report.outage}")
    if report.failed:
        raise StoreError(f"{len(report.failed)} files were not copied; run the command again")


def register(sub: argparse._SubParsersAction[Any]) -> None:
    media = sub.add_parser("media", help="manage stored images")
    actions = media.add_subparsers(dest="media_command", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "migrate", help="copy the local media folder into an object store (idempotent)"
    )
    copy.add_argument("--to", required=True, metavar="s3://BUCKET[/PREFIX]")
    copy.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FOLDER",
        help="the folder to copy (default: CITYGRAPH_MEDIA_ROOT)",
    )
    copy.add_argument("--jobs", type=int, default=4, help="files copied at once (default 4)")
    copy.set_defaults(handler=cmd_media_migrate)
