"""Field-action kits: talking points, a script and a checklist (Markdown and plain lines), and
materials (leaflets, posters) uploaded as PDF or images, versioned by name, downloaded as
attachments with a download count.

Plain functions, no HTTP. Organisers (and above) edit kits; every logged-in member reads them.
An upload is checked by its content, never by its name or the browser's media type: a PDF must
begin with ``%PDF-`` and end with its ``%%EOF`` trailer after a ``startxref`` (pypdf is not a
dependency; this refuses HTML, scripts and archives renamed ``.pdf``), an image must decode with
Pillow. Files are stored under random names and the original name is only sent back in the
``Content-Disposition`` of the download.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask_babel import lazy_gettext as _l
from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community.extensions import db
from community.markdown import render_markdown
from community.settings import module_setting
from community.timeutil import utcnow
from community.uploads import upload_dir

from .models import CoordinationKit, CoordinationMaterial

UPLOAD_KIND = "coordination"  # the folder under TERREAU_UPLOAD_DIR
STAFF_ROLE = "organiser"
MAX_TITLE = 200
MAX_SUMMARY = 1_000
MAX_TEXT = 20_000
MAX_CHECKLIST_ITEMS = 100
MAX_MATERIAL_NAME = 120
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"PNG": ("image/png", ".png"), "JPEG": ("image/jpeg", ".jpg"), "GIF": ("image/gif", ".gif"),
               "WEBP": ("image/webp", ".webp")}
PDF_TYPE = ("application/pdf", ".pdf")


class KitError(ValueError):
    """A refused action; ``errors`` maps a form field ("" for the whole form) to translated messages."""

    def __init__(self, errors):
        if not isinstance(errors, dict):
            errors = {"": [errors]}
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


# --- rights and reading -------------------------------------------------------------------------


def can_edit(member) -> bool:
    """Organisers, moderators and admins write kits."""
    return bool(member is not None and getattr(member, "is_authenticated", False) and member.has_role(STAFF_ROLE))


def list_kits(*, archived: bool = False) -> list[CoordinationKit]:
    query = select(CoordinationKit).order_by(func.lower(CoordinationKit.title), CoordinationKit.id)
    if not archived:
        query = query.where(CoordinationKit.archived_at.is_(None))
    return list(db.session.scalars(query))


def get_kit(kit_id: int | None) -> CoordinationKit | None:
    return db.session.get(CoordinationKit, kit_id) if kit_id else None


def kit_choices() -> list[tuple[int, str]]:
    """(id, title) of the kits that can be attached to an event or a campaign (not archived)."""
    return [(kit.id, kit.title) for kit in list_kits()]


def check_kit_id(value: int | None) -> int | None:
    """``value`` if it names an existing kit (or is empty), else a KitError for the "kit" field."""
    if not value:
        return None
    if get_kit(value) is None:
        raise KitError({"kit": [_l("This kit does not exist.")]})
    return value


@dataclass
class AttachedKit:
    """What an event or campaign page shows of its kit: the kit and its current materials."""

    kit: CoordinationKit
    materials: list[CoordinationMaterial]


def kit_for(kit_id: int | None) -> AttachedKit | None:
    """The kit attached to an event or a campaign, with its current materials (two queries)."""
    kit = get_kit(kit_id)
    if kit is None:
        return None
    return AttachedKit(kit=kit, materials=current_materials(kit.id))


def checklist_items(kit: CoordinationKit) -> list[str]:
    return [line.strip().lstrip("-*•").strip() for line in (kit.checklist or "").splitlines()
            if line.strip().lstrip("-*•").strip()]


def talking_points_html(kit: CoordinationKit):
    return render_markdown(kit.talking_points)


def script_html(kit: CoordinationKit):
    return render_markdown(kit.script)


# --- writing kits -------------------------------------------------------------------------------


def validate_kit(*, title: str, summary: str, talking_points: str, script: str, checklist: str) -> dict[str, list]:
    errors: dict[str, list] = {}
    if not title.strip():
        errors["title"] = [_l("Give the kit a title.")]
    elif len(title.strip()) > MAX_TITLE:
        errors["title"] = [_l("A title has at most %(n)d characters.", n=MAX_TITLE)]
    if len(summary) > MAX_SUMMARY:
        errors["summary"] = [_l("The summary has at most %(n)d characters.", n=MAX_SUMMARY)]
    for name, value in (("talking_points", talking_points), ("script", script), ("checklist", checklist)):
        if len(value) > MAX_TEXT:
            errors[name] = [_l("At most %(n)d characters.", n=MAX_TEXT)]
    if len([line for line in checklist.splitlines() if line.strip()]) > MAX_CHECKLIST_ITEMS:
        errors["checklist"] = [_l("A checklist has at most %(n)d items.", n=MAX_CHECKLIST_ITEMS)]
    return errors


def save_kit(member, kit: CoordinationKit | None = None, *, title: str, summary: str = "", talking_points: str = "",
             script: str = "", checklist: str = "") -> CoordinationKit:
    """Create a kit (``kit`` None) or change one; organisers only."""
    if not can_edit(member):
        raise KitError(_l("Only organisers write kits."))
    errors = validate_kit(title=title, summary=summary, talking_points=talking_points, script=script,
                          checklist=checklist)
    if errors:
        raise KitError(errors)
    if kit is None:
        kit = CoordinationKit(created_by_id=member.id)
        db.session.add(kit)
    kit.title = title.strip()
    kit.summary = summary.strip()
    kit.talking_points = talking_points.strip()
    kit.script = script.strip()
    kit.checklist = "\n".join(line.rstrip() for line in checklist.strip().splitlines())
    kit.updated_at = utcnow()
    db.session.commit()
    return kit


def set_archived(member, kit: CoordinationKit, archived: bool) -> None:
    """Archived kits leave the list and the choices of events and campaigns; they stay readable."""
    if not can_edit(member):
        raise KitError(_l("Only organisers write kits."))
    kit.archived_at = utcnow() if archived else None
    db.session.commit()


# --- materials ------------------------------------------------------------------------------------


def max_bytes() -> int:
    return int(module_setting("coordination", "material_max_bytes") or DEFAULT_MAX_BYTES)


def sniff(data: bytes) -> tuple[str, str]:
    """(media type, extension) of an upload, from its content; KitError for anything else."""
    if data.startswith(b"%PDF-"):
        tail = data[-2048:]
        if re.match(rb"%PDF-\d\.\d", data[:8]) and b"%%EOF" in tail and b"startxref" in tail and b" obj" in data:
            return PDF_TYPE
        raise KitError({"file": [_l("This PDF is damaged or incomplete: export it again and retry.")]})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError) as exc:
        raise KitError({"file": [_l("Send a PDF, or a PNG, JPEG, GIF or WebP image: this file is neither.")]}) from exc
    if fmt not in IMAGE_TYPES:
        raise KitError({"file": [_l("Send a PDF, or a PNG, JPEG, GIF or WebP image: this file is neither.")]})
    return IMAGE_TYPES[fmt]


def size_limit_message(limit: int):
    if limit >= 1024 * 1024:
        return _l("The file is too large (at most %(n)d MB).", n=limit // (1024 * 1024))
    return _l("The file is too large (at most %(n)d kB).", n=limit // 1024)


def clean_filename(name: str, extension: str) -> str:
    """The name the download will carry: the browser's base name without control characters or
    path parts, its extension the one of the checked content."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem[:150] or "document"
    return f"{stem}{extension}"


