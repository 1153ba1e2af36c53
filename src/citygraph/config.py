"""Settings: one object, read from the environment (and an optional ``.env`` file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEV_SECRET_KEY = "citygraph-development-secret-key-do-not-use-in-production"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/citygraph.sqlite3"


class ConfigurationError(Exception):
    """Settings that must not be used to start the app (e.g. production with the dev key)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str | None = Field(default=None, validation_alias="DATABASE_URL")
    secret_key: str = Field(default=DEV_SECRET_KEY, validation_alias="CITYGRAPH_SECRET_KEY")
    env: Literal["development", "production"] = Field(
        default="development", validation_alias="CITYGRAPH_ENV"
    )
    media_root: Path = Field(default=Path("var/media"), validation_alias="CITYGRAPH_MEDIA_ROOT")
    media_url: str = Field(default="/media/", validation_alias="CITYGRAPH_MEDIA_URL")
    public_url: str | None = Field(default=None, validation_alias="CITYGRAPH_PUBLIC_URL")
    # media storage: the folder above unless an object store is named (citygraph.storage)
    media_storage: str | None = Field(default=None, validation_alias="CITYGRAPH_MEDIA_STORAGE")
    s3_endpoint_url: str | None = Field(default=None, validation_alias="CITYGRAPH_S3_ENDPOINT_URL")
    s3_region: str | None = Field(default=None, validation_alias="CITYGRAPH_S3_REGION")
    aws_access_key_id: str | None = Field(default=None, validation_alias="AWS_ACCESS_KEY_ID")
    aws_secret_access_key: SecretStr | None = Field(
        default=None, validation_alias="AWS_SECRET_ACCESS_KEY"
    )
    media_public_url: str | None = Field(
        default=None, validation_alias="CITYGRAPH_MEDIA_PUBLIC_URL"
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["*"], validation_alias="CITYGRAPH_ALLOWED_HOSTS"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias="CITYGRAPH_CORS_ORIGINS"
    )
    log_level: str = Field(default="info", validation_alias="CITYGRAPH_LOG_LEVEL")
    # One JSON line per request on the ``citygraph.access`` log (citygraph.web.observe).
    log_format: Literal["text", "json"] = Field(
        default="text", validation_alias="CITYGRAPH_LOG_FORMAT"
    )
    # Prometheus /metrics: on in development, off in production unless switched on; with a
    # token it answers only ``Authorization: Bearer <token>``.
    metrics: bool | None = Field(default=None, validation_alias="CITYGRAPH_METRICS")
    metrics_token: SecretStr | None = Field(
        default=None, validation_alias="CITYGRAPH_METRICS_TOKEN"
    )

    # accounts and tokens
    bcrypt_rounds: int = Field(default=12, ge=4, le=31, validation_alias="CITYGRAPH_BCRYPT_ROUNDS")
    access_token_lifetime: int = Field(
        default=300, gt=0, validation_alias="CITYGRAPH_ACCESS_TOKEN_LIFETIME"
    )
    refresh_token_lifetime: int = Field(
        default=86400, gt=0, validation_alias="CITYGRAPH_REFRESH_TOKEN_LIFETIME"
    )
    rotate_refresh_tokens: bool = Field(
        default=False, validation_alias="CITYGRAPH_ROTATE_REFRESH_TOKENS"
    )
    jwt_algorithm: Literal["HS256", "RS256", "ES256"] = Field(
        default="HS256", validation_alias="CITYGRAPH_JWT_ALGORITHM"
    )
    jwt_private_key_file: Path | None = Field(
        default=None, validation_alias="CITYGRAPH_JWT_PRIVATE_KEY_FILE"
    )
    jwt_public_key_file: Path | None = Field(
        default=None, validation_alias="CITYGRAPH_JWT_PUBLIC_KEY_FILE"
    )
    account_token_lifetime: int = Field(
        default=3 * 86400, gt=0, validation_alias="CITYGRAPH_ACCOUNT_TOKEN_LIFETIME"
    )
    smtp_url: str | None = Field(default=None, validation_alias="CITYGRAPH_SMTP_URL")
    mail_from: str = Field(
        default="citygraph <noreply@citygraph.local>", validation_alias="CITYGRAPH_MAIL_FROM"
    )
    # Links in e-mails: the base is CITYGRAPH_FRONTEND_URL (a deployment's own frontend), else
    # the public URL, else the serving host (citygraph.mail.link_base); the default templates
    # are the built-in pages (citygraph.web.account_pages). djoser's are "#/activate/{uid}/{token}"
    # and so on, which the start page forwards to these pages.
    frontend_url: str | None = Field(default=None, validation_alias="CITYGRAPH_FRONTEND_URL")
    activation_url_template: str = Field(
        default="activate/{uid}/{token}", validation_alias="CITYGRAPH_ACTIVATION_URL"
    )
    password_reset_url_template: str = Field(
        default="password/reset/confirm/{uid}/{token}",
        validation_alias="CITYGRAPH_PASSWORD_RESET_URL",
    )
    username_reset_url_template: str = Field(
        default="username/reset/confirm/{uid}/{token}",
        validation_alias="CITYGRAPH_USERNAME_RESET_URL",
    )
    # The mail outbox (citygraph.outbox): attempts before a message is given up (kept, listed by
    # ``citygraph outbox``), the first retry's delay (doubling, with jitter, at most an hour)
    # and how often a worker looks for due mail when nothing woke it.
    mail_max_attempts: int = Field(default=8, gt=0, validation_alias="CITYGRAPH_MAIL_MAX_ATTEMPTS")
    mail_retry_delay: float = Field(
        default=30.0, gt=0, validation_alias="CITYGRAPH_MAIL_RETRY_DELAY"
    )
    mail_poll_interval: float = Field(
        default=5.0, gt=0, validation_alias="CITYGRAPH_MAIL_POLL_INTERVAL"
    )
    # Sent messages (recipient, subject, times; their bodies are erased when sent) are deleted
    # this many days after sending, by the delivery workers and ``citygraph outbox prune``;
    # failed and unsent ones stay until delivered or retried.
    outbox_keep_sent_days: int = Field(
        default=7, ge=0, validation_alias="CITYGRAPH_OUTBOX_KEEP_SENT_DAYS"
    )
    redis_url: str | None = Field(default=None, validation_alias="CITYGRAPH_REDIS_URL")
    rate_limit_login: str = Field(
        default="10/minute", validation_alias="CITYGRAPH_RATE_LIMIT_LOGIN"
    )
    rate_limit_register: str = Field(
        default="20/hour", validation_alias="CITYGRAPH_RATE_LIMIT_REGISTER"
    )
    # resend_activation, reset_password, reset_username: one budget per address and per e-mail.
    rate_limit_mail: str = Field(default="5/hour", validation_alias="CITYGRAPH_RATE_LIMIT_MAIL")

    # GraphQL limits
    graphql_max_depth: int = Field(default=10, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_DEPTH")
    graphql_max_aliases: int = Field(
        default=30, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_ALIASES"
    )
    graphql_max_tokens: int = Field(
        default=2000, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_TOKENS"
    )
    # Live updates: operations one WebSocket may run at once (an SSE stream runs one).
    graphql_max_subscriptions: int = Field(
        default=20, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_SUBSCRIPTIONS"
    )
    # The estimated fields of a query's answer (graphql.cost), the size lists without a page
    # count as, and the largest response body sent (a GraphQL error instead).
    graphql_max_cost: int = Field(
        default=100_000, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_COST"
    )
    graphql_list_size: int = Field(default=20, gt=0, validation_alias="CITYGRAPH_GRAPHQL_LIST_SIZE")
    graphql_max_response_bytes: int = Field(
        default=10_000_000, gt=0, validation_alias="CITYGRAPH_GRAPHQL_MAX_RESPONSE_BYTES"
    )
    # Every face: JSON and form bodies (multipart: plus the upload limit per accepted file).
    max_body_bytes: int = Field(
        default=1_000_000,
        gt=0,
        validation_alias=AliasChoices(
            "CITYGRAPH_MAX_BODY_BYTES", "CITYGRAPH_GRAPHQL_MAX_BODY_BYTES"
        ),
    )
    # A manifest of the only documents to run (GraphQL Code Generator's client preset, Relay
    # or Apollo format), requested by id; unset: any document, plus automatic persisted queries.
    trusted_documents: Path | None = Field(
        default=None, validation_alias="CITYGRAPH_TRUSTED_DOCUMENTS"
    )
    compiled_reads: bool = Field(default=True, validation_alias="CITYGRAPH_COMPILED_READS")
    response_cache: bool = Field(default=True, validation_alias="CITYGRAPH_RESPONSE_CACHE")
    runtime_dir: Path | None = Field(default=None, validation_alias="CITYGRAPH_RUNTIME_DIR")
    graphiql: bool | None = Field(default=None, validation_alias="CITYGRAPH_GRAPHIQL")
    introspection: bool | None = Field(default=None, validation_alias="CITYGRAPH_INTROSPECTION")
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, gt=0, validation_alias="CITYGRAPH_MAX_UPLOAD_BYTES"
    )
    # Width x height of an accepted image, well below Pillow's decompression-bomb limit.
    max_image_pixels: int = Field(
        default=40_000_000, gt=0, validation_alias="CITYGRAPH_MAX_IMAGE_PIXELS"
    )

    @field_validator("allowed_hosts", "cors_origins", mode="before")
    @classmethod
    def _split_csv(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("media_storage")
    @classmethod
    def _storage_url(cls, value: str | None) -> str | None:
        value = (value or "").strip()
        if value and not (value.startswith("s3://") and value[5:].split("/", 1)[0]):
            raise ValueError("use s3://bucket[/prefix], or leave it unset for the media folder")
        return value or None

    @property
    def effective_database_url(self) -> str:
        return self.database_url or DEFAULT_DATABASE_URL

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def uses_embedded_default(self) -> bool:
        """True when no DATABASE_URL was given: serve may then migrate and load demo data."""
        return self.database_url is None

    @property
    def graphiql_enabled(self) -> bool:
        return self.graphiql if self.graphiql is not None else not self.is_production

    @property
    def metrics_enabled(self) -> bool:
        """Served when asked for, or outside production, or in production behind a token."""
        if self.metrics is not None:
            return self.metrics
        return not self.is_production or self.metrics_token is not None

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_production

    def check_startable(self) -> None:
        """Refuse settings that are unsafe to serve with."""
        if self.is_production and (not self.secret_key or self.secret_key == DEV_SECRET_KEY):
            raise ConfigurationError(
                "CITYGRAPH_SECRET_KEY must be set to a private value when CITYGRAPH_ENV=production"
            )
        if self.is_production and len(self.secret_key) < 32:
            raise ConfigurationError("CITYGRAPH_SECRET_KEY must be at least 32 characters long")
