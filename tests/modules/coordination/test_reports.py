"""Field reports: only for one's own sectors (directly or through a team), counts only and coherent,
published for organisers (points count them), added up per sector and overall in one query, live."""

import pytest
from sqlalchemy import func, select

from community.activity import visible_audiences
from community.extensions import db, socketio
from community.models import Activity
from community.privacy import erase_member, export_member
from modules.coordination import campaigns_service as service
from modules.coordination.models import CoordinationReport, CoordinationShift, CoordinationSignup
from tests.conftest import PASSWORD

from ._campaign_helpers import make_campaign, sector
from .test_shifts import make_shift

pytestmark = pytest.mark.usefixtures("english")


def _reports():
    return db.session.scalar(select(func.count()).select_from(CoordinationReport))


@pytest.mark.parametrize("counts,field,message", [
    ({"doors_knocked": "-3"}, "doors_knocked", "A whole number, 0 or more."),
    ({"doors_knocked": "2.5"}, "doors_knocked", "A whole number, 0 or more."),
    ({"doors_knocked": "10", "doors_opened": "11"}, "doors_opened", "More doors opened than doors knocked"),
    ({"conversations": "2", "interested": "3"}, "interested", "More people who want to hear more"),
    ({"calls": "100000"}, "calls", "At most 10000 in one report"),
    ({}, "", "The report is empty"),
])
def test_incoherent_counts_are_refused(counts, field, message):
    _parsed, errors = service.parse_counts(counts)
    assert message in str(errors[field][0])


def test_aggregation_per_sector_and_overall_in_one_query(app, make_member, organiser):
    campaign = make_campaign(organiser, goal="100")
    ana, ben = make_member(handle="ana"), make_member(handle="ben")
    rue_a, rue_b = sector(campaign, "Rue A"), sector(campaign, "Rue B")
    service.assign(organiser, campaign, rue_a.id, handle="ana")
    team = service.create_team(organiser, campaign, "Binôme")
    service.add_team_member(organiser, campaign, team.id, "ben")
    service.assign(organiser, campaign, rue_b.id, team_id=team.id)
    service.submit_report(ana, campaign, sector_id=rue_a.id, raw_counts={"doors_knocked": "30", "doors_opened": "12",
                                                                         "conversations": "5", "interested": "2"})
    service.submit_report(ana, campaign, sector_id=rue_a.id, raw_counts={"doors_knocked": "10", "leaflets": "10"})
    service.submit_report(ben, campaign, sector_id=rue_b.id, raw_counts={"doors_knocked": "15", "doors_opened": "4"})
    from sqlalchemy import event

    assert campaign.goal == 100  # loads the campaign before counting
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = service.progress(campaign)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert result.unit == "doors_knocked" and result.done == 55 and result.percent == 55 and result.reports == 3
    assert result.total == {"doors_knocked": 55, "doors_opened": 16, "conversations": 5, "leaflets": 10, "calls": 0,
                            "interested": 2}
    by_name = {s["name"]: s for s in result.sectors}
    assert (by_name["Rue A"]["done"], by_name["Rue A"]["percent"]) == (40, 100)  # target 40
    assert (by_name["Rue B"]["done"], by_name["Rue B"]["percent"]) == (15, 25)  # target 60
    assert (by_name["Rue C"]["done"], by_name["Rue C"]["percent"], by_name["Rue C"]["reports"]) == (0, None, 0)


