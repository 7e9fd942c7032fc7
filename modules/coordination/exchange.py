"""Coordination's sections of the community file: ``kits`` (their texts; uploaded materials are
files and stay behind), ``events`` (with co-organisers and attendees) and ``campaigns`` (sectors,
teams, shifts with sign-ups, assignments and field reports).

An event's or campaign's ``group`` is a collaboration group's slug, translated to its audience
room through the exchange context (the collaboration module registers groups first)."""

from __future__ import annotations

from collections import Counter

from community.exchange.api import (
    Exchange,
    ExportContext,
    ImportContext,
    by_key,
    each,
    iso,
    iso_date,
    str_id,
    table_rows,
)

from .models import (
    REPORT_COUNTS,
    CoordinationAssignment,
    CoordinationCampaign,
    CoordinationCoOrganiser,
    CoordinationEvent,
    CoordinationKit,
    CoordinationReport,
    CoordinationRsvp,
    CoordinationSector,
    CoordinationShift,
    CoordinationSignup,
    CoordinationTeam,
    CoordinationTeamMember,
)

# --- export ------------------------------------------------------------------------------------


def export(ctx: ExportContext) -> dict:
    h = ctx.handle
    kits = [{"id": str(k.id), "title": k.title, "summary": k.summary, "talking_points": k.talking_points,
             "script": k.script, "checklist": k.checklist, "created_by": h(k.created_by_id), "at": iso(k.created_at),
             "updated_at": iso(k.updated_at), "archived_at": iso(k.archived_at)}
            for k in table_rows(CoordinationKit, CoordinationKit.id)]
    co = by_key(table_rows(CoordinationCoOrganiser, CoordinationCoOrganiser.event_id,
                           CoordinationCoOrganiser.member_id), "event_id")
    rsvps = by_key(table_rows(CoordinationRsvp, CoordinationRsvp.event_id, CoordinationRsvp.member_id), "event_id")
    events = []
    for e in table_rows(CoordinationEvent, CoordinationEvent.id):
        group, visibility = ctx.group_and_visibility(e.audience)
        events.append({
            "id": str(e.id), "title": e.title, "organizer": h(e.organiser_id), "starts_at": iso(e.starts_at),
            "ends_at": iso(e.ends_at), "created_at": iso(e.created_at), "updated_at": iso(e.updated_at),
            "description": e.description, "kind": e.kind, "timezone": e.timezone, "rrule": e.rrule,
            "repeat_until": iso(e.repeat_until), "location": e.place_name, "address": e.address,
            "commune": e.commune, "postal_code": e.postal_code, "online_url": e.online_url, "capacity": e.capacity,
            "group": group, "visibility": visibility, "kit": str_id(e.kit_id), "cancelled_at": iso(e.cancelled_at),
            "uid": e.uid, "sequence": e.sequence, "co_organizers": [h(c.member_id) for c in co.get(e.id, [])],
            "attendees": [{"member": h(r.member_id), "status": r.status, "checked_in": r.checked_in_at is not None,
                           "checked_in_at": iso(r.checked_in_at), "at": iso(r.created_at),
                           "waiting_since": iso(r.waiting_since)} for r in rsvps.get(e.id, [])],
        })
    sectors = by_key(table_rows(CoordinationSector, CoordinationSector.id), "campaign_id")
    teams = by_key(table_rows(CoordinationTeam, CoordinationTeam.id), "campaign_id")
    team_members = by_key(table_rows(CoordinationTeamMember, CoordinationTeamMember.team_id,
                                     CoordinationTeamMember.member_id), "team_id")
    shifts = by_key(table_rows(CoordinationShift, CoordinationShift.id), "campaign_id")
    signups = by_key(table_rows(CoordinationSignup, CoordinationSignup.shift_id, CoordinationSignup.member_id),
                                "shift_id")
    campaign_of_sector = {s.id: s.campaign_id for rows in sectors.values() for s in rows}
    assignments: dict[int, list] = {}
    for a in table_rows(CoordinationAssignment, CoordinationAssignment.id):
        assignments.setdefault(campaign_of_sector[a.sector_id], []).append(a)
    reports: dict[int, list] = {}
    for r in table_rows(CoordinationReport, CoordinationReport.id):
        reports.setdefault(campaign_of_sector[r.sector_id], []).append(r)
    campaigns = []
    for c in table_rows(CoordinationCampaign, CoordinationCampaign.id):
        group, _visibility = ctx.group_and_visibility(c.audience)
        campaigns.append({
            "id": str(c.id), "title": c.title, "description": c.description, "kind": c.kind, "goal": c.goal,
            "starts_on": iso_date(c.starts_on), "ends_on": iso_date(c.ends_on), "group": group, "kit": str_id(c.kit_id),
            "organizer": h(c.organiser_id), "at": iso(c.created_at), "closed_at": iso(c.closed_at),
            "sectors": [{"id": str(s.id), "name": s.name, "detail": s.detail, "target": s.target,
                         "position": s.position} for s in sectors.get(c.id, [])],
            "teams": [{"id": str(t.id), "name": t.name, "members": [h(m.member_id) for m in team_members.get(t.id, [])]}
                      for t in teams.get(c.id, [])],
            "shifts": [{"id": str(s.id), "starts_at": iso(s.starts_at), "ends_at": iso(s.ends_at),
                        "meeting_point": s.meeting_point, "needed": s.needed, "cancelled_at": iso(s.cancelled_at),
                        "signups": [{"member": h(u.member_id), "at": iso(u.created_at)} for u in signups.get(s.id, [])]}
                       for s in shifts.get(c.id, [])],
            "assignments": [{"sector": str(a.sector_id), "member": h(a.member_id), "team": str_id(a.team_id),
                             "by": h(a.assigned_by_id), "at": iso(a.assigned_at)} for a in assignments.get(c.id, [])],
            "reports": [{"id": str(r.id), "sector": str(r.sector_id), "member": h(r.member_id),
                         "shift": str_id(r.shift_id), "at": iso(r.created_at),
                         **{k: getattr(r, k) for k in REPORT_COUNTS}}
                        for r in reports.get(c.id, [])],
        })
    return {"kits": kits, "events": events, "campaigns": campaigns}


