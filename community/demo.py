"""A demo movement: members with profiles, follows, and each enabled module's own demo data.

Deterministic for a seed (random.Random(seed), fixed base time), and fast: bulk inserts,
one password hash shared by every demo account.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from sqlalchemy import func, select

from .auth.service import hash_password
from .database import refresh_statistics
from .extensions import db
from .models import Activity, ConsentRecord, Follow, Member, MemberTag
from .registry import FAMILIES, registry
from .timeutil import utcnow

DEMO_PASSWORD = "terreau-demo-2026"
ADMIN_EMAIL = "admin@demo.terreau.example"
MINOR_SHARE = 0.05  # with a profile, the other families' modules make this share of their usual volume
def base_time() -> datetime:
    """The demo's "now": midnight UTC of the day it runs. A seed gives the same data (the same
    people, follows, posts…), dated relative to that day so that a demo always looks current."""
    return utcnow().replace(hour=0, minute=0, second=0, microsecond=0)

FIRST = ("Camille Léa Manon Chloé Inès Jade Louise Emma Alice Lina Sarah Zoé Anaïs Clara Julie Nadia Fatou Aïcha "
         "Yasmine Salomé Lucas Hugo Louis Nathan Gabriel Jules Arthur Adam Raphaël Paul Karim Mehdi Thomas Noé "
         "Bastien Malik Youssef Rémi Antoine Samuel Mamadou Olivier Pierre Élise Margaux Hélène Agnès Sylvie "
         "Bernard Michel").split()
LAST = ("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel "
        "Garcia David Bertrand Roux Vincent Fournier Morel Girard André Mercier Dupont Lambert Bonnet François "
        "Martinez Legrand Garnier Faure Rousseau Blanc Guerin Muller Henry Roussel Nicolas Perrin Morin Mathieu "
        "Clément Gauthier Dumont Lopez Fontaine Chevalier Robin Diallo Benali Nguyen Traoré Haddad").split()
COMMUNES = (
    ("Lyon", "69003"), ("Lyon", "69007"), ("Villeurbanne", "69100"), ("Vénissieux", "69200"),
    ("Marseille", "13001"), ("Marseille", "13005"), ("Aix-en-Provence", "13100"), ("Paris", "75011"),
    ("Paris", "75018"), ("Paris", "75020"), ("Montreuil", "93100"), ("Saint-Denis", "93200"),
    ("Nantes", "44000"), ("Rezé", "44400"), ("Lille", "59000"), ("Roubaix", "59100"), ("Toulouse", "31000"),
    ("Colomiers", "31770"), ("Rennes", "35000"), ("Grenoble", "38000"), ("Bordeaux", "33000"),
    ("Strasbourg", "67000"), ("Clermont-Ferrand", "63000"), ("Brest", "29200"), ("Tulle", "19000"),
)
INTERESTS = ("climat transports logement santé éducation féminisme agriculture énergie culture numérique "
             "services-publics quartiers retraites emploi europe jeunesse démocratie biodiversité eau "
             "alimentation handicap laïcité sport ruralité").split()
SKILLS = ("graphisme tractage porte-à-porte prise-de-parole rédaction réseaux-sociaux vidéo photo traduction "
          "droit comptabilité animation-de-réunion logistique informatique formation phoning "
          "relations-presse cartographie").split()


@dataclass
class DemoContext:
    """What modules' seed_demo(ctx) receive: the members made, the randomness, the base time."""

    rng: random.Random
    now: datetime
    member_ids: list[int]
    admin_id: int
    organiser_ids: list[int]
    members: dict[int, dict] = field(default_factory=dict)  # id → row (commune, postal_code, interests…)
    scale: float = 1.0  # members / 200: modules scale their volumes with it
    activities: list[dict] = field(default_factory=list)  # inserted at the end, in time order (ids follow time)
    follows: set[tuple[int, int]] = field(default_factory=set)  # (follower, followed) pairs
    # seed-demo --profile: a movement shaped like one of the study's three types (None: a bit of everything)
    profile: str | None = None

    def family_scale(self, family: str) -> float:
        """The share of its usual demo volume a module of ``family`` makes: all of it without a profile
        and for the profile's own family, a twentieth for the others (so the profile's family leads)."""
        return 1.0 if self.profile is None or family == self.profile else MINOR_SHARE

    def activity(self, actor_id: int | None, verb: str, object_type: str | None, object_id, at: datetime,
                 audience: str = "members", data: dict | None = None) -> None:
        """Queue an activity; all steps' activities are stored together, sorted by time."""
        self.activities.append({"actor_id": actor_id, "verb": verb, "module": verb.split(".", 1)[0],
                                "object_type": object_type, "object_id": None if object_id is None else str(object_id),
                                "audience": audience, "data": data or {}, "created_at": at})

    def bulk(self, model, rows: list[dict], chunk: int = 5000) -> None:
        table = getattr(model, "__table__", model)
        for start in range(0, len(rows), chunk):
            # Core executemany on the table: much faster than the ORM's bulk path for demo volumes.
            db.session.execute(table.insert(), rows[start:start + chunk])