def test_a_report_for_a_sector_not_assigned_is_refused_and_nothing_saved(visit, make_member, organiser):
    campaign = make_campaign(organiser)
    ana, ben = make_member(handle="ana"), make_member(handle="ben")
    service.assign(organiser, campaign, sector(campaign, "Rue A").id, handle="ana")
    other = visit(ben)
    page = other.get(f"/coordination/campaigns/{campaign.id}/report")
    assert page.status_code == 200 and b"No sector of this campaign is assigned to you" in page.data
    refused = other.post(f"/coordination/campaigns/{campaign.id}/report",
                         data={"sector": str(sector(campaign, "Rue A").id), "doors_knocked": "12"})
    assert refused.status_code == 422 and "“Rue A” is not assigned to you".encode() in refused.data
    assert b'value="12"' in refused.data and _reports() == 0
    mine = visit(ana)
    form = mine.get(f"/coordination/campaigns/{campaign.id}/report")
    assert b"Counts only" in form.data and b"Rue A" in form.data
    absurd = mine.post(f"/coordination/campaigns/{campaign.id}/report",
                       data={"sector": str(sector(campaign, "Rue A").id), "doors_knocked": "5", "doors_opened": "9"})
    assert absurd.status_code == 422 and b"More doors opened than doors knocked" in absurd.data and _reports() == 0
    ok = mine.post(f"/coordination/campaigns/{campaign.id}/report",
                   data={"sector": str(sector(campaign, "Rue A").id), "doors_knocked": "5", "doors_opened": "3"})
    assert ok.status_code == 302 and _reports() == 1


def test_a_report_is_published_for_organisers_and_counted_live(app, make_member, organiser):
    campaign = make_campaign(organiser)
    ana, watcher = make_member(handle="ana"), make_member(handle="watcher")
    rue_a = sector(campaign, "Rue A")
    service.assign(organiser, campaign, rue_a.id, handle="ana")
    campaign_id, rue_a_id = campaign.id, rue_a.id
    db.session.commit()
    http = app.test_client()
    http.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert http.post("/auth/login", data={"identifier": watcher.handle, "password": PASSWORD}).status_code == 302
    ana_http = app.test_client()
    assert ana_http.post("/auth/login", data={"identifier": "ana", "password": PASSWORD}).status_code == 302
    with app.app_context():
        sock = socketio.test_client(app, flask_test_client=http)
        assert sock.emit("join", {"room": f"coordination:campaign:{campaign_id}"}, callback=True) == {"ok": True}
        sock.get_received()
        response = ana_http.post(f"/coordination/campaigns/{campaign_id}/report",
                                 data={"sector": str(rue_a_id), "doors_knocked": "20", "conversations": "4"})
    assert response.status_code == 302
    report = db.session.scalar(select(CoordinationReport))
    with app.app_context():
        events = [e["args"][0] for e in sock.get_received() if e["name"] == "coordination.campaign"]
        sock.disconnect()
    assert events == [{"campaign": campaign.id, "sector": rue_a.id, "report": report.id}]
    data = http.get(f"/coordination/campaigns/{campaign.id}/progress.json").get_json()
    assert data["done"] == 20 and data["sectors"][0]["conversations"] == 4
    activity = db.session.scalar(select(Activity).where(Activity.verb == "coordination.report"))
    assert activity.actor_id == ana.id and activity.audience == service.ORGANISERS_AUDIENCE
    assert service.ORGANISERS_AUDIENCE in visible_audiences(organiser)
    assert service.ORGANISERS_AUDIENCE not in visible_audiences(watcher)


def test_export_and_erasure(app, make_member, organiser):
    campaign = make_campaign(organiser)
    ana = make_member(handle="ana")
    rue_a = sector(campaign, "Rue A")
    service.assign(organiser, campaign, rue_a.id, handle="ana")
    shift = make_shift(organiser, campaign, needed="2")
    service.sign_up(ana, campaign, shift)
    service.submit_report(ana, campaign, sector_id=rue_a.id, raw_counts={"doors_knocked": "7"})
    exported = export_member(ana)["modules"]["coordination"]["campaigns"]
    assert exported["sectors_assigned"] == [{"campaign": "Porte-à-porte Nord", "sector": "Rue A"}]
    assert exported["field_reports"][0]["doors_knocked"] == 7 and len(exported["shift_signups"]) == 1
    shift_id = shift.id
    erase_member(ana)
    db.session.expire_all()
    assert db.session.get(CoordinationShift, shift_id).signed_count == 0
    assert db.session.scalar(select(func.count()).select_from(CoordinationSignup)) == 0
    report = db.session.scalar(select(CoordinationReport))
    assert report.member_id is None and report.doors_knocked == 7  # the counts stay, anonymous
    assert service.progress(campaign).done == 7
    assert not service.is_assigned(ana.id, rue_a.id)