# --- import ------------------------------------------------------------------------------------


def _data(event_id: int, title: str) -> dict:
    return {"endpoint": "coordination.event", "args": {"event_id": event_id}, "title": title}


def import_(doc: dict, ctx: ImportContext) -> None:
    kits = _import_kits(doc, ctx)
    _import_events(doc, ctx, kits)
    _import_campaigns(doc, ctx, kits)


def _import_kits(doc: dict, ctx: ImportContext) -> dict[str, int]:
    entries = [(path, item) for _i, item, path in each(doc.get("kits", []), "$.kits")]
    ids = ctx.ids(entries)
    rows = []
    for (path, item), kit_id in zip(entries, ids, strict=True):
        at = ctx.time(item["at"], f"{path}.at")
        rows.append({"id": kit_id, "title": item["title"], "summary": item.get("summary", ""),
                     "talking_points": item.get("talking_points", ""), "script": item.get("script", ""),
                     "checklist": item.get("checklist", ""),
                     "created_by_id": ctx.member(item.get("created_by"), f"{path}.created_by", required=False),
                     "created_at": at,
                     "updated_at": ctx.time(item.get("updated_at"), f"{path}.updated_at", required=False) or at,
                     "archived_at": ctx.time(item.get("archived_at"), f"{path}.archived_at", required=False)})
    ctx.insert(CoordinationKit, rows)
    return {item.get("id"): kit_id for (_path, item), kit_id in zip(entries, ids, strict=True)}


def _kit(ctx: ImportContext, item: dict, path: str, kits: dict[str, int]) -> int | None:
    ref = item.get("kit")
    if ref is None:
        return None
    if ref not in kits:
        ctx.error(f"{path}.kit", f"dangling kit: no kit with id {ref!r}")
    return kits.get(ref)


