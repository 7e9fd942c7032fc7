"""Uploaded images: size-limited, type checked by decoding, re-encoded (drops metadata), random names."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
Image.MAX_IMAGE_PIXELS = 40_000_000  # refuse decompression bombs early


class UploadError(ValueError):
    """A refused upload; str() is a translated message for the member."""


def upload_dir(kind: str) -> Path:
    path = Path(current_app.config["TERREAU_UPLOAD_DIR"]) / kind
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_image(storage, kind: str, *, max_bytes: int, size: tuple[int, int]) -> str:
    """Check and store an uploaded image as WebP no larger than ``size``; returns its new file name."""
    data = storage.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UploadError(_l("The file is too large (at most %(n)d kB).", n=max_bytes // 1024))
    if not data:
        raise UploadError(_l("The file is empty."))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in ALLOWED_FORMATS:
            raise UploadError(_l("Send a PNG, JPEG, GIF or WebP image."))
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA") else image.convert("RGB")
            image.thumbnail(size)
            name = f"{secrets.token_hex(16)}.webp"
            image.save(upload_dir(kind) / name, "WEBP", quality=85)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        if isinstance(exc, UploadError):
            raise
        raise UploadError(_l("This file is not an image we can read.")) from exc
    return name


def delete_upload(kind: str, name: str | None) -> None:
    if name and "/" not in name and ".." not in name:
        (upload_dir(kind) / name).unlink(missing_ok=True)