def material_name(name: str, filename: str) -> str:
    """The name versions are grouped by: the one typed, else the file's name without extension."""
    name = " ".join((name or "").split())
    if not name:
        base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        name = " ".join((base.rsplit(".", 1)[0] if "." in base else base).replace("_", " ").split())
    return name


def add_material(member, kit: CoordinationKit, *, name: str, filename: str, stream,
                 now: datetime | None = None) -> CoordinationMaterial:
    """Check and store an upload as the next version of ``name`` in ``kit``; the previous version
    is marked superseded and stays downloadable. Nothing is stored when anything is refused."""
    if not can_edit(member):
        raise KitError(_l("Only organisers write kits."))
    if kit.archived_at is not None:
        raise KitError(_l("This kit is archived: restore it before adding materials."))
    errors: dict[str, list] = {}
    name = material_name(name, filename)
    if not name:
        errors["name"] = [_l("Name the material, e.g. “Leaflet A5”.")]
    elif len(name) > MAX_MATERIAL_NAME:
        errors["name"] = [_l("A name has at most %(n)d characters.", n=MAX_MATERIAL_NAME)]
    limit = max_bytes()
    data = stream.read(limit + 1) if stream is not None else b""
    if not data:
        errors["file"] = [_l("Choose a file to upload.")]
    elif len(data) > limit:
        errors["file"] = [size_limit_message(limit)]
    if errors:
        raise KitError(errors)
    media_type, extension = sniff(data)
    now = now or utcnow()
    stored = f"{secrets.token_hex(16)}{extension}"
    path = upload_dir(UPLOAD_KIND) / stored
    path.write_bytes(data)
    try:
        version = (db.session.scalar(select(func.max(CoordinationMaterial.version)).where(
            CoordinationMaterial.kit_id == kit.id, CoordinationMaterial.name == name)) or 0) + 1
        db.session.execute(update(CoordinationMaterial).where(
            CoordinationMaterial.kit_id == kit.id, CoordinationMaterial.name == name,
            CoordinationMaterial.superseded_at.is_(None)).values(superseded_at=now))
        material = CoordinationMaterial(
            kit_id=kit.id, name=name, version=version, original_filename=clean_filename(filename, extension),
            stored_name=stored, media_type=media_type, size_bytes=len(data), uploaded_by_id=member.id,
            uploaded_at=now)
        db.session.add(material)
        kit.updated_at = now
        db.session.commit()
    except IntegrityError as exc:  # the same name uploaded at the same moment: (kit, name, version) is unique
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise KitError({"file": [_l("Another version of this material was uploaded at the same moment: "
                                    "check the list and upload again if needed.")]}) from exc
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return material


