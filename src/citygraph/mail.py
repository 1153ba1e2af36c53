"""Outgoing e-mail: account activation and password-reset messages, in Russian and English.

Transport: ``aiosmtplib`` when ``CITYGRAPH_SMTP_URL`` is set, for example
``smtp://user:pass@mail.example.com:587?starttls=1`` (STARTTLS), ``smtps://user:pass@host``
(implicit TLS, port 465) or ``smtp://127.0.0.1:1025`` (no authentication). Query parameters:
``starttls=1|0`` (default: use STARTTLS when the server offers it) and ``timeout`` (seconds,
default 10). Without an SMTP URL the message is written to the ``citygraph.mail`` log instead,
which is what development wants (the activation link appears in the server output).

Links are a base (:func:`link_base`) joined with ``settings.activation_url_template`` /
``settings.password_reset_url_template`` / ``settings.username_reset_url_template`` (djoser's
``ACTIVATION_URL``, ``USERNAME_RESET_CONFIRM_URL`` and ``PASSWORD_RESET_CONFIRM_URL``, with
``{uid}`` and ``{token}``); a template that is already an absolute URL is used as it is. The
default templates point at citygraph's own pages, so a link opens where the mail was asked for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from citygraph.config import Settings

log = logging.getLogger("citygraph.mail")

DEFAULT_TIMEOUT = 10.0
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class MailConfigurationError(ValueError):
    """``CITYGRAPH_SMTP_URL`` cannot be understood."""


@dataclass(frozen=True)
class SmtpConfig:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    start_tls: bool | None
    timeout: float


def parse_smtp_url(url: str) -> SmtpConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise MailConfigurationError("CITYGRAPH_SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise MailConfigurationError("CITYGRAPH_SMTP_URL has no host")
    query = {key: values[-1].lower() for key, values in parse_qs(parts.query).items()}
    start_tls: bool | None = None
    if "starttls" in query:
        if query["starttls"] not in _TRUE | _FALSE:
            raise MailConfigurationError("starttls must be 1 or 0")
        start_tls = query["starttls"] in _TRUE
    use_tls = parts.scheme == "smtps"
    try:
        timeout = float(query.get("timeout", DEFAULT_TIMEOUT))
        port = parts.port or (465 if use_tls else 25)
    except ValueError as exc:
        raise MailConfigurationError(f"CITYGRAPH_SMTP_URL: {exc}") from exc
    return SmtpConfig(
        hostname=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=use_tls,
        start_tls=False if use_tls else start_tls,
        timeout=timeout,
    )


class Mailer:
    """Sends one plain-text UTF-8 message per call; SMTP when configured, the log otherwise."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None

    def build(
        self,
        to: str,
        subject: str,
        body: str,
        *,
        message_id: str | None = None,
        date: datetime | None = None,
    ) -> EmailMessage:
        """The message; the outbox passes its row's ``Message-ID`` and time, the same on retries."""
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(date) if date else formatdate(localtime=False)
        message["Message-ID"] = message_id or new_message_id()
        message.set_content(body, charset="utf-8")
        return message

    @property
    def send_timeout(self) -> float:
        """The most one delivery may take: the SMTP timeout bounds each command, this the whole."""
        return 2 * (self.smtp.timeout if self.smtp else DEFAULT_TIMEOUT)

    async def send(self, to: str, subject: str, body: str) -> None:
        """Deliver a message; raises ``aiosmtplib.SMTPException``/``OSError`` on failure."""
        await self.deliver(self.build(to, subject, body))

    async def deliver(self, message: EmailMessage) -> None:
        """Deliver a built message (SMTP, or the log without an SMTP URL); raises on failure:
        ``aiosmtplib.SMTPException``, ``OSError`` or ``TimeoutError`` (``send_timeout``)."""
        if self.smtp is None:
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            log.info(
                "e-mail (no CITYGRAPH_SMTP_URL set) to %s: %s\n%s",
                message["To"],
                message["Subject"],
                text,
            )
            return
        async with asyncio.timeout(self.send_timeout):
            await aiosmtplib.send(
                message,
                hostname=self.smtp.hostname,
                port=self.smtp.port,
                username=self.smtp.username,
                password=self.smtp.password,
                use_tls=self.smtp.use_tls,
                start_tls=self.smtp.start_tls,
                timeout=self.smtp.timeout,
            )


def new_message_id() -> str:
    return make_msgid(domain="citygraph")


#: The base of links when neither a setting nor a request names one (the command line).
FALLBACK_SITE_URL = "http://127.0.0.1:8000/"


