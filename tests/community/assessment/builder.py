"""Constructed communities for the assessment tests: real rows in the real tables, and beside them an
independent reference computation of every usage metric (plain Python over the facts the test
recorded, networkx for the graph), written from ASSESSMENT.md without reusing the engine's code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import networkx as nx

from community.extensions import db
from community.models import Activity, Follow, Member
from modules.collaboration.models import (
    CollaborationAmendment,
    CollaborationContribution,
    CollaborationDebate,
    CollaborationGroup,
    CollaborationIntroduction,
    CollaborationMembership,
    CollaborationProposal,
    CollaborationStatement,
    CollaborationWallPost,
)
from modules.coordination.models import CoordinationEvent, CoordinationReport, CoordinationRsvp
from modules.influence.models import InfluencePost

AS_OF = datetime(2026, 6, 1)
WINDOW_DAYS = 90
START = AS_OF - timedelta(days=WINDOW_DAYS)
INSIDE = AS_OF - timedelta(days=10)  # a time well inside W
LONG_AGO = START - timedelta(days=100)


@dataclass
class Item:
    kind: str
    id: int
    author: int
    at: datetime
    reply_to: int | None
    replyable: bool


class Community:
    """Facts are written to the database at once (flushed) and recorded for the reference."""

    def __init__(self, as_of: datetime = AS_OF, window_days: int = WINDOW_DAYS):
        self.as_of = as_of
        self.start = as_of - timedelta(days=window_days)
        self.people: dict[int, dict] = {}
        self.items: list[Item] = []
        self.follows: list[tuple[int, int, datetime]] = []
        self.groups: dict[int, list[int]] = {}
        self.events: dict[int, dict] = {}
        self.intros: list[tuple[int, int, str, datetime]] = []
        self.n = 0
        self._debate = None

    # --- facts -------------------------------------------------------------------------

    def member(self, role="member", joined: datetime | None = None, suspended=False, erased=False,
               commune="") -> int:
        self.n += 1
        m = Member(handle=f"m{self.n}", display_name=f"M {self.n}", email=f"m{self.n}@example.org",
                   password_hash="x", role=role, joined_at=joined or LONG_AGO, commune=commune,
                   suspended_at=AS_OF if suspended else None, erased_at=AS_OF if erased else None)
        db.session.add(m)
        db.session.flush()
        self.people[m.id] = {"role": role, "joined": m.joined_at, "active": not suspended and not erased}
        return m.id

    def members(self, count: int, **kwargs) -> list[int]:
        return [self.member(**kwargs) for _ in range(count)]

    def follow(self, a: int, b: int, at: datetime = LONG_AGO) -> None:
        db.session.add(Follow(follower_id=a, followed_id=b, created_at=at))
        self.follows.append((a, b, at))

    def _item(self, kind, row, author, at, reply_to, replyable):
        db.session.add(row)
        db.session.flush()
        self.items.append(Item(kind, row.id, author, at, reply_to, replyable))
        return row.id

    def post(self, author: int, at: datetime = INSIDE, reply_to: int | None = None) -> int:
        row = InfluencePost(author_id=author, body="hello", body_html="<p>hello</p>", reply_to_id=reply_to,
                            created_at=at, last_activity_at=at)
        return self._item("influence.post", row, author, at, reply_to, True)

    def group(self, members: list[int], name: str = "") -> int:
        g = CollaborationGroup(slug=f"g{len(self.groups) + 1}", name=name or f"Group {len(self.groups) + 1}",
                               member_count=len(members))
        db.session.add(g)
        db.session.flush()
        for m in members:
            db.session.add(CollaborationMembership(group_id=g.id, member_id=m, status="active"))
        self.groups[g.id] = list(members)
        return g.id

    def wall(self, group: int, author: int, at: datetime = INSIDE, reply_to: int | None = None) -> int:
        row = CollaborationWallPost(group_id=group, author_id=author, body="w", body_html="w", reply_to_id=reply_to,
                                    created_at=at)
        return self._item("collaboration.wall", row, author, at, reply_to, True)

    def debate(self, author: int, at: datetime = INSIDE) -> int:
        row = CollaborationDebate(author_id=author, title="Q", question="Q?", question_html="Q?", opens_at=at,
                                  created_at=at)
        self._debate = self._item("collaboration.debate", row, author, at, None, False)
        return self._debate

    def contribution(self, author: int, at: datetime = INSIDE, reply_to: int | None = None) -> int:
        debate = self._debate or self.debate(author, at)
        row = CollaborationContribution(debate_id=debate, author_id=author, stance="for", body="c", body_html="c",
                                        reply_to_id=reply_to, created_at=at)
        return self._item("collaboration.contribution", row, author, at, reply_to, True)

    def statement(self, author: int, at: datetime = INSIDE) -> int:
        from modules.collaboration.models import CollaborationOpinionQuestion

        q = CollaborationOpinionQuestion(author_id=author, title="Map", created_at=at)
        db.session.add(q)
        db.session.flush()
        row = CollaborationStatement(question_id=q.id, author_id=author, text="s", created_at=at)
        return self._item("collaboration.statement", row, author, at, None, True)

    def proposal(self, author: int, at: datetime = INSIDE) -> int:
        row = CollaborationProposal(author_id=author, title="P", created_at=at)
        return self._item("collaboration.proposal", row, author, at, None, False)

    def amendment(self, author: int, proposal: int, at: datetime = INSIDE) -> int:
        row = CollaborationAmendment(proposal_id=proposal, author_id=author, base_version=1, text="t", created_at=at)
        return self._item("collaboration.amendment", row, author, at, None, False)

    def event(self, organiser: int, attendees: dict[int, str], created: datetime = INSIDE,
              starts: datetime = INSIDE, checked_in: tuple[int, ...] = (), cancelled=False) -> int:
        going = sum(1 for s in attendees.values() if s == "going")
        row = CoordinationEvent(uid=f"ev{len(self.events) + 1}", title="E", starts_at=starts,
                                ends_at=starts + timedelta(hours=2), timezone="Europe/Paris", organiser_id=organiser,
                                created_at=created, going_count=going, cancelled_at=AS_OF if cancelled else None)
        event_id = self._item("coordination.event", row, organiser, created, None, False)
        for m, status in attendees.items():
            db.session.add(CoordinationRsvp(event_id=event_id, member_id=m, status=status,
                                            checked_in_at=starts if m in checked_in else None))
        self.events[event_id] = {"starts": starts, "cancelled": cancelled, "attendees": dict(attendees),
                                 "checked_in": set(checked_in)}
        return event_id

    def report(self, member: int, at: datetime = INSIDE) -> int:
        from modules.coordination.models import CoordinationCampaign, CoordinationSector

        campaign = CoordinationCampaign(title="C", kind="leafleting", goal=10, starts_on=at.date(), ends_on=at.date())
        db.session.add(campaign)
        db.session.flush()
        sector = CoordinationSector(campaign_id=campaign.id, name=f"s{len(self.items)}")
        db.session.add(sector)
        db.session.flush()
        row = CoordinationReport(sector_id=sector.id, member_id=member, created_at=at)
        return self._item("coordination.report", row, member, at, None, False)

    def introduction(self, a: int, b: int, status: str = "accepted", at: datetime = INSIDE,
                     decided_at: datetime | None = None) -> None:
        db.session.add(CollaborationIntroduction(from_id=a, to_id=b, status=status, created_at=at,
                                                 decided_at=decided_at or at))
        self.intros.append((a, b, status, at))

    def activity(self, actor: int, module: str, at: datetime = INSIDE, count: int = 1) -> None:
        for _ in range(count):
            db.session.add(Activity(actor_id=actor, verb=f"{module}.thing", module=module, created_at=at,
                                    audience="members", data={}))

    def commit(self) -> None:
        db.session.commit()

    # --- the reference -----------------------------------------------------------------

    def in_m(self, member_id: int | None) -> bool:
        p = self.people.get(member_id)
        return bool(p) and p["active"] and p["joined"] < self.as_of

    def in_w(self, at: datetime) -> bool:
        return self.start <= at < self.as_of

    def m(self) -> list[int]:
        return sorted(i for i in self.people if self.in_m(i))

    def contributions(self) -> list[Item]:
        return [i for i in self.items if self.in_w(i.at) and self.in_m(i.author)]

    def graph(self) -> nx.Graph:
        g = nx.Graph()
        g.add_nodes_from(self.m())
        for a, b, at in self.follows:
            if at < self.as_of and self.in_m(a) and self.in_m(b):
                g.add_edge(a, b)
        by_key = {(i.kind, i.id): i for i in self.items}
        for i in self.contributions():
            if i.reply_to is not None:
                target = by_key[(i.kind, i.reply_to)]
                if self.in_m(target.author) and target.author != i.author:
                    g.add_edge(i.author, target.author)
        for listed in self.groups.values():
            if len(listed) <= 50:
                self._clique(g, listed)
        for e in self.events.values():
            attendees = [m for m, s in e["attendees"].items() if s == "going" or m in e["checked_in"]]
            if self.in_w(e["starts"]) and not e["cancelled"] and len(attendees) <= 50:
                self._clique(g, attendees)
        for a, b, status, at in self.intros:
            if status == "accepted" and at < self.as_of and self.in_m(a) and self.in_m(b):
                g.add_edge(a, b)
        return g

    def _clique(self, g: nx.Graph, people: list[int]) -> None:
        inside = [p for p in people if self.in_m(p)]
        for x in range(len(inside)):
            for y in range(x + 1, len(inside)):
                g.add_edge(inside[x], inside[y])

    def expected(self) -> dict[str, float]:
        members = self.m()
        n = len(members)
        items = self.contributions()
        per = {m: 0 for m in members}
        for i in items:
            per[i.author] += 1
        x = list(per.values())
        total = sum(x)
        gini = (sum(abs(a - b) for a in x for b in x) / (2 * n * total)) if total else 0.0
        by_member = sum(per[m] for m in members if self.people[m]["role"] == "member")
        base = [i for i in items if i.replyable and i.reply_to is None]
        answered = [b for b in base if any(r.kind == b.kind and r.reply_to == b.id and r.author != b.author
                                           for r in items)]
        g = self.graph()
        d = nx.DiGraph()
        d.add_edges_from((a, b) for a, b, at in self.follows if at < self.as_of and self.in_m(a) and self.in_m(b))
        return {
            "contributor_share": sum(1 for v in x if v) / n if n else 0.0,
            "contribution_gini": gini,
            "member_voice_share": by_member / total if total else 0.0,
            "reply_rate": len(answered) / len(base) if base else 0.0,
            "isolated_share": len(list(nx.isolates(g))) / n if n else 0.0,
            "mean_degree": 2 * g.number_of_edges() / n if n else 0.0,
            "reciprocity": nx.reciprocity(d) if d.number_of_edges() else 0.0,
            "clustering": nx.average_clustering(g) if n else 0.0,
            "largest_component_share": max(len(c) for c in nx.connected_components(g)) / n if n else 0.0,
        }


def metrics_of(report: dict) -> dict[str, float]:
    return {**report["expression"]["metrics"], **report["connection"]["metrics"]}