def _import_events(doc: dict, ctx: ImportContext, kits: dict[str, int]) -> None:
    from .events_service import department_of, new_uid

    entries = [(path, item) for _i, item, path in each(doc.get("events", []), "$.events")]
    ids = ctx.ids(entries)
    events, co_rows, rsvps, uids = [], [], [], {}
    for (path, item), event_id in zip(entries, ids, strict=True):
        starts = ctx.time(item["starts_at"], f"{path}.starts_at")
        ends = ctx.time(item["ends_at"], f"{path}.ends_at")
        if starts and ends and ends <= starts:
            ctx.error(f"{path}.ends_at", "an event ends after it starts")
        created = ctx.time(item.get("created_at"), f"{path}.created_at", required=False) or starts
        organiser = ctx.member(item.get("organizer"), f"{path}.organizer", required=False)
        audience = ctx.item_audience(item, path)
        uid = item.get("uid") or new_uid()
        if uid in uids:
            ctx.error(f"{path}.uid", f"duplicate uid (also at {uids[uid]})")
        uids[uid] = path
        cancelled = ctx.time(item.get("cancelled_at"), f"{path}.cancelled_at", required=False)
        attendees = item.get("attendees", [])
        going = sum(a["status"] == "going" for a in attendees)
        capacity = item.get("capacity")
        if capacity is not None and going > capacity:
            ctx.error(f"{path}.attendees", f"{going} members going for a capacity of {capacity}")
        postal = item.get("postal_code", "")
        events.append({
            "id": event_id, "uid": uid, "title": item["title"], "description": item.get("description", ""),
            "kind": item.get("kind", "meeting"), "starts_at": starts, "ends_at": ends,
            "timezone": item.get("timezone", "Europe/Paris"), "rrule": item.get("rrule"),
            "repeat_until": ctx.time(item.get("repeat_until"), f"{path}.repeat_until", required=False),
            "place_name": item.get("location", ""), "address": item.get("address", ""),
            "commune": item.get("commune", ""), "postal_code": postal, "department": department_of(postal),
            "online_url": item.get("online_url", ""), "capacity": capacity, "going_count": going,
            "audience": audience, "organiser_id": organiser, "kit_id": _kit(ctx, item, path, kits),
            "sequence": item.get("sequence", 0), "created_at": created,
            "updated_at": ctx.time(item.get("updated_at"), f"{path}.updated_at", required=False) or created,
            "cancelled_at": cancelled})
        data = _data(event_id, item["title"])
        ctx.activity(organiser, "coordination.event_created", ("coordination.event", event_id), created,
                     audience=audience, data=data)
        if cancelled:
            ctx.activity(organiser, "coordination.event_cancelled", ("coordination.event", event_id), cancelled,
                         audience=audience, data=data)
        co = set()
        for n, handle in enumerate(item.get("co_organizers", [])):
            member = ctx.member(handle, f"{path}.co_organizers[{n}]")
            if member in co:
                ctx.error(f"{path}.co_organizers[{n}]", "listed twice")
            co.add(member)
            co_rows.append({"event_id": event_id, "member_id": member})
        answered = set()
        for n, attendee in enumerate(attendees):
            where = f"{path}.attendees[{n}]"
            member = ctx.member(attendee["member"], f"{where}.member")
            if member in answered:
                ctx.error(where, f"{attendee['member']!r} answers twice")
            answered.add(member)
            at = ctx.time(attendee.get("at"), f"{where}.at", required=False) or created
            checked = ctx.time(attendee.get("checked_in_at"), f"{where}.checked_in_at", required=False)
            if attendee.get("checked_in") and checked is None:
                checked = starts  # a file that only says "checked in": at the start
            if checked is not None and not attendee.get("checked_in", True):
                ctx.error(f"{where}.checked_in", "checked_in is false but checked_in_at is set")
            waiting = ctx.time(attendee.get("waiting_since"), f"{where}.waiting_since", required=False)
            if attendee["status"] == "waiting" and waiting is None:
                waiting = at
            rsvps.append({"event_id": event_id, "member_id": member, "status": attendee["status"],
                          "waiting_since": waiting, "created_at": at, "updated_at": at, "checked_in_at": checked,
                          "reminded_at": None})
            if checked is not None:
                ctx.activity(member, "coordination.checkin", ("coordination.event", event_id), checked,
                             audience=f"member:{member}", data=data)
    ctx.insert(CoordinationEvent, events)
    ctx.insert(CoordinationCoOrganiser, co_rows)
    ctx.insert(CoordinationRsvp, rsvps)


