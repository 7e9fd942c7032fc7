"""Campaigns: pages and rights, sectors as text and CSV (errors name the line), teams and
assignments, "my sectors", the dashboard (HTML, JSON, CSV export, live room)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from community.extensions import db, socketio
from modules.collaboration.models import CollaborationGroup, CollaborationMembership
from modules.coordination import campaigns_service as service
from modules.coordination import kits_service
from modules.coordination.models import CoordinationAssignment, CoordinationCampaign, CoordinationSector

from ._campaign_helpers import make_campaign, sector

pytestmark = pytest.mark.usefixtures("english")


def _sectors():
    return db.session.scalar(select(func.count()).select_from(CoordinationSector))


# --- sector parsing (unit) ----------------------------------------------------------------------


def test_sector_text_lines():
    rows = service.parse_sector_text("Rue A ; 1 à 40 ; 40\n\n  Rue   B  \nRue C ;; 12\n")
    assert [(r.line, r.name, r.detail, r.target) for r in rows] == [
        (1, "Rue A", "1 à 40", 40), (3, "Rue B", "", None), (4, "Rue C", "", 12)]


@pytest.mark.parametrize("text,message", [
    ("Rue A\n ; détail", "Line 2: the sector has no name."),
    ("Rue A\nrue a", "Line 2: the sector “rue a” is listed twice."),
    ("Rue A ; x ; douze", "Line 1: the target “douze” is not a positive whole number."),
    ("Rue A ; x ; -3", "Line 1: the target “-3” is not a positive whole number."),
    ("Rue A ; x ; 0", "Line 1: the target must be above zero"),
    ("Rue A ; x ; 3 ; y", "Line 1: 4 fields separated by “;”"),
])
def test_sector_text_errors_name_the_line(text, message):
    with pytest.raises(service.SectorImportError) as refused:
        service.parse_sector_text(text)
    assert message in str(refused.value)


def test_sector_csv_with_comma_or_semicolon_and_a_bom():
    rows = service.parse_sector_csv("\ufeffname,detail,target\nRue A,\"1, 3, 5\",40\nRue B,,\n".encode())
    assert [(r.line, r.name, r.detail, r.target) for r in rows] == [(2, "Rue A", "1, 3, 5", 40), (3, "Rue B", "", None)]
    rows = service.parse_sector_csv("name;detail;target\nBureau 12;École Jaurès;300\n".encode())
    assert [(r.name, r.detail, r.target) for r in rows] == [("Bureau 12", "École Jaurès", 300)]


@pytest.mark.parametrize("data,message", [
    (b"nom,detail,cible\nRue A,,1\n", "Line 1: the header must be exactly"),
    (b"name,detail,target\nRue A,,1\n,x,2\n", "Line 3: the sector has no name."),
    (b"name,detail,target\nRue A,,1\nRue A,,2\n", "Line 3: the sector “Rue A” is listed twice."),
    (b"name,detail,target\nRue A,,1\nRue B,,-4\n", "Line 3: the target “-4” is not a positive whole number."),
    (b"name,detail,target\nRue A,,1\nRue B,,1.5\n", "Line 3: the target “1.5”"),
    (b"name,detail,target\nRue A,,1\nRue B,x\n", "Line 3: 2 columns instead of 3"),
    (b"name,detail,target\nRue A,,1\nRue B,x,1,extra\n", "Line 3: 4 columns instead of 3"),
    (b"name,detail,target\nRue A,,1\nRue \xe9t\xe9,,2\n", "Line 3: the file is not UTF-8"),
    (b"", "The file is empty."),
    (b"name,detail,target\n", "The file has no sector under its header."),
])
def test_sector_csv_errors_name_the_line(data, message):
    with pytest.raises(service.SectorImportError) as refused:
        service.parse_sector_csv(data)
    assert message in str(refused.value)


def test_an_existing_sector_name_is_refused(organiser):
    campaign = make_campaign(organiser)
    with pytest.raises(service.SectorImportError) as refused:
        service.parse_sector_text("Rue Z\nrue b", service.existing_sector_names(campaign.id))
    assert "Line 2: the campaign already has a sector “rue b”." in str(refused.value)


# --- pages and forms ----------------------------------------------------------------------------


def test_an_organiser_creates_a_campaign_and_bad_input_is_shown_back(visit, organiser):
    client = visit(organiser)
    assert client.get("/coordination/campaigns/new").status_code == 200
    today = date.today()
    bad = client.post("/coordination/campaigns/new", data={
        "title": "Tractage gare", "kind": "leafleting", "goal": "0", "starts_on": today.isoformat(),
        "ends_on": (today - timedelta(days=2)).isoformat(), "audience": "members", "kit": ""})
    assert bad.status_code == 422
    assert b"The goal must be above zero." in bad.data and b"The end must not come before the start." in bad.data
    assert b'value="Tractage gare"' in bad.data
    negative = client.post("/coordination/campaigns/new", data={
        "title": "Tractage gare", "kind": "leafleting", "goal": "-5", "starts_on": today.isoformat(),
        "ends_on": "pas une date", "audience": "members"})
    assert negative.status_code == 422 and b"The goal must be above zero." in negative.data
    assert b"Give a date as YYYY-MM-DD." in negative.data
    assert db.session.scalar(select(func.count()).select_from(CoordinationCampaign)) == 0
    kit = kits_service.save_kit(organiser, title="Kit tractage", script="Bonjour !")
    created = client.post("/coordination/campaigns/new", data={
        "title": "Tractage gare", "kind": "leafleting", "goal": "2000", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=7)).isoformat(), "audience": "members", "kit": str(kit.id)})
    assert created.status_code == 302
    campaign = db.session.scalar(select(CoordinationCampaign))
    assert (campaign.goal, campaign.kind, campaign.kit_id) == (2000, "leafleting", kit.id)
    page = client.get(f"/coordination/campaigns/{campaign.id}")
    assert page.status_code == 200 and b"Kit: Kit tractage" in page.data and b"0</strong> / 2000" in page.data
    assert client.get(f"/coordination/campaigns/{campaign.id}/edit").status_code == 200
    edited = client.post(f"/coordination/campaigns/{campaign.id}/edit", data={
        "title": "Tractage gare 2", "kind": "leafleting", "goal": "2500", "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=7)).isoformat(), "audience": "members", "kit": ""})
    assert edited.status_code == 302
    db.session.refresh(campaign)
    assert (campaign.title, campaign.goal, campaign.kit_id) == ("Tractage gare 2", 2500, None)
    assert b"Tractage gare 2" in client.get("/coordination/campaigns/").data


def test_members_see_campaigns_but_do_not_manage_them(visit, make_member, organiser):
    campaign = make_campaign(organiser)
    member = visit(make_member())
    assert member.get("/coordination/campaigns/").status_code == 200
    page = member.get(f"/coordination/campaigns/{campaign.id}")
    assert page.status_code == 200 and b"Rue A" in page.data  # the dashboard lists sectors
    assert b"Sectors, teams and assignments" not in page.data
    for path in ("new", f"{campaign.id}/edit", f"{campaign.id}/manage", f"{campaign.id}/export.csv"):
        assert member.get(f"/coordination/campaigns/{path}").status_code == 403
    added = member.post(f"/coordination/campaigns/{campaign.id}/sectors/add", data={"sectors": "Rue X"})
    assert added.status_code == 403
    assert member.post(f"/coordination/campaigns/{campaign.id}/close").status_code == 403
    assert _sectors() == 3
    assert member.get(f"/coordination/campaigns/{campaign.id}/progress.json").status_code == 200
    assert member.get("/coordination/campaigns/999").status_code == 404


def _group_with(*members):
    group = CollaborationGroup(slug="quartier", name="Quartier Nord", member_count=len(members))
    db.session.add(group)
    db.session.flush()
    for member in members:
        db.session.add(CollaborationMembership(group_id=group.id, member_id=member.id, role="member"))
    db.session.commit()
    return group


def test_a_groups_campaign_is_hidden_from_outsiders_in_html_json_and_sockets(app, client, login, make_member,
                                                                            organiser):
    insider, outsider = make_member(handle="insider"), make_member(handle="outsider")
    group = _group_with(organiser, insider)
    audience = f"collaboration:group:{group.id}"
    assert (audience, "Group: Quartier Nord") in service.audience_choices(organiser)
    campaign = make_campaign(organiser, title="Campagne du groupe", audience=audience)
    other_organiser = make_member(role="organiser", handle="orga2")
    login(client, outsider)
    assert client.get(f"/coordination/campaigns/{campaign.id}").status_code == 404
    assert client.get(f"/coordination/campaigns/{campaign.id}/progress.json").status_code == 404
    assert client.post(f"/coordination/campaigns/{campaign.id}/report", data={}).status_code == 404
    assert b"Campagne du groupe" not in client.get("/coordination/campaigns/").data
    room = f"coordination:campaign:{campaign.id}"
    with app.app_context():  # its own context (own ``g``), as each socket has in production
        sock = socketio.test_client(app, flask_test_client=client)
        assert sock.emit("join", {"room": room}, callback=True) == {"ok": False, "error": "forbidden"}
        assert sock.emit("join", {"room": "coordination:campaign:abc"}, callback=True)["ok"] is False
        sock.disconnect()
    # an organiser outside the group neither sees nor manages it
    assert not service.can_manage(other_organiser, campaign)
    insider_client = app.test_client()
    login(insider_client, insider)
    assert insider_client.get(f"/coordination/campaigns/{campaign.id}").status_code == 200
    with app.app_context():
        sock = socketio.test_client(app, flask_test_client=insider_client)
        assert sock.emit("join", {"room": room}, callback=True) == {"ok": True}
        sock.disconnect()
    # someone outside the audience cannot be assigned
    with pytest.raises(service.CampaignError) as refused:
        service.assign(organiser, campaign, sector(campaign, "Rue A").id, handle="outsider")
    assert "not in this campaign's audience" in str(refused.value)


def test_sectors_added_as_text_and_from_csv_through_the_page(visit, organiser):
    campaign = make_campaign(organiser, sectors=())
    client = visit(organiser)
    assert client.get(f"/coordination/campaigns/{campaign.id}/manage").status_code == 200
    bad = client.post(f"/coordination/campaigns/{campaign.id}/sectors/add",
                      data={"sectors": "Rue A ; ; 10\nRue B ; ; dix"})
    assert bad.status_code == 422 and "Line 2: the target “dix”".encode() in bad.data
    assert b"Rue B ; ; dix" in bad.data and _sectors() == 0  # what was typed is back; nothing saved
    ok = client.post(f"/coordination/campaigns/{campaign.id}/sectors/add", data={"sectors": "Rue A ; ; 10"})
    assert ok.status_code == 302 and _sectors() == 1

    def upload(data: bytes):
        import io

        return client.post(f"/coordination/campaigns/{campaign.id}/sectors/import",
                           data={"file": (io.BytesIO(data), "secteurs.csv")}, content_type="multipart/form-data")

    broken = upload(b"name,detail,target\nRue C,,5\nRue D,,5,x\n")
    assert broken.status_code == 422 and b"Line 3: 4 columns instead of 3" in broken.data and _sectors() == 1
    duplicate = upload(b"name,detail,target\nRue C,,5\nrue a,,5\n")
    assert duplicate.status_code == 422
    assert "Line 3: the campaign already has a sector “rue a”".encode() in duplicate.data
    assert _sectors() == 1
    assert upload(b"").status_code == 422
    good = upload("name,detail,target\nRue C,\"côté pair\",5\nRue D,,\n".encode())
    assert good.status_code == 302
    assert [s.name for s in service.sectors_of(campaign.id)] == ["Rue A", "Rue C", "Rue D"]


def test_teams_assignments_and_my_sectors(visit, make_member, organiser):
    kit = kits_service.save_kit(organiser, title="Kit porte-à-porte", script="**Bonjour**, je passe…")
    campaign = make_campaign(organiser)
    campaign.kit_id = kit.id
    db.session.commit()
    ana, ben = make_member(handle="ana"), make_member(handle="ben")
    client = visit(organiser)
    assert client.post(f"/coordination/campaigns/{campaign.id}/teams", data={"name": "  "}).status_code == 422
    assert client.post(f"/coordination/campaigns/{campaign.id}/teams", data={"name": "Binôme"}).status_code == 302
    team_id = service.teams_of(campaign.id)[0][0].id
    unknown = client.post(f"/coordination/campaigns/{campaign.id}/teams/{team_id}/members", data={"handle": "zoe"})
    assert unknown.status_code == 422 and b"No member has the handle @zoe." in unknown.data
    assert client.post(f"/coordination/campaigns/{campaign.id}/teams/{team_id}/members",
                       data={"handle": "@ben"}).status_code == 302
    rue_a, rue_b = sector(campaign, "Rue A"), sector(campaign, "Rue B")
    assert client.post(f"/coordination/campaigns/{campaign.id}/assign",
                       data={"sector": rue_a.id, "handle": "ana", "team": ""}).status_code == 302
    assert client.post(f"/coordination/campaigns/{campaign.id}/assign",
                       data={"sector": rue_b.id, "handle": "", "team": team_id}).status_code == 302
    both = client.post(f"/coordination/campaigns/{campaign.id}/assign",
                       data={"sector": rue_b.id, "handle": "ana", "team": team_id})
    assert both.status_code == 422 and b"Give either a member" in both.data
    again = client.post(f"/coordination/campaigns/{campaign.id}/assign",
                        data={"sector": rue_a.id, "handle": "ana", "team": ""})
    assert again.status_code == 422 and b"already assigned" in again.data
    manage = client.get(f"/coordination/campaigns/{campaign.id}/manage")
    assert b"Ana" in manage.data and b"Team Bin" in manage.data

    ana_page = visit(ana).get("/coordination/mine")
    assert ana_page.status_code == 200 and b"Rue A" in ana_page.data and b"Rue B" not in ana_page.data
    assert b"Kit: Kit porte-" in ana_page.data and b"<strong>Bonjour</strong>" in ana_page.data
    ben_page = visit(ben).get("/coordination/mine")
    assert b"Rue B" in ben_page.data and b"Rue A" not in ben_page.data  # through the team
    assert service.is_assigned(ben.id, rue_b.id) and not service.is_assigned(ben.id, rue_a.id)

    assignment = db.session.scalar(select(CoordinationAssignment).where(CoordinationAssignment.member_id == ana.id))
    assert client.post(f"/coordination/campaigns/{campaign.id}/assignments/{assignment.id}/delete").status_code == 302
    assert not service.is_assigned(ana.id, rue_a.id)
    base = f"/coordination/campaigns/{campaign.id}/teams/{team_id}"
    assert client.post(f"{base}/members/{ben.id}/remove").status_code == 302
    assert not service.is_assigned(ben.id, rue_b.id)
    assert client.post(f"/coordination/campaigns/{campaign.id}/teams/{team_id}/delete").status_code == 302
    assert service.teams_of(campaign.id) == []
    assert client.post(f"/coordination/campaigns/{campaign.id}/sectors/{rue_a.id}/delete").status_code == 302
    assert _sectors() == 2


def test_export_csv_guards_against_formulas(visit, make_member, organiser):
    campaign = make_campaign(organiser, sectors=("=HYPERLINK(\"http://x\") ; ; 10", "+33 rue ; ; 5", "Rue sûre"))
    volunteer = make_member(handle="vol")
    service.assign(organiser, campaign, sector(campaign, "+33 rue").id, handle="vol")
    service.submit_report(volunteer, campaign, sector_id=sector(campaign, "+33 rue").id,
                          raw_counts={"doors_knocked": "12", "doors_opened": "5", "conversations": "3"})
    response = visit(organiser).get(f"/coordination/campaigns/{campaign.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "sector,detail_target,doors_knocked,doors_opened,conversations,leaflets,calls,interested,reports"
    assert lines[1].startswith("\"'=HYPERLINK(") and lines[2] == "'+33 rue,5,12,5,3,0,0,0,1"
    assert lines[3] == "Rue sûre,,0,0,0,0,0,0,0" and lines[4] == "Total,100,12,5,3,0,0,0,1"


def test_closing_a_campaign_stops_sign_ups_and_reports(visit, organiser):
    campaign = make_campaign(organiser)
    client = visit(organiser)
    assert client.post(f"/coordination/campaigns/{campaign.id}/close").status_code == 302
    db.session.refresh(campaign)
    assert service.state(campaign) == "closed"
    assert b"Reopen the campaign" in client.get(f"/coordination/campaigns/{campaign.id}").data
    client.post(f"/coordination/campaigns/{campaign.id}/close")
    db.session.refresh(campaign)
    assert service.state(campaign) == "running"


def test_nav_lists_the_parts(visit, make_member):
    page = visit(make_member()).get("/coordination/")
    assert page.status_code == 200
    for path in (b"/coordination/kits/", b"/coordination/campaigns/", b"/coordination/mine"):
        assert path in page.data


def test_the_organisers_audience_of_many_members_matches_each_members_own(app, make_member):
    """The bulk form (the bridging scores read thousands of reactors) agrees with audiences(member)
    and reads no member as a whole ORM object."""
    from datetime import datetime

    from community.activity import module_audiences_of
    from community.database import QueryCounter
    from modules.coordination.parts.campaigns import audiences

    members = [make_member(), make_member(role="organiser"), make_member(role="admin"),
               make_member(role="moderator"), make_member(role="organiser")]
    members[4].suspended_at = datetime(2026, 1, 1)
    db.session.commit()
    ids = [m.id for m in members]
    with QueryCounter(db.engine) as counter:
        bulk = module_audiences_of(ids)
    for member in members:
        own = list(audiences(member))
        assert [a for a in bulk[member.id] if a.startswith("coordination:")] == own
    assert [bool(audiences(m)) for m in members] == [False, True, True, True, False]
    assert not [s for s in counter.statements if "member.password_hash" in s]
