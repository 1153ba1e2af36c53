"""After the soak: every acknowledged write is in the database (and its file on disk, its mail
in the SMTP server's hands) exactly once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from tests.soak.workload import Ledger


@dataclass
class Findings:
    checked: Counter[str] = field(default_factory=Counter)
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def drain_outbox(url: str, seconds: float) -> int:
    """Wait for the workers to deliver the outbox; returns what is still undelivered."""
    deadline = time.monotonic() + seconds
    while True:
        connection = await asyncpg.connect(url)
        try:
            left: int = await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')"
            )
        finally:
            await connection.close()
        if left == 0 or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.5)


async def verify(url: str, ledger: Ledger, media_root: Path, mail: Counter[str]) -> Findings:
    found = Findings()
    connection = await asyncpg.connect(url)
    try:
        places = await connection.fetch("SELECT id, title FROM places WHERE title LIKE 'soak-%'")
        images = await connection.fetch("SELECT id, place_id, image FROM place_images")
        users = await connection.fetch(
            "SELECT username, email FROM users WHERE username LIKE 'soak\\_%'"
        )
        failed_mail = await connection.fetchval("SELECT count(*) FROM outbox WHERE status='failed'")
    finally:
        await connection.close()

    titles = Counter(row["title"] for row in places)
    ids = {row["title"]: row["id"] for row in places}
    for title, place_id in ledger.places.items():
        found.checked["places"] += 1
        if ids.get(title) != place_id:
            found.lost.append(f"place {title} (id {place_id})")
    found.duplicated += [f"place {title} x{n}" for title, n in titles.items() if n > 1]
    extra = len(set(titles) - set(ledger.places))
    if extra:
        found.notes.append(f"{extra} places written without an acknowledgement (unknown outcome)")

    by_id = {row["id"]: row for row in images}
    for image_id, place_id in ledger.images.items():
        found.checked["images"] += 1
        row = by_id.get(image_id)
        if row is None or row["place_id"] != place_id:
            found.lost.append(f"image {image_id} of place {place_id}")
        elif not (media_root / row["image"]).is_file():
            found.lost.append(f"image {image_id}: file {row['image']} missing")
    per_place = Counter(row["place_id"] for row in images)
    acked_per_place = Counter(ledger.images.values())
    for place_id, acked in acked_per_place.items():
        allowed = acked + ledger.image_attempts[place_id]
        if per_place[place_id] > allowed:
            found.duplicated.append(
                f"place {place_id}: {per_place[place_id]} image rows for {acked} uploads"
            )

    emails = Counter(row["email"] for row in users)
    names = {row["username"] for row in users}
    for username, email in ledger.accounts.items():
        found.checked["accounts"] += 1
        if username not in names:
            found.lost.append(f"account {username}")
        found.checked["activation mails"] += 1
        if mail[email] == 0:
            found.lost.append(f"activation mail to {email}")
        elif mail[email] > 1:
            found.duplicated.append(f"activation mail to {email} x{mail[email]}")
    found.duplicated += [f"account e-mail {e} x{n}" for e, n in emails.items() if n > 1]
    if failed_mail:
        found.notes.append(f"{failed_mail} outbox messages given up")
    return found