def current_materials(kit_id: int) -> list[CoordinationMaterial]:
    return list(db.session.scalars(select(CoordinationMaterial).where(
        CoordinationMaterial.kit_id == kit_id, CoordinationMaterial.superseded_at.is_(None))
        .order_by(func.lower(CoordinationMaterial.name))))


def material_history(kit_id: int) -> dict[str, list[CoordinationMaterial]]:
    """Every version of every material of a kit, by name, newest version first (one query)."""
    history: dict[str, list[CoordinationMaterial]] = {}
    for material in db.session.scalars(select(CoordinationMaterial).where(CoordinationMaterial.kit_id == kit_id)
                                       .order_by(func.lower(CoordinationMaterial.name),
                                                 CoordinationMaterial.version.desc())):
        history.setdefault(material.name, []).append(material)
    return history


def get_material(material_id: int) -> CoordinationMaterial | None:
    return db.session.get(CoordinationMaterial, material_id)


def material_path(material: CoordinationMaterial) -> Path:
    return upload_dir(UPLOAD_KIND) / material.stored_name


def count_download(material_id: int) -> None:
    """One more download, by an atomic UPDATE (concurrent downloads are all counted)."""
    db.session.execute(update(CoordinationMaterial).where(CoordinationMaterial.id == material_id)
                       .values(download_count=CoordinationMaterial.download_count + 1))
    db.session.commit()