def link_base(settings: Settings, site_url: str | None) -> str:
    """Where links point: a deployment's own frontend (``CITYGRAPH_FRONTEND_URL``), else the
    public URL, else the URL the request was served at (``site_url``; the faces pass the host
    only when it is trusted, see ``web.state.base_url_of``)."""
    return settings.frontend_url or settings.public_url or site_url or FALLBACK_SITE_URL


def account_link(
    settings: Settings, template: str, uid: str, token: str, site_url: str | None = None
) -> str:
    path = template.format(uid=uid, token=token)
    if "://" in path:
        return path
    return f"{link_base(settings, site_url).rstrip('/')}/{path.lstrip('/')}"


def _lifetime_text(seconds: int) -> tuple[str, str]:
    if seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} дн.", f"{days} day{'s' if days != 1 else ''}"
    hours = max(1, round(seconds / 3600))
    return f"{hours} ч.", f"{hours} hour{'s' if hours != 1 else ''}"


@dataclass(frozen=True)
class _LinkMail:
    """The texts of one kind of account-link message; the skeleton is in ``_link_message``."""

    subject: str
    url_template: Callable[[Settings], str]
    ru_reason: str
    ru_action: str
    ru_otherwise: str
    en_reason: str
    en_action: str
    en_otherwise: str


_ACTIVATION = _LinkMail(
    subject="Активация аккаунта citygraph / Activate your citygraph account",
    url_template=lambda settings: settings.activation_url_template,
    ru_reason="Вы зарегистрировались в citygraph — путеводителе по Москве.",
    ru_action="Чтобы активировать аккаунт",
    ru_otherwise="Если вы не регистрировались, просто не отвечайте на это письмо.",
    en_reason="You signed up for citygraph, the Moscow city guide.",
    en_action="To activate your account",
    en_otherwise="If you did not sign up, simply ignore this message.",
)
_PASSWORD_RESET = _LinkMail(
    subject="Сброс пароля citygraph / Reset your citygraph password",
    url_template=lambda settings: settings.password_reset_url_template,
    ru_reason="Кто-то (надеемся, вы) запросил сброс пароля для вашего аккаунта citygraph.",
    ru_action="Чтобы задать новый пароль",
    ru_otherwise="Если вы не запрашивали сброс, ничего делать не нужно: пароль останется прежним.",
    en_reason="Someone (hopefully you) asked to reset the password of your citygraph account.",
    en_action="To choose a new password",
    en_otherwise="If you did not ask for this, do nothing: your password stays as it is.",
)
_USERNAME_RESET = _LinkMail(
    subject="Смена имени пользователя citygraph / Change your citygraph username",
    url_template=lambda settings: settings.username_reset_url_template,
    ru_reason=(
        "Кто-то (надеемся, вы) запросил смену имени пользователя вашего аккаунта citygraph."
    ),
    ru_action="Чтобы выбрать новое имя",
    ru_otherwise="Если вы не запрашивали смену имени, ничего делать не нужно.",
    en_reason="Someone (hopefully you) asked to change the username of your citygraph account.",
    en_action="To choose a new username",
    en_otherwise="If you did not ask for this, do nothing: your username stays as it is.",
)


@dataclass(frozen=True)
class LinkParts:
    """What one account-link message names: the account, its uid and token, the site."""

    username: str
    uid: str
    token: str
    site_url: str | None = None


def _link_message(texts: _LinkMail, settings: Settings, parts: LinkParts) -> tuple[str, str]:
    """Subject and bilingual body (Russian, then English) of a one-time account link."""
    link = account_link(
        settings, texts.url_template(settings), parts.uid, parts.token, parts.site_url
    )
    username = parts.username
    ru_time, en_time = _lifetime_text(settings.account_token_lifetime)
    body = (
        f"Здравствуйте, {username}!\n\n"
        f"{texts.ru_reason} {texts.ru_action}, откройте ссылку:\n\n"
        f"{link}\n\n"
        f"Ссылка действует {ru_time} и срабатывает один раз. {texts.ru_otherwise}\n\n"
        "---\n\n"
        f"Hello {username},\n\n"
        f"{texts.en_reason} {texts.en_action}, open this link:\n\n"
        f"{link}\n\n"
        f"The link is valid for {en_time} and works once. {texts.en_otherwise}\n"
    )
    return texts.subject, body


def activation_message(settings: Settings, parts: LinkParts) -> tuple[str, str]:
    return _link_message(_ACTIVATION, settings, parts)


def password_reset_message(settings: Settings, parts: LinkParts) -> tuple[str, str]:
    return _link_message(_PASSWORD_RESET, settings, parts)


def username_reset_message(settings: Settings, parts: LinkParts) -> tuple[str, str]:
    return _link_message(_USERNAME_RESET, settings, parts)
