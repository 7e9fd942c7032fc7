"""Outgoing e-mail over SMTP, configured by TERREAU_SMTP_URL.

``smtp://user:pass@host:587?starttls=1`` (STARTTLS), ``smtps://user:pass@host:465`` (TLS) or
``smtp://127.0.0.1:1025`` (plain, for a local relay). Without TERREAU_SMTP_URL the mail is
written to the log instead, so a first installation can still read its reset links.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import threading
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

log = logging.getLogger("terreau.mail")


def _message(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["TERREAU_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="terreau.local")
    message.set_content(body)
    return message


def _send(url: str | None, message: EmailMessage) -> bool:
    if not url:
        log.warning("TERREAU_SMTP_URL is not set; mail to %s not sent:\n%s\n%s", message["To"], message["Subject"],
                    message.get_content())
        return False
    try:
        _deliver(url, message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send mail to %s: %s", message["To"], exc)
        return False


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text mail now (security mails); returns False (and logs) on failure."""
    return _send(current_app.config.get("TERREAU_SMTP_URL"), _message(to, subject, body))


# Notification mails leave from one background thread per process, so a request that notifies
# many members does not wait for the SMTP server. A process that stops drops what is queued:
# notifications stay in the app, the mail is a convenience.
_outbox = ThreadPoolExecutor(max_workers=1, thread_name_prefix="terreau-mail")
_pending = 0
_pending_lock = threading.Condition()


def send_later(mails: list[tuple[str, str, str]]) -> None:
    """Queue (to, subject, body) mails for the background sender."""
    global _pending
    if not mails:
        return
    url = current_app.config.get("TERREAU_SMTP_URL")
    messages = [_message(*mail) for mail in mails]
    with _pending_lock:
        _pending += 1
    _outbox.submit(_send_all, url, messages)


def _send_all(url, messages) -> None:
    global _pending
    try:
        for message in messages:
            _send(url, message)
    finally:
        with _pending_lock:
            _pending -= 1
            _pending_lock.notify_all()


def drain(timeout: float = 10.0) -> bool:
    """Wait until queued mails are sent (tests, and a clean shutdown); True if the queue is empty."""
    with _pending_lock:
        return _pending_lock.wait_for(lambda: _pending == 0, timeout=timeout)


def _deliver(url: str, message: EmailMessage) -> None:
    parts = urlsplit(url)
    options = parse_qs(parts.query)
    host = parts.hostname or "127.0.0.1"
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(host, parts.port or 465, timeout=10, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, parts.port or 25, timeout=10)
    with client:
        if parts.scheme == "smtp" and options.get("starttls", ["0"])[0] in {"1", "true", "yes"}:
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)
