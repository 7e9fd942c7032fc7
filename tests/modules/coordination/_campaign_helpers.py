"""Shared builders for the campaigns tests (not a conftest: the events tests have their own)."""

from datetime import date, timedelta

from community.extensions import db
from modules.coordination import campaigns_service as service
from modules.coordination.models import CoordinationSector


def make_campaign(organiser, *, title="Porte-à-porte Nord", kind="door_to_door", goal="100", audience="members",
                  sectors=("Rue A ; 1-40 ; 40", "Rue B ;; 60", "Rue C")):
    today = date.today()
    campaign = service.save_campaign(organiser, service.CampaignInput(
        title=title, kind=kind, goal=goal, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=30),
        audience=audience))
    if sectors:
        service.add_sectors(organiser, campaign, service.parse_sector_text("\n".join(sectors)))
    return campaign


def sector(campaign, name):
    return db.session.query(CoordinationSector).filter_by(campaign_id=campaign.id, name=name).one()
