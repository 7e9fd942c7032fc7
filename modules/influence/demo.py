"""Demo posts, replies, reactions and relays, about 20 posts per member, fast (bulk inserts).

Bodies are drawn from a small set of sentences and topics, so each distinct body is rendered
(Markdown, links) once and reused.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from community.demo import DemoContext, reset_sequence

from .models import InfluencePost, InfluencePostTag, InfluenceReaction, InfluenceRelay
from .service import render_body

SENTENCES = (
    "Réunion publique jeudi soir à la maison des associations, venez nombreux !",
    "Compte rendu de notre porte-à-porte de samedi : beaucoup d'échanges sur le quotidien.",
    "Qui est disponible pour tracter au marché dimanche matin ?",
    "Belle mobilisation hier, merci à toutes et à tous.",
    "Je partage cette note sur les transports du quotidien, à discuter.",
    "Proposition : un atelier d'écriture pour préparer le programme local.",
    "Le conseil municipal vote le budget mardi, soyons présents.",
    "Retour sur la formation à la prise de parole : très utile.",
    "On manque de bras pour la permanence de la semaine prochaine.",
    "Quelles priorités pour notre quartier ? Donnez votre avis.",
    "Lecture conseillée pour préparer le débat de la semaine prochaine.",
    "Bravo à l'équipe du phoning, plus de 300 appels passés !",
)
REPLIES = (
    "D'accord avec toi.", "Je peux aider samedi.", "Bonne idée, on en parle à la réunion ?",
    "Merci pour le partage.", "Je ne suis pas convaincu, voici pourquoi : le calendrier est serré.",
    "Présent !", "Tu peux préciser le lieu ?", "Super compte rendu.",
)
TOPICS = ("climat", "transports", "logement", "santé", "éducation", "retraites", "quartiers", "démocratie",
          "europe", "jeunesse", "agriculture", "énergie", "services-publics", "emploi", "culture")


def seed_demo(ctx: DemoContext) -> None:
    rng = ctx.rng
    ids = ctx.member_ids
    n_posts = int(20 * len(ids) * ctx.family_scale("influence"))
    # top-down diffusion (--profile influence): a few staff write most posts, members answer little
    # and relay more; otherwise anyone writes
    top_down = ctx.profile == "influence"
    staff = sorted(set(ctx.organiser_ids) | set(ids[:3])) if top_down else ids
    reply_share, relay_share = (0.1, 0.25) if top_down else (0.3, 0.02)
    window = timedelta(days=90)
    rendered: dict[str, tuple[str, list[str]]] = {}
    with current_app.test_request_context(base_url=current_app.config["TERREAU_BASE_URL"]):
        for sentence in SENTENCES:
            for topic in TOPICS:
                body = f"{sentence} #{topic}"
                html, tags, _mentions = render_body(body)
                rendered[body] = (html, tags)
        for reply in REPLIES:
            rendered[reply] = (render_body(reply)[0], [])
    times = sorted(ctx.now - window * rng.random() for _ in range(n_posts))
    posts, tags, reactions, relays = [], [], [], []
    roots: list[dict] = []
    for post_id, at in enumerate(times, start=1):
        author = rng.choice(staff)
        parent = roots[-rng.randint(1, min(50, len(roots)))] if roots and rng.random() < reply_share else None
        if parent is not None and top_down:
            author = rng.choice(ids)  # members answer the staff
        at = max(at, ctx.members[author]["joined_at"] + timedelta(minutes=1))
        if parent is not None:
            body = rng.choice(REPLIES)
            at = max(at, parent["created_at"] + timedelta(minutes=1))
        else:
            body = f"{rng.choice(SENTENCES)} #{rng.choice(TOPICS)}"
        html, post_tags = rendered[body]
        row = {"id": post_id, "author_id": author, "body": body, "body_html": html, "image": None,
               "audience": "public" if rng.random() < 0.3 else "members",
               "reply_to_id": parent["id"] if parent else None, "thread_id": parent["thread_id"] if parent else post_id,
               "created_at": at, "edited_at": None, "deleted_at": None, "last_activity_at": at,
               "reply_count": 0, "reaction_count": 0, "relay_count": 0}
        if parent is not None:
            row["audience"] = parent["audience"]
            parent["reply_count"] += 1
            parent["last_activity_at"] = max(parent["last_activity_at"], at)
        else:
            roots.append(row)
        posts.append(row)
        tags += [{"post_id": post_id, "tag": t, "created_at": at} for t in post_tags]
        verb = "influence.reply" if parent else "influence.post"
        ctx.activity(author, verb, "influence.post", post_id, at, audience=row["audience"], data={
            "endpoint": "influence.post", "args": {"post_id": post_id}, "mentions": [],
            "reply_to_author": parent["author_id"] if parent else None, "thread_id": row["thread_id"],
            "tags": post_tags})
        for member in {rng.choice(ids) for _ in range(rng.choice((0, 0, 1, 1, 2, 3, 5)))}:
            reactions.append({"post_id": post_id, "member_id": member, "kind": rng.choice(("like", "agree", "idea",
                                                                                         "thanks")),
                              "created_at": at + timedelta(minutes=rng.randint(1, 600))})
            row["reaction_count"] += 1
        if parent is None and row["audience"] in ("public", "members") and rng.random() < relay_share:
            relayer = rng.choice(ids)
            if relayer != author:
                relay_at = at + timedelta(hours=rng.randint(1, 48))
                relays.append({"post_id": post_id, "member_id": relayer, "comment": "", "created_at": relay_at})
                row["relay_count"] += 1
                ctx.activity(relayer, "influence.relay", "influence.post", post_id, relay_at, audience=row["audience"],
                             data={"endpoint": "influence.post", "args": {"post_id": post_id}, "comment": ""})
    ctx.bulk(InfluencePost, posts)
    ctx.bulk(InfluencePostTag, tags)
    ctx.bulk(InfluenceReaction, reactions)
    ctx.bulk(InfluenceRelay, relays)
    reset_sequence("influence_post")
