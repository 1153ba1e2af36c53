"""SQLModel tables shared by every face of citygraph.

Usernames are unique case-sensitively, as in the original Django service (``Ivan`` and ``ivan``
are two accounts); the REST contract depends on it.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapper
from sqlmodel import Field, SQLModel

from citygraph.sqltypes import Coordinate, UTCDateTime
from citygraph.textfold import fold

# Deterministic constraint names so that Alembic produces the same schema on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def by_value(kind: type[enum.Enum], length: int) -> sa.Enum:
    """A column type storing ``kind``'s values (not its member names), checked on the way in,
    as a plain VARCHAR(``length``) on both databases (no native enum type)."""
    return sa.Enum(
        kind,
        native_enum=False,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class PlaceType(enum.StrEnum):
    UNIQUE_PLACE = "unique_place"
    PARK = "park"
    MUSEUM = "museum"
    TEMPLE = "temple"
    MONUMENT = "monument"


#: Table options of every table with an integer primary key: on SQLite, ``AUTOINCREMENT``, so a
#: deleted row's id is never handed to a new row (a deleted account's tokens carry its id).
#: PostgreSQL's sequences never reuse a value anyway. Migration 0006 rebuilds older tables.
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


class User(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=sa.Column(sa.String(150), nullable=False, unique=True))
    email: str = Field(default="", sa_column=sa.Column(sa.String(254), nullable=False, index=True))
    password: str = Field(sa_column=sa.Column(sa.String(128), nullable=False))
    is_active: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    is_staff: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    is_superuser: bool = Field(default=False, sa_column=sa.Column(sa.Boolean, nullable=False))
    date_joined: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    last_login: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    #: Moved by logout, deactivation and a password change: admin sessions signed with an
    #: older value are refused (``domain.accounts.end_sessions``).
    session_version: int = Field(
        default=0, sa_column=sa.Column(sa.Integer, nullable=False, server_default="0")
    )


#: Indexes the migrations create that the models cannot declare for both databases, both on
#: PostgreSQL only: ``(title COLLATE "ru-x-icu", id)`` (migration 0005), for ordering by title;
#: the GIN trigram index on ``title_folded`` (migration 0010), for title search (SQLite scans).
DATABASE_ONLY_INDEXES = frozenset({"ix_places_title_ru", "ix_places_title_folded"})
#: The narrow copy of ``places`` (``id``, ``district_id``, ``type``, ``title_folded``) with its own
#: trigram index, where title search counts (``domain.filters.counts_in_search_table``): on
#: PostgreSQL only (migration 0011), kept by triggers on ``places`` rather than by the models.
PLACE_SEARCH = "place_search"
#: Tables the migrations create on PostgreSQL only.
DATABASE_ONLY_TABLES = frozenset({PLACE_SEARCH})


class District(SQLModel, table=True):
    __tablename__ = "districts"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    abbreviation: str = Field(default="", sa_column=sa.Column(sa.String(10), nullable=False))
    image: str | None = Field(default=None, sa_column=sa.Column(sa.String(255)))


def _folded_title(context: DefaultExecutionContext) -> str:
    """The column default of ``places.title_folded``: Core inserts fold the row's own title."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return fold(parameters["title"])


class Place(SQLModel, table=True):
    __tablename__ = "places"
    __table_args__ = (
        sa.Index("ix_places_latitude_longitude", "latitude", "longitude"),
        sa.Index("ix_places_type_id", "type", "id"),
        sa.Index("ix_places_district_id_id", "district_id", "id"),
        # and DATABASE_ONLY_INDEXES
        NEVER_REUSE_IDS,
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    #: ``fold(title)``, what title search matches with ``LIKE``: set on every ORM write by
    #: ``_fold_title`` and on Core inserts that leave it out by ``_folded_title``; asyncpg's
    #: ``COPY`` (``demo.perfload``) passes it itself. Text: folding may lengthen (``ß`` → ``ss``).
    title_folded: str = Field(
        default="", sa_column=sa.Column(sa.Text, nullable=False, default=_folded_title)
    )
    short_description: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))
    full_description: str = Field(default="", sa_column=sa.Column(sa.Text, nullable=False))
    longitude: Decimal = Field(sa_column=sa.Column(Coordinate, nullable=False))
    latitude: Decimal = Field(sa_column=sa.Column(Coordinate, nullable=False))
    type: PlaceType = Field(
        default=PlaceType.UNIQUE_PLACE,
        sa_column=sa.Column(
            by_value(PlaceType, 32),
            nullable=False,
        ),
    )
    district_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("districts.id", ondelete="RESTRICT"),
            nullable=False,
        )
    )


@sa.event.listens_for(Place, "before_insert")
@sa.event.listens_for(Place, "before_update")
def _fold_title(_mapper: Mapper[Place], _connection: sa.Connection, place: Place) -> None:
    """Keep ``title_folded`` right on every ORM write (domain, admin, demo loader)."""
    place.title_folded = fold(place.title)


class PlaceImage(SQLModel, table=True):
    __tablename__ = "place_images"
    __table_args__ = NEVER_REUSE_IDS

    id: int | None = Field(default=None, primary_key=True)
    image: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    place_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("places.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )


class BlacklistedToken(SQLModel, table=True):
    """Refresh tokens that were rotated or logged out; shared by every worker via the database."""

    __tablename__ = "token_blacklist"

    jti: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    user_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer, index=True))
    expires_at: datetime = Field(sa_column=sa.Column(UTCDateTime, nullable=False, index=True))
    blacklisted_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )


class PersistedQuery(SQLModel, table=True):
    """Documents clients registered by their SHA-256 (automatic persisted queries): shared by
    every worker and machine, so a hash registered on one is known to all
    (``domain.documents`` keeps the table capped)."""

    __tablename__ = "persisted_queries"

    sha256: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    document: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False, index=True)
    )


class ChangeLog(SQLModel, table=True):
    """One change staff made to a district, place, image or account (Django's ``LogEntry``).

    Written by ``domain.changelog`` at flush time; read by the admin's start page. The actor's
    name and the object's label are copied, so that an entry outlives what it names. Ids are never
    reused (``AUTOINCREMENT`` on SQLite), so "newest first" is "highest id first".
    """

    __tablename__ = "change_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False))
    actor_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    actor: str = Field(default="", sa_column=sa.Column(sa.String(150), nullable=False))
    action: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    object_id: int | None = Field(default=None, sa_column=sa.Column(sa.Integer))
    object_repr: str = Field(default="", sa_column=sa.Column(sa.String(200), nullable=False))
    fields: str = Field(default="", sa_column=sa.Column(sa.String(300), nullable=False))


metadata = SQLModel.metadata


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a worker until ``next_attempt_at`` (the lease)
    SENT = "sent"
    FAILED = "failed"  # given up after the last attempt; kept for the operator


class OutboxMessage(SQLModel, table=True):
    """One outgoing e-mail, written in the transaction of the change that causes it.

    The delivery worker (``citygraph.outbox``) claims due rows, sends them and marks them sent;
    ``message_id`` is fixed when the row is written, so a retry carries the same ``Message-ID``.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    message_id: str = Field(sa_column=sa.Column(sa.String(255), nullable=False, unique=True))
    recipient: str = Field(sa_column=sa.Column(sa.String(254), nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    body: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING,
        sa_column=sa.Column(
            by_value(OutboxStatus, 16),
            nullable=False,
        ),
    )
    attempts: int = Field(default=0, sa_column=sa.Column(sa.Integer, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime, nullable=False)
    )
    claim: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    sent_at: datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime))
    last_error: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