def kit_downloads(kit_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(CoordinationMaterial.download_count), 0))
                             .where(CoordinationMaterial.kit_id == kit_id)) or 0


# --- demo -----------------------------------------------------------------------------------------


def simple_pdf(lines: list[str]) -> bytes:
    """A one-page A5 PDF showing ``lines`` in Helvetica (Latin-1), with a correct cross-reference
    table: the demo's leaflets, and the tests' valid PDF."""
    def escape(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    ops = ["BT", "/F1 14 Tf", "40 540 Td", "18 TL"]
    for line in lines:
        ops.append(f"({escape(line)}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 595] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


DEMO_KITS = (
    ("Porte-à-porte : transports gratuits",
     "Tout ce qu'il faut pour frapper aux portes sur la gratuité des transports.",
     "- Un ticket coûte **1,90 €** : 60 € par mois pour une famille.\n- Dunkerque l'a fait en 2018 : "
     "fréquentation +85 %.\n- Financement : versement mobilité des entreprises.",
     "1. Bonjour, je suis bénévole du mouvement, je passe dans le quartier.\n2. Utilisez-vous les bus ?\n"
     "3. Que penseriez-vous de transports gratuits ?\n4. Souhaitez-vous être tenu·e informé·e ?",
     "Tracts (50 par binôme)\nBadge\nTéléphone chargé\nListe des rues du secteur",
     ("Tract A5 transports", ["Transports gratuits", "Pour tout le monde, tout de suite", "Réunion publique jeudi"])),
    ("Tractage marché : santé de proximité",
     "Tracts et arguments pour les marchés sur les centres de santé.",
     "- 6 millions de personnes sans médecin traitant.\n- Un centre de santé municipal : des médecins salariés.",
     "Bonjour ! Un tract sur les centres de santé ? Nous organisons une réunion publique le mois prochain.",
     "Tracts (300)\nTable pliante\nAffiches\nGilet",
     ("Tract santé", ["Un médecin pour chacun", "Centres de santé municipaux"])),
    ("Phoning : réunion publique",
     "Le script et les arguments pour appeler les sympathisants avant une réunion publique.",
     "- Rappeler la date, l'heure et le lieu.\n- Proposer le covoiturage.",
     "Bonjour, c'est … du mouvement. Nous organisons une réunion publique jeudi à 19 h. Pourrez-vous venir ?",
     "Liste d'appels\nCasque\nFiche de suivi (comptes seulement)",
     None),
)


def seed_demo(ctx) -> None:
    """Three kits with talking points, a script, a checklist and (for two) a generated PDF leaflet,
    the first in two versions; a few downloads."""
    staff = ctx.organiser_ids or [ctx.admin_id]
    for index, (title, summary, points, script, checklist, leaflet) in enumerate(DEMO_KITS):
        author = staff[index % len(staff)]
        created = ctx.now - timedelta(days=30 - index * 5)
        kit = CoordinationKit(title=title, summary=summary, talking_points=points, script=script,
                              checklist=checklist, created_by_id=author, created_at=created, updated_at=created)
        db.session.add(kit)
        db.session.flush()
        if leaflet is None:
            continue
        name, lines = leaflet
        versions = 2 if index == 0 else 1
        for version in range(1, versions + 1):
            data = simple_pdf([*lines, f"Version {version}"])
            stored = f"{secrets.token_hex(16)}.pdf"
            (upload_dir(UPLOAD_KIND) / stored).write_bytes(data)
            at = created + timedelta(days=version - 1, hours=1)
            db.session.add(CoordinationMaterial(
                kit_id=kit.id, name=name, version=version, original_filename=f"{name.replace(' ', '-')}.pdf",
                stored_name=stored, media_type="application/pdf", size_bytes=len(data),
                download_count=ctx.rng.randint(3, 40), uploaded_by_id=author, uploaded_at=at,
                superseded_at=created + timedelta(days=version) if version < versions else None))
    db.session.flush()
