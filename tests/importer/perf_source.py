"""Write a Django-shaped copy of the benchmark data set, the source for timing the import.

    python -m tests.importer.perf_source OUT.sqlite3 [--scale large] [--users 1000]

The tables are those Django's ``migrate`` creates for the original (``auth_user``,
``guide_district``, ``guide_place``, ``guide_placeimage``, the DDL Django 5.2 emits on SQLite),
filled with the rows of ``citygraph.demo.perfdata`` (the same ones ``citygraph load-perf-data``
loads: 12 districts, 120,000 places and 360,000 image rows at ``large``) and ``--users``
accounts sharing one ``pbkdf2_sha256`` hash. Image files are not written (as with
``load-perf-data``): every photo is reported missing, which the import's timing includes.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import sqlite3
from pathlib import Path

from citygraph.demo.perfdata import DEFAULT_SEED, districts, place_batches

DDL = (
    'CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "password" '
    'varchar(128) NOT NULL, "last_login" datetime NULL, "is_superuser" bool NOT NULL, '
    '"username" varchar(150) NOT NULL UNIQUE, "last_name" varchar(150) NOT NULL, "email" '
    'varchar(254) NOT NULL, "is_staff" bool NOT NULL, "is_active" bool NOT NULL, "date_joined" '
    'datetime NOT NULL, "first_name" varchar(150) NOT NULL)',
    'CREATE TABLE "guide_district" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" '
    'varchar(100) NOT NULL, "abbreviation" varchar(10) NOT NULL, "image" varchar(100) NULL)',
    'CREATE TABLE "guide_place" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" '
    'varchar(200) NOT NULL, "short_description" varchar(300) NOT NULL, "full_description" text '
    'NOT NULL, "longitude" decimal NOT NULL, "latitude" decimal NOT NULL, "type" varchar(20) '
    'NOT NULL, "district_id" integer NOT NULL REFERENCES "guide_district" ("id") DEFERRABLE '
    "INITIALLY DEFERRED)",
    'CREATE INDEX "guide_place_district_id_6a78b3a1" ON "guide_place" ("district_id")',
    'CREATE TABLE "guide_placeimage" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "image" '
    'varchar(100) NOT NULL, "place_id" integer NOT NULL REFERENCES "guide_place" ("id") '
    "DEFERRABLE INITIALLY DEFERRED)",
    'CREATE INDEX "guide_placeimage_place_id_df8a75b3" ON "guide_placeimage" ("place_id")',
)


def django_pbkdf2(
    password: str, salt: str = "perfsaltperfsalt", iterations: int = 1_000_000
) -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode()}"


def write(path: Path, scale: str, users: int) -> None:
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        for statement in DDL:
            db.execute(statement)
        password = django_pbkdf2("Perf-Password-2024")
        db.executemany(
            "INSERT INTO auth_user VALUES (?, ?, NULL, 0, ?, '', ?, 0, 1, ?, '')",
            (
                (n, password, f"user{n}", f"user{n}@example.com", "2024-09-17 10:00:00")
                for n in range(1, users + 1)
            ),
        )
        db.executemany("INSERT INTO guide_district VALUES (?, ?, ?, ?)", districts())
        for batch in place_batches(scale, DEFAULT_SEED):  # type: ignore[arg-type]
            db.executemany(
                "INSERT INTO guide_place VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                ((*p[:4], str(p.longitude), str(p.latitude), *p[6:]) for p in batch.places),
            )
            db.executemany("INSERT INTO guide_placeimage VALUES (?, ?, ?)", batch.images)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", choices=["small", "large"], default="large")
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    write(args.out, args.scale, args.users)
