"""Outgoing e-mail over SMTP, configured by TERREAU_SMTP_URL.

``smtp://user:pass@host:587?starttls=1`` (STARTTLS), ``smtps://user:pass@host:465`` (TLS) or
``smtp://127.0.0.1:1025`` (plain, for a local relay). Without TERREAU_SMTP_URL the mail is
written to the log instead, so a first installation can still read its reset links.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

log = logging.getLogger("terreau.mail")


def send_mail(to: str, subject: str, body: str) -> bool:
    """Send a plain-text mail; returns False (and logs) on failure instead of raising."""
    message = EmailMessage()
    message["From"] = current_app.config["TERREAU_MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="terreau.local")
    message.set_content(body)
    url = current_app.config.get("TERREAU_SMTP_URL")
    if not url:
        log.warning("TERREAU_SMTP_URL is not set; mail to %s not sent:\n%s\n%s", to, subject, body)
        return False
    try:
        _deliver(url, message)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.error("could not send mail to %s: %s", to, exc)
        return False


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
