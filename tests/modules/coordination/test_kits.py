"""Field-action kits: pages and rights, Markdown rendering, materials checked by content, versions,
downloads as attachments with a count."""

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from community.extensions import db
from community.settings import set_module_setting
from modules.coordination import kits_service as service
from modules.coordination.models import CoordinationKit, CoordinationMaterial
from tests.concurrency import all_at_once

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def kit(organiser):
    return service.save_kit(organiser, title="Porte-à-porte", summary="Pour le quartier",
                            talking_points="- **Gratuité** des bus\n<script>alert(1)</script>",
                            script="1. Bonjour", checklist="Tracts\n\n- Badge\n")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, kit_id, data: bytes, filename: str, name: str = ""):
    return client.post(f"/coordination/kits/{kit_id}/materials",
                       data={"name": name, "file": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def _materials():
    return db.session.scalar(select(func.count()).select_from(CoordinationMaterial))


# --- unit --------------------------------------------------------------------------------------


def test_sniff_accepts_a_real_pdf_and_images_and_refuses_html_named_pdf():
    assert service.sniff(service.simple_pdf(["Bonjour"])) == ("application/pdf", ".pdf")
    assert service.sniff(png_bytes()) == ("image/png", ".png")
    with pytest.raises(service.KitError) as refused:
        service.sniff(b"<html><script>alert(1)</script></html>")
    assert "PDF" in str(refused.value)
    with pytest.raises(service.KitError):
        service.sniff(b"%PDF-1.4\n<html>truncated")  # the magic number alone is not a PDF


def test_clean_filename_drops_paths_and_takes_the_checked_extension():
    assert service.clean_filename("C:\\Users\\x\\tract final.PDF", ".pdf") == "tract final.pdf"
    assert service.clean_filename("../../etc/passwd", ".png") == "passwd.png"
    assert service.clean_filename("", ".pdf") == "document.pdf"


def test_a_new_upload_under_the_same_name_is_the_next_version(app, organiser, kit):
    first = service.add_material(organiser, kit, name="Tract A5", filename="tract.pdf",
                                 stream=io.BytesIO(service.simple_pdf(["v1"])))
    second = service.add_material(organiser, kit, name=" Tract  A5 ", filename="tract-v2.pdf",
                                  stream=io.BytesIO(service.simple_pdf(["v2"])))
    other = service.add_material(organiser, kit, name="", filename="affiche_quartier.png",
                                 stream=io.BytesIO(png_bytes()))
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert other.name == "affiche quartier" and other.media_type == "image/png"
    db.session.refresh(first)
    assert first.superseded_at is not None and second.superseded_at is None
    assert [m.id for m in service.current_materials(kit.id)] == [other.id, second.id]
    history = service.material_history(kit.id)
    assert [m.version for m in history["Tract A5"]] == [2, 1]
    assert service.material_path(first).read_bytes() == service.simple_pdf(["v1"])  # the old file is kept


def test_members_may_not_write_kits(make_member):
    with pytest.raises(service.KitError):
        service.save_kit(make_member(), title="x")


# --- pages -------------------------------------------------------------------------------------


def test_a_member_reads_kits_but_cannot_edit(visit, make_member, kit):
    member = visit(make_member())
    listing = member.get("/coordination/kits/")
    assert listing.status_code == 200 and b"Porte-\xc3\xa0-porte" in listing.data and b"New kit" not in listing.data
    page = member.get(f"/coordination/kits/{kit.id}")
    assert page.status_code == 200
    assert b"<strong>Gratuit" in page.data and b"<script>alert" not in page.data  # Markdown, sanitised
    assert b"<li>Tracts</li>" in page.data and b"<li>Badge</li>" in page.data  # checklist, one item per line
    assert member.get("/coordination/kits/new").status_code == 403
    assert member.post("/coordination/kits/new", data={"title": "x"}).status_code == 403
    assert member.get(f"/coordination/kits/{kit.id}/edit").status_code == 403
    assert member.post(f"/coordination/kits/{kit.id}/archive").status_code == 403
    assert upload(member, kit.id, service.simple_pdf(["x"]), "x.pdf").status_code == 403
    assert _materials() == 0
    assert member.get("/coordination/kits/999").status_code == 404


def test_an_organiser_creates_edits_and_archives_a_kit(visit, organiser):
    client = visit(organiser)
    assert client.get("/coordination/kits/new").status_code == 200
    empty = client.post("/coordination/kits/new", data={"title": "  ", "summary": "Gardé", "checklist": "Tracts"})
    assert empty.status_code == 422 and b"Give the kit a title." in empty.data and b"Gard\xc3\xa9" in empty.data
    assert db.session.scalar(select(func.count()).select_from(CoordinationKit)) == 0
    created = client.post("/coordination/kits/new", data={"title": "Phoning", "script": "Allô"})
    assert created.status_code == 302
    kit = db.session.scalar(select(CoordinationKit))
    assert client.get(f"/coordination/kits/{kit.id}/edit").status_code == 200
    too_long = client.post(f"/coordination/kits/{kit.id}/edit", data={"title": "x" * 201, "script": "Allô 2"})
    assert too_long.status_code == 422 and b"at most 200 characters" in too_long.data
    saved = client.post(f"/coordination/kits/{kit.id}/edit", data={"title": "Phoning 2", "script": "Allô 2"})
    assert saved.status_code == 302
    db.session.refresh(kit)
    assert (kit.title, kit.script) == ("Phoning 2", "Allô 2")
    assert client.post(f"/coordination/kits/{kit.id}/archive").status_code == 302
    db.session.refresh(kit)
    assert kit.archived_at is not None and service.kit_choices() == []
    assert b"Phoning 2" not in client.get("/coordination/kits/").data
    assert b"Phoning 2" in client.get("/coordination/kits/?archived=1").data
    client.post(f"/coordination/kits/{kit.id}/archive")
    assert service.kit_choices() == [(kit.id, "Phoning 2")]


def test_upload_and_download_as_an_attachment_with_a_count(visit, make_member, organiser, kit):
    client = visit(organiser)
    response = upload(client, kit.id, service.simple_pdf(["Tract"]), "Tract quartier été.pdf", name="Tract")
    assert response.status_code == 302
    material = db.session.scalar(select(CoordinationMaterial))
    assert material.stored_name.endswith(".pdf") and "Tract" not in material.stored_name
    member = visit(make_member())
    download = member.get(f"/coordination/kits/materials/{material.id}/download")
    assert download.status_code == 200 and download.data == service.simple_pdf(["Tract"])
    assert download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Tract%20quartier%20%C3%A9t%C3%A9.pdf" in disposition
    download.close()
    member.get(f"/coordination/kits/materials/{material.id}/download").close()
    db.session.refresh(material)
    assert material.download_count == 2
    assert member.get("/coordination/kits/materials/999/download").status_code == 404
    assert b"2 downloads" in member.get(f"/coordination/kits/{kit.id}").data


def test_concurrent_downloads_are_all_counted(app, visit, make_member, organiser, kit):
    material = service.add_material(organiser, kit, name="Tract", filename="t.pdf",
                                    stream=io.BytesIO(service.simple_pdf(["x"])))
    clients = [visit(make_member()) for _ in range(6)]
    path = f"/coordination/kits/materials/{material.id}/download"
    db.session.commit()

    def download(client):
        response = client.get(path)
        response.close()
        return response.status_code

    codes = all_at_once(clients, download)
    assert codes == [200] * 6
    db.session.refresh(material)
    assert material.download_count == 6


def test_a_new_version_keeps_the_history_listed_and_downloadable(visit, organiser, kit):
    client = visit(organiser)
    upload(client, kit.id, service.simple_pdf(["v1"]), "v1.pdf", name="Tract")
    response = upload(client, kit.id, service.simple_pdf(["v2"]), "v2.pdf", name="Tract")
    assert response.status_code == 302
    page = client.get(f"/coordination/kits/{kit.id}")
    assert b"Earlier versions (1)" in page.data and b"v1.pdf" in page.data and b"v2.pdf" in page.data
    old = db.session.scalar(select(CoordinationMaterial).where(CoordinationMaterial.version == 1))
    download = client.get(f"/coordination/kits/materials/{old.id}/download")
    assert download.data == service.simple_pdf(["v1"])
    download.close()


@pytest.mark.parametrize("data,filename,message", [
    (b"<html><body>Hello</body></html>", "tract.pdf", b"Send a PDF, or a PNG"),
    (b"%PDF-1.7\n<script>", "tract.pdf", b"This PDF is damaged"),
    (b"", "vide.pdf", b"Choose a file to upload."),
])
def test_a_non_pdf_leaflet_is_refused_and_nothing_is_stored(app, visit, organiser, kit, data, filename, message):
    client = visit(organiser)
    response = upload(client, kit.id, data, filename, name="Tract gardé")
    assert response.status_code == 422 and message in response.data
    assert b'value="Tract gard\xc3\xa9"' in response.data  # what was typed is shown again
    assert _materials() == 0
    folder = service.upload_dir(service.UPLOAD_KIND)
    assert list(folder.iterdir()) == []


def test_an_oversized_leaflet_is_refused(app, visit, organiser, kit):
    set_module_setting("coordination", "material_max_bytes", 64 * 1024)  # a small limit: a small test body
    db.session.commit()
    big = service.simple_pdf(["x"]) + b"%" + b"0" * (64 * 1024)
    response = upload(visit(organiser), kit.id, big, "gros.pdf")
    assert response.status_code == 422 and b"The file is too large (at most 64 kB)." in response.data
    assert _materials() == 0


def test_the_attached_kit_include_shows_current_materials(app, organiser, kit):
    service.add_material(organiser, kit, name="Tract", filename="t.pdf", stream=io.BytesIO(service.simple_pdf(["x"])))
    with app.test_request_context():
        html = app.jinja_env.get_template("coordination/kits/_attached.html").render(kit_id=kit.id)
        assert "Kit: Porte-à-porte" in html and "t.pdf" in html
        assert app.jinja_env.get_template("coordination/kits/_attached.html").render(kit_id=None).strip() == ""
    assert service.kit_for(kit.id).kit.id == kit.id and service.kit_for(12345) is None
    with pytest.raises(service.KitError):
        service.check_kit_id(12345)
    assert service.check_kit_id(kit.id) == kit.id and service.check_kit_id(None) is None


def test_a_kit_can_be_reported(visit, make_member, kit):
    page = visit(make_member()).get(f"/moderation/report?type=coordination.kit&id={kit.id}")
    assert page.status_code == 200 and b"Porte-" in page.data