def seed(*, members: int = 200, seed: int = 1, progress: bool = False, profile: str | None = None) -> dict:
    """Seed an empty database; raises RuntimeError when it already has members. ``profile`` (a family)
    shapes the movement like the study's type: influence (top-down diffusion), collaboration (groups,
    debates, introductions) or coordination (events and campaigns)."""
    if profile is not None and profile not in FAMILIES:
        raise RuntimeError(f"unknown profile {profile!r}; choose one of {', '.join(FAMILIES)}")
    if db.session.scalar(select(func.count()).select_from(Member)):
        raise RuntimeError("the database already has members; seed-demo only fills an empty one")
    rng = random.Random(seed)
    now = base_time()
    password_hash = hash_password(DEMO_PASSWORD)
    rows, used = [], set()
    for i in range(members):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        base = "".join(c for c in f"{first}_{last}".lower() if c.isascii() and (c.isalnum() or c == "_"))[:24]
        handle = base
        n = 1
        while handle in used:
            n += 1
            handle = f"{base}{n}"
        used.add(handle)
        commune, postal = rng.choice(COMMUNES)
        role = "member"
        if i == 0:
            role = "admin"
        elif i in (1, 2):
            role = "moderator"
        elif rng.random() < 0.04:
            role = "organiser"
        rows.append({
            "id": i + 1, "handle": handle if i else "admin", "display_name": f"{first} {last}" if i else "Admin Démo",
            "email": f"{handle}@demo.terreau.example" if i else ADMIN_EMAIL, "password_hash": password_hash,
            "role": role, "joined_at": now - timedelta(days=rng.randint(1, 720), minutes=rng.randint(0, 1440)),
            "locale": "fr", "timezone": "Europe/Paris", "bio": "", "commune": commune, "postal_code": postal,
            "in_directory": rng.random() < 0.7, "avatar": None, "suspended_at": None, "suspension_reason": None,
            "erased_at": None,
        })
    ctx = DemoContext(rng=rng, now=now, member_ids=[r["id"] for r in rows], admin_id=1,
                      organiser_ids=[r["id"] for r in rows if r["role"] in ("organiser", "admin")],
                      scale=members / 200, profile=profile)
    steps = ["members", "profiles", "follows", *(m.name for m in registry.enabled() if m.seed_demo)]
    with click.progressbar(steps, label="seeding demo", hidden=not progress) as bar:
        for step in bar:
            if step == "members":
                ctx.bulk(Member, rows)
                ctx.bulk(ConsentRecord, [{"member_id": r["id"], "purpose": "processing_notice", "version": "demo",
                                          "given": True, "at": r["joined_at"]} for r in rows])
                reset_sequence("member")
            elif step == "profiles":
                _seed_tags(ctx, rows)
            elif step == "follows":
                follows = _seed_follows(ctx, rows)
            else:
                registry.get(step).seed_demo(ctx)
        ctx.activities.sort(key=lambda a: a["created_at"])
        ctx.bulk(Activity, ctx.activities)
    db.session.commit()
    for module in registry.enabled():
        if module.on_enable:
            module.on_enable()  # derived data (e.g. points) rebuilt from what was just seeded
    db.session.commit()
    refresh_statistics()
    follows = db.session.scalar(select(func.count()).select_from(Follow))  # modules may add some (introductions)
    return {"members": members, "follows": follows, "admin_email": ADMIN_EMAIL, "password": DEMO_PASSWORD}


def _seed_tags(ctx: DemoContext, rows: list[dict]) -> None:
    tags = []
    for row in rows:
        interests = ctx.rng.sample(INTERESTS, ctx.rng.randint(1, 4))
        skills = ctx.rng.sample(SKILLS, ctx.rng.randint(0, 3))
        row["interests"], row["skills"] = interests, skills
        tags += [{"member_id": row["id"], "kind": "interest", "name": n} for n in interests]
        tags += [{"member_id": row["id"], "kind": "skill", "name": n} for n in skills]
        ctx.members[row["id"]] = row
    ctx.bulk(MemberTag, tags)


def _seed_follows(ctx: DemoContext, rows: list[dict]) -> int:
    """Each member follows 2-20 others, mostly from their commune, some prominent members."""
    by_commune: dict[str, list[int]] = {}
    for row in rows:
        by_commune.setdefault(row["commune"], []).append(row["id"])
    ids = ctx.member_ids
    hubs = ids[: max(5, len(ids) // 50)]
    pairs: set[tuple[int, int]] = set()
    # top-down diffusion (--profile influence): most follows go to the few prominent members
    local_share, hub_share = (0.2, 0.7) if ctx.profile == "influence" else (0.6, 0.15)
    for row in rows:
        local = by_commune[row["commune"]]
        for _ in range(ctx.rng.randint(2, 20)):
            r = ctx.rng.random()
            pool = local if r < local_share else hubs if r < local_share + hub_share else ids
            other = ctx.rng.choice(pool)
            if other != row["id"]:
                pairs.add((row["id"], other))
    follows = []
    for follower, followed in sorted(pairs):
        at = max(ctx.members[follower]["joined_at"], ctx.members[followed]["joined_at"]) + timedelta(
            hours=ctx.rng.randint(1, 2000))
        at = min(at, ctx.now - timedelta(minutes=ctx.rng.randint(1, 5000)))
        follows.append({"follower_id": follower, "followed_id": followed, "created_at": at})
        ctx.activity(follower, "core.follow", "core.member", followed, at, audience=f"member:{followed}",
                     data={"endpoint": "members.profile", "args": {"handle": ctx.members[follower]["handle"]}})
    ctx.bulk(Follow, follows)
    ctx.follows = pairs
    return len(follows)


def reset_sequence(table: str) -> None:
    """PostgreSQL: explicit ids were inserted, so move the id sequence past them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(db.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"))