def _import_campaigns(doc: dict, ctx: ImportContext, kits: dict[str, int]) -> None:
    from .campaigns_service import MAIN_COUNT, ORGANISERS_AUDIENCE

    campaigns = [(path, item) for _i, item, path in each(doc.get("campaigns", []), "$.campaigns")]
    campaign_ids = ctx.ids(campaigns)

    def nested(key):
        entries = [(f"{path}.{key}[{n}]", sub) for path, item in campaigns for n, sub in enumerate(item.get(key, []))]
        owners = [cid for (_path, item), cid in zip(campaigns, campaign_ids, strict=True) for _ in item.get(key, [])]
        return entries, ctx.ids(entries), owners

    sector_entries, sector_ids, sector_owner = nested("sectors")
    team_entries, team_ids, team_owner = nested("teams")
    shift_entries, shift_ids, shift_owner = nested("shifts")
    report_entries, report_ids, report_owner = nested("reports")
    assignment_entries, _ids, assignment_owner = nested("assignments")
    # references are to ids of the same campaign
    sectors = {(sector_owner[i], item.get("id")): sector_ids[i] for i, (_p, item) in enumerate(sector_entries)}
    teams = {(team_owner[i], item.get("id")): team_ids[i] for i, (_p, item) in enumerate(team_entries)}
    shifts = {(shift_owner[i], item.get("id")): shift_ids[i] for i, (_p, item) in enumerate(shift_entries)}

    def ref(table: dict, owner: int, value, path: str, name: str) -> int | None:
        if value is None:
            return None
        found = table.get((owner, value))
        if found is None:
            ctx.error(path, f"dangling {name}: no {name} {value!r} in this campaign")
        return found

    rows = []
    for (path, item), campaign_id in zip(campaigns, campaign_ids, strict=True):
        starts, ends = ctx.day(item["starts_on"], f"{path}.starts_on"), ctx.day(item["ends_on"], f"{path}.ends_on")
        if starts and ends and ends < starts:
            ctx.error(f"{path}.ends_on", "a campaign ends on or after the day it starts")
        rows.append({"id": campaign_id, "title": item["title"], "description": item.get("description", ""),
                     "kind": item["kind"], "goal": item["goal"], "starts_on": starts, "ends_on": ends,
                     "audience": ctx.item_audience(item, path), "kit_id": _kit(ctx, item, path, kits),
                     "organiser_id": ctx.member(item.get("organizer"), f"{path}.organizer", required=False),
                     "created_at": ctx.time(item["at"], f"{path}.at"),
                     "closed_at": ctx.time(item.get("closed_at"), f"{path}.closed_at", required=False)})
    ctx.insert(CoordinationCampaign, rows)
    by_id = {row["id"]: row for row in rows}
    names = Counter()
    sector_rows = []
    for i, (path, item) in enumerate(sector_entries):
        names[(sector_owner[i], item["name"])] += 1
        if names[(sector_owner[i], item["name"])] == 2:
            ctx.error(f"{path}.name", "two sectors of a campaign have this name")
        sector_rows.append({"id": sector_ids[i], "campaign_id": sector_owner[i], "name": item["name"],
                            "detail": item.get("detail", ""), "target": item.get("target"),
                            "position": item.get("position", 0)})
    ctx.insert(CoordinationSector, sector_rows)
    team_rows, team_members = [], []
    for i, (path, item) in enumerate(team_entries):
        team_rows.append({"id": team_ids[i], "campaign_id": team_owner[i], "name": item["name"]})
        for n, handle in enumerate(dict.fromkeys(item.get("members", []))):
            team_members.append({"team_id": team_ids[i], "member_id": ctx.member(handle, f"{path}.members[{n}]")})
    ctx.insert(CoordinationTeam, team_rows)
    ctx.insert(CoordinationTeamMember, team_members)
    shift_rows, signups = [], []
    for i, (path, item) in enumerate(shift_entries):
        starts, ends = ctx.time(item["starts_at"], f"{path}.starts_at"), ctx.time(item["ends_at"], f"{path}.ends_at")
        if starts and ends and ends <= starts:
            ctx.error(f"{path}.ends_at", "a shift ends after it starts")
        signed = item.get("signups", [])
        if len(signed) > item["needed"]:
            ctx.error(f"{path}.signups", f"{len(signed)} sign-ups for {item['needed']} places")
        shift_rows.append({"id": shift_ids[i], "campaign_id": shift_owner[i], "starts_at": starts, "ends_at": ends,
                           "meeting_point": item.get("meeting_point", ""), "needed": item["needed"],
                           "signed_count": len(signed),
                           "cancelled_at": ctx.time(item.get("cancelled_at"), f"{path}.cancelled_at", required=False)})
        seen = set()
        for n, signup in enumerate(signed):
            member = ctx.member(signup["member"], f"{path}.signups[{n}].member")
            if member in seen:
                ctx.error(f"{path}.signups[{n}]", "signed up twice")
            seen.add(member)
            signups.append({"shift_id": shift_ids[i], "member_id": member,
                            "created_at": ctx.time(signup["at"], f"{path}.signups[{n}].at"), "reminded_at": None})
    ctx.insert(CoordinationShift, shift_rows)
    ctx.insert(CoordinationSignup, signups)
    assignments = []
    for i, (path, item) in enumerate(assignment_entries):
        owner = assignment_owner[i]
        member = ctx.member(item.get("member"), f"{path}.member", required=False)
        team = ref(teams, owner, item.get("team"), f"{path}.team", "team")
        if (item.get("member") is None) == (item.get("team") is None):
            ctx.error(path, "an assignment names a member or a team (one of the two)")
        assignments.append({"id": i + 1, "sector_id": ref(sectors, owner, item["sector"], f"{path}.sector", "sector"),
                            "member_id": member, "team_id": team,
                            "assigned_by_id": ctx.member(item.get("by"), f"{path}.by", required=False),
                            "assigned_at": ctx.time(item["at"], f"{path}.at")})
    ctx.insert(CoordinationAssignment, assignments)
    reports = []
    for i, (path, item) in enumerate(report_entries):
        owner = report_owner[i]
        member = ctx.member(item.get("member"), f"{path}.member", required=False)
        at = ctx.time(item["at"], f"{path}.at")
        sector = ref(sectors, owner, item["sector"], f"{path}.sector", "sector")
        shift = ref(shifts, owner, item.get("shift"), f"{path}.shift", "shift")
        reports.append({"id": report_ids[i], "sector_id": sector, "member_id": member, "shift_id": shift,
                        "created_at": at, **{k: item.get(k, 0) for k in REPORT_COUNTS}})
        campaign = by_id.get(owner, {})
        unit = MAIN_COUNT.get(campaign.get("kind"), "doors_knocked")
        ctx.activity(member, "coordination.report", ("coordination.report", report_ids[i]), at,
                     audience=ORGANISERS_AUDIENCE,
                     data={"endpoint": "coordination.campaign", "args": {"campaign_id": owner},
                           "title": campaign.get("title", ""), "main": item.get(unit, 0), "unit": unit})
    ctx.insert(CoordinationReport, reports)


EXCHANGE = Exchange(sections=("kits", "events", "campaigns"), export=export, import_=import_, order=50)
