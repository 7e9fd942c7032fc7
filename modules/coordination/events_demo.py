"""Demo events: about one event per four members, over the two months before and after the demo's
day, in the members' communes, across every kind; some repeat every week or two. Members near
each event answer; past events have their check-ins. Bulk inserts, activities stamped in time."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from community.demo import reset_sequence

from .events_service import department_of, series_bounds, to_utc_naive
from .models import CoordinationEvent, CoordinationRsvp

TITLES = {
    "meeting": ("Réunion du comité de {commune}", "Assemblée locale de {commune}"),
    "public_meeting": ("Réunion publique à {commune} : le logement", "Réunion publique : les transports à {commune}"),
    "door_to_door": ("Porte-à-porte à {commune}", "Porte-à-porte dans les quartiers de {commune}"),
    "leafleting": ("Tractage au marché de {commune}", "Tractage à la gare de {commune}"),
    "phone_bank": ("Phoning depuis {commune}", "Soirée d'appels à {commune}"),
    "rally": ("Rassemblement place de la mairie de {commune}", "Marche pour le climat à {commune}"),
    "training": ("Formation à la prise de parole ({commune})", "Formation porte-à-porte ({commune})"),
    "other": ("Pique-nique militant à {commune}", "Permanence à {commune}"),
}
PLACES = ("Salle des fêtes", "Maison des associations", "Local du mouvement", "Café associatif", "Place du marché",
          "Médiathèque")
DESCRIPTION = ("Rendez-vous à **{place}**. Venez comme vous êtes, seul·e ou accompagné·e.\n\n"
               "- ordre du jour en début de réunion\n- un pot pour finir")


def seed_demo(ctx) -> None:
    rng, now = ctx.rng, ctx.now
    tz = ZoneInfo("Europe/Paris")
    members = ctx.member_ids
    by_commune: dict[str, list[int]] = {}
    for member_id in members:
        by_commune.setdefault(ctx.members[member_id]["commune"], []).append(member_id)
    organisers = ctx.organiser_ids or [ctx.admin_id]
    events, rsvps = [], []
    host = "demo.terreau.example"
    kinds = list(TITLES)
    volume = ctx.family_scale("coordination") * (5 if ctx.profile == "coordination" else 1)  # --profile
    for event_id in range(1, round(max(4, len(members) // 4) * volume) + 1):
        organiser = rng.choice(organisers)
        commune_member = ctx.members[rng.choice(members)]
        commune, postal = commune_member["commune"], commune_member["postal_code"]
        kind = rng.choice(kinds)
        day = (now + timedelta(days=rng.randint(-60, 60))).date()
        hour = time(10, 0) if kind in ("door_to_door", "leafleting", "rally") else time(18, 30)
        starts_at = to_utc_naive(datetime.combine(day, hour), tz)
        ends_at = starts_at + timedelta(hours=rng.choice((1, 2, 2, 3)))
        rrule = repeat_until = None
        if rng.random() < 0.1:
            rrule = rng.choice(("FREQ=WEEKLY;COUNT=6", "FREQ=WEEKLY;INTERVAL=2;COUNT=4", "FREQ=MONTHLY;COUNT=3"))
            _n, repeat_until = series_bounds(rrule, starts_at, ends_at, "Europe/Paris")
        capacity = None if rng.random() < 0.4 else rng.choice((8, 12, 20, 30, 50))
        place = rng.choice(PLACES)
        created_at = min(now, starts_at) - timedelta(days=rng.randint(3, 20), minutes=rng.randint(0, 600))
        online = kind == "phone_bank" and rng.random() < 0.5
        cancelled_at = created_at + timedelta(days=1) if rng.random() < 0.03 else None
        # Who answers: mostly members of the commune, a few from elsewhere.
        local = by_commune.get(commune, members)
        wanted = rng.randint(0, min(25, len(local)))
        answering = {rng.choice(local) for _ in range(wanted)} | {rng.choice(members) for _ in range(wanted // 5)}
        going = 0
        last_end = repeat_until or ends_at
        for member_id in sorted(answering):
            answered_at = created_at + timedelta(hours=rng.randint(1, 48))
            roll = rng.random()
            status = "going" if roll < 0.65 else "maybe" if roll < 0.85 else "not_going"
            if status == "going" and capacity is not None and going >= capacity:
                status = "waiting"
            going += status == "going"
            checked_in = None
            if (status == "going" and last_end < now and cancelled_at is None and rng.random() < 0.7):
                checked_in = starts_at + timedelta(minutes=rng.randint(-10, 20))
                ctx.activity(member_id, "coordination.checkin", "coordination.event", event_id, checked_in,
                             audience=f"member:{member_id}",
                             data={"endpoint": "coordination.event", "args": {"event_id": event_id},
                                   "title": TITLES[kind][0].format(commune=commune)})
            rsvps.append({"event_id": event_id, "member_id": member_id, "status": status, "created_at": answered_at,
                          "updated_at": answered_at, "waiting_since": answered_at if status == "waiting" else None,
                          "checked_in_at": checked_in, "reminded_at": None})
        title = rng.choice(TITLES[kind]).format(commune=commune)
        events.append({
            "id": event_id, "uid": f"{uuid.UUID(int=rng.getrandbits(128))}@{host}", "title": title,
            "description": DESCRIPTION.format(place=place), "kind": kind, "starts_at": starts_at,
            "ends_at": ends_at, "timezone": "Europe/Paris", "rrule": rrule, "repeat_until": repeat_until,
            "place_name": "" if online else place,
            "address": "" if online else f"{rng.randint(1, 80)} rue de la République",
            "commune": commune, "postal_code": postal, "department": department_of(postal),
            "online_url": "https://visio.example.org/phoning" if online else "", "capacity": capacity,
            "going_count": going, "audience": "public" if rng.random() < 0.3 else "members",
            "organiser_id": organiser, "kit_id": None, "sequence": 0, "created_at": created_at,
            "updated_at": created_at, "cancelled_at": cancelled_at,
        })
        ctx.activity(organiser, "coordination.event_created", "coordination.event", event_id, created_at,
                     audience=events[-1]["audience"],
                     data={"endpoint": "coordination.event", "args": {"event_id": event_id}, "title": title})
    ctx.bulk(CoordinationEvent, events)
    ctx.bulk(CoordinationRsvp, rsvps)
    reset_sequence("coordination_event")
