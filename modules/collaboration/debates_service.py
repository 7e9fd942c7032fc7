"""Debates: a question open for a period, contributions for / against / neutral with threaded
replies, a live count, and a written synthesis when an organiser or the group's animator closes it.

Plain functions, no HTTP. The counts (``count_for`` …) are kept by an atomic UPDATE that is also
the guard: it only matches while the debate is open, so a contribution racing with the closing
or with the end of the period is refused instead of being counted in a closed debate. Replies do
not carry a stance and are not counted: the counts are the positions taken.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select, update

from community.activity import hidden_filter, publish
from community.database import after_commit
from community.extensions import db, socketio
from community.markdown import render_markdown
from community.models import HiddenContent
from community.timeutil import utcnow

from .access import can_see_group_content, get_group, group_room, is_animator, member_group_ids
from .models import CollaborationContribution, CollaborationDebate, CollaborationGroup, CollaborationMembership

MAX_TITLE = 200
MAX_QUESTION = 10_000
MAX_BODY = 5_000
MAX_SYNTHESIS = 20_000
STANCES = ("for", "against", "neutral")
PAGE = 50  # top-level contributions per page
LIST_PAGE = 30
DEFAULT_DAYS = 14  # the form proposes an end two weeks ahead
ROOM = "collaboration:debate:{id}"
EVENT = "collaboration.debate"
STAFF_ROLE = "organiser"  # organisers, moderators and admins (ROLES order)


class DebateError(ValueError):
    """A refused action; ``errors`` maps a form field ("" for the whole form) to translated messages."""

    def __init__(self, errors):
        if not isinstance(errors, dict):
            errors = {"": [errors]}
        super().__init__("; ".join(str(m) for messages in errors.values() for m in messages))
        self.errors = errors


def debate_room(debate_id: int) -> str:
    return ROOM.format(id=debate_id)


def audience_of(debate: CollaborationDebate) -> str:
    """The activity audience: the group's room for a group's debate, else every member."""
    return group_room(debate.group_id) if debate.group_id else "members"


# --- rights -----------------------------------------------------------------------------------


def is_hidden(kind: str, ident: int) -> bool:
    return db.session.get(HiddenContent, (kind, str(ident))) is not None


def can_see(member, debate: CollaborationDebate | None) -> bool:
    return (debate is not None and can_see_group_content(member, debate.group_id)
            and not is_hidden(CollaborationDebate.content_type, debate.id))


def get_debate(debate_id: int, viewer) -> CollaborationDebate | None:
    """The debate if ``viewer`` may see it (its group's member, not hidden), else None."""
    debate = db.session.get(CollaborationDebate, debate_id)
    return debate if can_see(viewer, debate) else None


def can_open(member, group_id: int | None) -> bool:
    """Organisers (and above) open movement-wide debates; in a group, its animators, and the
    organisers who belong to it."""
    if member is None or not getattr(member, "is_authenticated", False):
        return False
    if group_id is None:
        return member.has_role(STAFF_ROLE)
    if is_animator(member, group_id):
        return True
    return member.has_role(STAFF_ROLE) and can_see_group_content(member, group_id)


def can_close(member, debate: CollaborationDebate) -> bool:
    """Whoever may open a debate there may close it with a synthesis."""
    return can_open(member, debate.group_id)


def group_choices(member, *, openable: bool = False) -> list[tuple[int, str]]:
    """(id, name) of the member's active, non-archived groups; ``openable``: only those where the
    member may open a debate."""
    if member is None or not member.is_authenticated:
        return []
    rows = db.session.execute(
        select(CollaborationGroup.id, CollaborationGroup.name, CollaborationMembership.role)
        .join(CollaborationMembership, CollaborationMembership.group_id == CollaborationGroup.id)
        .where(CollaborationMembership.member_id == member.id, CollaborationMembership.status == "active",
               CollaborationGroup.archived_at.is_(None))
        .order_by(CollaborationGroup.name)).all()
    if not openable:
        return [(r.id, r.name) for r in rows]
    staff = member.has_role(STAFF_ROLE) or member.has_role("moderator")
    return [(r.id, r.name) for r in rows if staff or r.role == "animator"]


def may_open_somewhere(member) -> bool:
    return can_open(member, None) or bool(group_choices(member, openable=True))


def _check_group_writable(group_id: int | None) -> None:
    if group_id is None:
        return
    group = get_group(group_id)
    if group is None:
        raise DebateError({"group": [_l("This group does not exist.")]})
    if group.archived_at is not None:
        raise DebateError(_l("This group is archived: it is read-only."))


# --- state ------------------------------------------------------------------------------------


def state(debate: CollaborationDebate, now: datetime | None = None) -> str:
    """"upcoming", "open", "ended" (the period is over, the synthesis is awaited) or "closed"."""
    now = now or utcnow()
    if debate.closed_at is not None:
        return "closed"
    if debate.opens_at > now:
        return "upcoming"
    if debate.closes_at is not None and debate.closes_at <= now:
        return "ended"
    return "open"


def refusal(debate: CollaborationDebate, now: datetime | None = None):
    """Why a contribution is refused now, or None when the debate is open."""
    current = state(debate, now)
    if current == "closed":
        return _l("This debate is closed: it accepts no more contributions. Read its synthesis below.")
    if current == "ended":
        return _l("This debate's period is over: it accepts no more contributions.")
    if current == "upcoming":
        return _l("This debate is not open yet: contributions are accepted from its opening.")
    return None


def counts(debate: CollaborationDebate) -> dict[str, int]:
    return {"for": debate.count_for, "against": debate.count_against, "neutral": debate.count_neutral}


_COUNT_COLUMNS = {"for": CollaborationDebate.count_for, "against": CollaborationDebate.count_against,
                  "neutral": CollaborationDebate.count_neutral}


# --- writing ----------------------------------------------------------------------------------


def validate(*, title: str, question: str, group_id: int | None, opens_at: datetime | None,
             closes_at: datetime | None, now: datetime) -> dict[str, list]:
    """Every problem of a new debate, by form field (empty: none)."""
    errors: dict[str, list] = {}
    if not title.strip():
        errors.setdefault("title", []).append(_l("Give the debate a title."))
    elif len(title.strip()) > MAX_TITLE:
        errors.setdefault("title", []).append(_l("A title has at most %(n)d characters.", n=MAX_TITLE))
    if not question.strip():
        errors.setdefault("question", []).append(_l("Write the question to debate."))
    elif len(question.strip()) > MAX_QUESTION:
        errors.setdefault("question", []).append(_l("The question has at most %(n)d characters.", n=MAX_QUESTION))
    start = opens_at or now
    if closes_at is not None:
        if closes_at <= now:
            errors.setdefault("closes_at", []).append(_l("The end must be in the future."))
        elif closes_at <= start:
            errors.setdefault("closes_at", []).append(_l("The end must come after the start."))
    return errors


def create_debate(author, *, title: str, question: str, group_id: int | None = None,
                  opens_at: datetime | None = None, closes_at: datetime | None = None,
                  now: datetime | None = None) -> CollaborationDebate:
    """Open a debate (movement-wide, or in a group) and announce it to its audience."""
    now = now or utcnow()
    errors = validate(title=title, question=question, group_id=group_id, opens_at=opens_at,
                      closes_at=closes_at, now=now)
    if not can_open(author, group_id):
        errors.setdefault("group" if group_id else "", []).append(
            _l("You may not open a debate here.") if group_id else
            _l("Only organisers open debates for the whole movement; a group's animators open its debates."))
    if errors:
        raise DebateError(errors)
    _check_group_writable(group_id)
    question = question.strip()
    debate = CollaborationDebate(
        group_id=group_id, author_id=author.id, title=title.strip(), question=question,
        question_html=str(render_markdown(question)), opens_at=opens_at or now, closes_at=closes_at,
        created_at=now)
    db.session.add(debate)
    db.session.flush()
    publish(author, "collaboration.debate_opened", debate, audience=audience_of(debate), commit=False, data={
        "endpoint": "collaboration.debate", "args": {"debate_id": debate.id}, "title": debate.title})
    db.session.commit()
    return debate


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise DebateError({"body": [_l("Write something first.")]})
    if len(body) > MAX_BODY:
        raise DebateError({"body": [_l("A contribution has at most %(n)d characters (this one has %(m)d).",
                                       n=MAX_BODY, m=len(body))]})
    return body


def contribute(member, debate: CollaborationDebate, body: str, *, stance: str = "neutral",
               reply_to_id: int | None = None, now: datetime | None = None) -> CollaborationContribution:
    """Add a contribution (a position: for, against or neutral) or a reply to one; count it, then
    tell the debate's room after the commit."""
    now = now or utcnow()
    body = _check_body(body)
    reply_to = None
    if reply_to_id is not None:
        reply_to = db.session.get(CollaborationContribution, reply_to_id)
        if (reply_to is None or reply_to.debate_id != debate.id or reply_to.deleted_at is not None
                or is_hidden(CollaborationContribution.content_type, reply_to.id)):
            raise DebateError(_l("The contribution you answer is no longer available."))
    elif stance not in STANCES:
        raise DebateError({"stance": [_l("Choose for, against or neutral.")]})
    _check_group_writable(debate.group_id)
    # The guard and the count in one statement: it matches only while the debate is open. A reply
    # changes no count but still goes through it (a no-op assignment), which also serialises it
    # with the closing.
    column = _COUNT_COLUMNS[stance] if reply_to is None else CollaborationDebate.count_neutral
    increment = 1 if reply_to is None else 0
    result = db.session.execute(
        update(CollaborationDebate)
        .where(CollaborationDebate.id == debate.id, CollaborationDebate.closed_at.is_(None),
               CollaborationDebate.opens_at <= now,
               or_(CollaborationDebate.closes_at.is_(None), CollaborationDebate.closes_at > now))
        .values({column: column + increment})
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        db.session.refresh(debate)
        raise DebateError(refusal(debate, now) or _l("This debate accepts no contributions now."))
    contribution = CollaborationContribution(
        debate_id=debate.id, author_id=member.id, stance="neutral" if reply_to else stance, body=body,
        body_html=str(render_markdown(body)), reply_to_id=reply_to.id if reply_to else None, created_at=now)
    db.session.add(contribution)
    db.session.flush()
    notify = {debate.author_id, reply_to.author_id if reply_to else None}
    publish(member, "collaboration.contribution", contribution, audience=audience_of(debate), notify=notify,
            commit=False, data={"endpoint": "collaboration.debate",
                                "args": {"debate_id": debate.id, "_anchor": f"contribution-{contribution.id}"},
                                "title": debate.title, "stance": None if reply_to else stance,
                                "reply_to_author": reply_to.author_id if reply_to else None})
    fresh = db.session.execute(select(CollaborationDebate.count_for, CollaborationDebate.count_against,
                                      CollaborationDebate.count_neutral)
                               .where(CollaborationDebate.id == debate.id)).one()
    payload = {"debate": debate.id, "contribution": contribution.id, "reply_to": contribution.reply_to_id,
               "counts": {"for": fresh[0], "against": fresh[1], "neutral": fresh[2]}, "closed": False}
    _emit_after_commit(debate.id, payload)
    db.session.commit()
    return contribution


def close_debate(member, debate: CollaborationDebate, synthesis: str,
                 now: datetime | None = None) -> CollaborationDebate:
    """Close the debate with a written synthesis; its participants are notified."""
    now = now or utcnow()
    if not can_close(member, debate):
        raise DebateError(_l("Only an organiser or the group's animators close a debate."))
    synthesis = (synthesis or "").strip()
    if not synthesis:
        raise DebateError({"synthesis": [_l("Write the synthesis of the debate before closing it.")]})
    if len(synthesis) > MAX_SYNTHESIS:
        raise DebateError({"synthesis": [_l("A synthesis has at most %(n)d characters.", n=MAX_SYNTHESIS)]})
    result = db.session.execute(
        update(CollaborationDebate)
        .where(CollaborationDebate.id == debate.id, CollaborationDebate.closed_at.is_(None))
        .values(closed_at=now, synthesis=synthesis, synthesis_html=str(render_markdown(synthesis)))
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise DebateError(_l("This debate is already closed."))
    participants = set(db.session.scalars(select(CollaborationContribution.author_id).distinct().where(
        CollaborationContribution.debate_id == debate.id)))
    participants.add(debate.author_id)
    publish(member, "collaboration.debate_closed", debate, audience=audience_of(debate), notify=participants,
            commit=False, data={"endpoint": "collaboration.debate", "args": {"debate_id": debate.id},
                                "title": debate.title})
    db.session.expire(debate)
    _emit_after_commit(debate.id, {"debate": debate.id, "contribution": None, "reply_to": None,
                                   "counts": None, "closed": True})
    db.session.commit()
    return debate


def _emit_after_commit(debate_id: int, payload: dict) -> None:
    app = current_app._get_current_object()

    def emit():
        with app.app_context():
            socketio.emit(EVENT, payload, to=debate_room(debate_id))

    after_commit(emit)


# --- reading ----------------------------------------------------------------------------------


def _visible_filter(viewer):
    """Debates the viewer may see: movement-wide ones, their groups' (moderators: all), not hidden."""
    clauses = [hidden_filter(CollaborationDebate.content_type, func.cast(CollaborationDebate.id, db.String))]
    if not viewer.has_role("moderator"):
        groups = member_group_ids(viewer)
        clauses.append(or_(CollaborationDebate.group_id.is_(None), CollaborationDebate.group_id.in_(groups))
                       if groups else CollaborationDebate.group_id.is_(None))
    return and_(*clauses)


def list_debates(viewer, *, before: int | None = None, limit: int = LIST_PAGE,
                 group_id: int | None = None) -> list[CollaborationDebate]:
    """The debates the viewer may see, newest first (keyset on the id)."""
    query = select(CollaborationDebate).where(_visible_filter(viewer))
    if group_id is not None:
        query = query.where(CollaborationDebate.group_id == group_id)
    if before is not None:
        query = query.where(CollaborationDebate.id < before)
    return list(db.session.scalars(query.order_by(CollaborationDebate.id.desc()).limit(limit)))


def group_names(group_ids) -> dict[int, str]:
    ids = {g for g in group_ids if g}
    if not ids:
        return {}
    return dict(db.session.execute(select(CollaborationGroup.id, CollaborationGroup.name)
                                   .where(CollaborationGroup.id.in_(ids))).all())


def _shown():
    return and_(CollaborationContribution.deleted_at.is_(None),
                hidden_filter(CollaborationContribution.content_type,
                              func.cast(CollaborationContribution.id, db.String)))


def contributions_page(debate: CollaborationDebate, *, before: int | None = None, limit: int = PAGE):
    """(top-level contributions newest first, replies by parent id oldest first, id for the next
    page or None). Two queries whatever the page's length; a reply to a hidden contribution is
    left out with it."""
    query = select(CollaborationContribution).where(
        CollaborationContribution.debate_id == debate.id, CollaborationContribution.reply_to_id.is_(None), _shown())
    if before is not None:
        query = query.where(CollaborationContribution.id < before)
    roots = list(db.session.scalars(query.order_by(CollaborationContribution.id.desc()).limit(limit + 1)))
    older = roots[limit - 1].id if len(roots) > limit else None
    roots = roots[:limit]
    replies = list(db.session.scalars(select(CollaborationContribution).where(
        CollaborationContribution.debate_id == debate.id, CollaborationContribution.reply_to_id.is_not(None),
        _shown()).order_by(CollaborationContribution.id)))
    children: dict[int, list[CollaborationContribution]] = {}
    for reply in replies:
        children.setdefault(reply.reply_to_id, []).append(reply)
    return roots, children, older


def contributions_since(debate: CollaborationDebate, after: int, limit: int = 100) -> list[CollaborationContribution]:
    """Shown contributions newer than ``after``, oldest first (the live page's catch-up)."""
    return list(db.session.scalars(select(CollaborationContribution).where(
        CollaborationContribution.debate_id == debate.id, CollaborationContribution.id > after, _shown())
        .order_by(CollaborationContribution.id).limit(limit)))


def last_contribution_id(debate: CollaborationDebate) -> int:
    return db.session.scalar(select(func.max(CollaborationContribution.id)).where(
        CollaborationContribution.debate_id == debate.id)) or 0


def default_closes_at(now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(days=DEFAULT_DAYS)


# --- export -----------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() + "Z" if value else None


def export_data(member) -> dict:
    """The member's own debates and contributions (others' identities left out)."""
    debates = db.session.scalars(select(CollaborationDebate).where(CollaborationDebate.author_id == member.id)
                                 .order_by(CollaborationDebate.id))
    rows = db.session.execute(
        select(CollaborationContribution, CollaborationDebate.title)
        .join(CollaborationDebate, CollaborationDebate.id == CollaborationContribution.debate_id)
        .where(CollaborationContribution.author_id == member.id).order_by(CollaborationContribution.id)).all()
    return {
        "debates_opened": [{"id": d.id, "title": d.title, "question": d.question, "opens_at": _iso(d.opens_at),
                            "closes_at": _iso(d.closes_at), "closed_at": _iso(d.closed_at),
                            "synthesis": d.synthesis} for d in debates],
        "contributions": [{"id": c.id, "debate_id": c.debate_id, "debate": title,
                           "stance": None if c.reply_to_id else c.stance, "reply_to": c.reply_to_id,
                           "body": c.body, "at": _iso(c.created_at), "deleted": c.deleted_at is not None}
                          for c, title in rows],
    }


# --- demo -------------------------------------------------------------------------------------

DEMO_DEBATES = (
    ("Transports en commun gratuits : pour ou contre ?",
     "La gratuité des transports en commun est-elle **la bonne priorité** pour notre ville ?\n\n"
     "Coût pour la collectivité, effet sur la voiture, justice sociale : donnez vos arguments."),
    ("Faut-il une assemblée citoyenne tirée au sort ?",
     "Nous proposons une assemblée de 50 habitants tirés au sort, consultée sur le budget local. "
     "Bonne idée, gadget, ou première étape ?"),
    ("Quelle place pour le numérique dans nos campagnes ?",
     "Réseaux sociaux, messageries, porte-à-porte : où mettre notre énergie pendant la campagne ?"),
    ("Cantines scolaires : 100 % bio et local d'ici 2030 ?",
     "L'objectif est-il réaliste, et à quelles conditions pour les producteurs du territoire ?"),
    ("Réduire la vitesse à 30 km/h dans toute la ville ?",
     "Sécurité, bruit, pollution, temps de trajet : qu'en pensez-vous ?"),
    ("Comment mieux accueillir les nouveaux militants ?",
     "Parrainage, soirée d'accueil, formation : partagez ce qui a marché chez vous."),
)
DEMO_ARGUMENTS = {
    "for": ("Je suis pour : c'est une mesure de justice sociale concrète.",
            "Pour, à condition de l'accompagner d'un vrai plan d'investissement.",
            "Pour : les villes qui l'ont fait en tirent un bilan positif.",
            "Oui, et il faut le dire clairement dans notre programme."),
    "against": ("Contre : le coût est trop élevé par rapport aux autres priorités.",
                "Je suis réservé : commençons par améliorer la fréquence et la qualité.",
                "Contre, car cela risque de saturer un réseau déjà fragile."),
    "neutral": ("Il nous manque des chiffres pour trancher : qui peut les chercher ?",
                "Les deux positions se défendent ; organisons une réunion publique.",
                "Attention à bien distinguer le court terme et le long terme."),
}
DEMO_REPLIES = ("Tout à fait d'accord.", "Tu as une source pour ce chiffre ?",
                "Je nuancerais : le contexte local compte.", "Bonne remarque, je n'y avais pas pensé.",
                "Pas convaincu, mais l'argument mérite d'être creusé.")
DEMO_SYNTHESIS = ("**Synthèse.** Une majorité se dégage pour avancer, avec deux conditions : chiffrer la mesure "
                  "et consulter les habitants. Les objections sur le coût seront reprises dans le groupe de travail.")


def seed_demo(ctx) -> None:
    """A few debates (open, closed with a synthesis, in groups when there are some), with
    contributions, threaded replies and their activities; bulk inserts, counts computed here."""
    from community.demo import reset_sequence

    rng = ctx.rng
    rows = db.session.execute(select(CollaborationMembership.group_id, CollaborationMembership.member_id,
                                     CollaborationMembership.role)
                              .where(CollaborationMembership.status == "active")
                              .order_by(CollaborationMembership.group_id, CollaborationMembership.member_id)).all()
    groups: dict[int, list[int]] = {}
    animators: dict[int, int] = {}
    for group_id, member_id, role in rows:
        groups.setdefault(group_id, []).append(member_id)
        if role == "animator":
            animators.setdefault(group_id, member_id)
    group_ids = [g for g, members in groups.items() if len(members) >= 3]
    next_debate = (db.session.scalar(select(func.max(CollaborationDebate.id))) or 0) + 1
    next_contribution = (db.session.scalar(select(func.max(CollaborationContribution.id))) or 0) + 1
    html = {}

    def rendered(text: str) -> str:
        if text not in html:
            html[text] = str(render_markdown(text))
        return html[text]

    debates, contributions = [], []
    staff = ctx.organiser_ids or [ctx.admin_id]
    volume = ctx.family_scale("collaboration") * (2 if ctx.profile == "collaboration" else 1)  # --profile
    for i in range(round(max(4, round(6 * ctx.scale)) * volume)):
        title, question = DEMO_DEBATES[i % len(DEMO_DEBATES)]
        group_id = rng.choice(group_ids) if group_ids and rng.random() < 0.4 else None
        pool = groups[group_id] if group_id else ctx.member_ids
        author = animators.get(group_id, pool[0]) if group_id else rng.choice(staff)
        opens_at = ctx.now - timedelta(days=rng.randint(3, 40), minutes=rng.randint(0, 600))
        kind = i % 3  # 0: open with an end, 1: closed with a synthesis, 2: open until closed
        closes_at = (ctx.now + timedelta(days=rng.randint(2, 20)) if kind == 0 else
                     opens_at + timedelta(days=2) if kind == 1 else None)
        until = min(ctx.now, closes_at) if closes_at else ctx.now
        debate_id = next_debate
        next_debate += 1
        audience = group_room(group_id) if group_id else "members"
        args = {"debate_id": debate_id}
        count = {"for": 0, "against": 0, "neutral": 0}
        made: list[tuple[int, int]] = []  # (id, author) of this debate's contributions
        span = (until - opens_at).total_seconds()
        for at in sorted(opens_at + timedelta(seconds=span * rng.random()) for _ in range(rng.randint(6, 30))):
            member = rng.choice(pool)
            if ctx.members.get(member, {}).get("joined_at", at) > at:
                continue
            reply = made and rng.random() < 0.3
            parent = rng.choice(made) if reply else None
            stance = "neutral" if reply else rng.choice(("for", "for", "against", "neutral"))
            body = rng.choice(DEMO_REPLIES) if reply else rng.choice(DEMO_ARGUMENTS[stance])
            if not reply:
                count[stance] += 1
            contributions.append({"id": next_contribution, "debate_id": debate_id, "author_id": member,
                                  "stance": stance, "body": body, "body_html": rendered(body),
                                  "reply_to_id": parent[0] if parent else None, "created_at": at, "deleted_at": None})
            ctx.activity(member, "collaboration.contribution", CollaborationContribution.content_type,
                         next_contribution, at, audience=audience,
                         data={"endpoint": "collaboration.debate",
                               "args": {**args, "_anchor": f"contribution-{next_contribution}"}, "title": title,
                               "stance": None if reply else stance,
                               "reply_to_author": parent[1] if parent else None})
            made.append((next_contribution, member))
            next_contribution += 1
        closed_at = min(closes_at + timedelta(hours=rng.randint(2, 30)), ctx.now) if kind == 1 else None
        debates.append({"id": debate_id, "group_id": group_id, "author_id": author, "title": title,
                        "question": question, "question_html": rendered(question), "opens_at": opens_at,
                        "closes_at": closes_at, "closed_at": closed_at,
                        "synthesis": DEMO_SYNTHESIS if closed_at else "",
                        "synthesis_html": rendered(DEMO_SYNTHESIS) if closed_at else "",
                        "count_for": count["for"], "count_against": count["against"],
                        "count_neutral": count["neutral"], "created_at": opens_at})
        ctx.activity(author, "collaboration.debate_opened", CollaborationDebate.content_type, debate_id, opens_at,
                     audience=audience, data={"endpoint": "collaboration.debate", "args": args, "title": title})
        if closed_at:
            ctx.activity(author, "collaboration.debate_closed", CollaborationDebate.content_type, debate_id,
                         closed_at, audience=audience,
                         data={"endpoint": "collaboration.debate", "args": args, "title": title})
    ctx.bulk(CollaborationDebate, debates)
    ctx.bulk(CollaborationContribution, contributions)
    reset_sequence(CollaborationDebate.__tablename__)
    reset_sequence(CollaborationContribution.__tablename__)
