"""A small community in the terreau-community/1 format with every section, as another platform
might write it (ids that are not numbers, group members as plain handles, times in other zones)."""

from __future__ import annotations

import copy


def T(day: int, hour: int = 10, minute: int = 0) -> str:
    return f"2026-03-{day:02d}T{hour:02d}:{minute:02d}:00Z"


SAMPLE = {
    "format": "terreau-community/1",
    "members": [
        {"handle": "alice", "display_name": "Alice Martin", "email": "alice@example.org", "role": "admin",
         "joined_at": "2026-01-05T09:00:00+01:00", "commune": "Lyon", "postal_code": "69003",
         "interests": ["climat", "logement"], "skills": ["rédaction"]},
        {"handle": "bruno", "display_name": "Bruno Petit", "email": "Bruno@Example.org", "role": "organiser",
         "joined_at": T(1), "commune": "Lyon", "postal_code": "69007", "interests": ["transports"], "skills": []},
        {"handle": "chloe", "display_name": "Chloé Diallo", "email": "chloe@example.org", "role": "member",
         "joined_at": T(2), "commune": "Villeurbanne", "postal_code": "69100", "interests": [], "skills": ["vidéo"]},
        {"handle": "driss", "display_name": "Driss Haddad", "email": "driss@example.org", "role": "member",
         "joined_at": T(2, 11), "commune": "Paris", "postal_code": "75011", "interests": ["climat"], "skills": []},
        {"handle": "emma", "display_name": "Emma Roux", "email": "emma@example.org", "role": "moderator",
         "joined_at": T(3), "suspended_at": T(20), "suspension_reason": "spam"},
    ],
    "follows": [
        {"follower": "bruno", "followed": "alice", "at": T(4)},
        {"follower": "alice", "followed": "bruno", "at": T(4, 12)},
        {"follower": "chloe", "followed": "alice", "at": T(5)},
        {"follower": "driss", "followed": "chloe", "at": T(6)},
    ],
    "groups": [
        {"slug": "lyon-en-commun", "name": "Lyon en commun", "kind": "local", "commune": "Lyon",
         "postal_code": "69003", "created_by": "bruno", "created_at": T(6),
         "members": ["bruno", "alice", {"member": "chloe", "role": "member", "joined_at": T(7)}],
         "wall": [
             {"id": "w-1", "author": "bruno", "body": "Bienvenue dans le groupe !", "at": T(7, 9)},
             {"id": "w-2", "author": "chloe", "body": "Merci, ravie d'être là.", "at": T(7, 10), "reply_to": "w-1"},
         ],
         "links": [{"author": "alice", "title": "Programme", "url": "https://example.org/programme", "at": T(8)}]},
        {"slug": "climat", "name": "Groupe climat", "kind": "thematic", "members": ["driss", "alice"]},
    ],
    "posts": [
        {"id": "p1", "author": "alice", "body": "Réunion jeudi, @bruno tu viens ? #climat", "at": T(10),
         "reactions": [{"member": "bruno", "kind": "like", "at": T(10, 11)}],
         "relays": [{"member": "chloe", "comment": "À voir", "at": T(10, 12)}]},
        {"id": "p2", "author": "bruno", "body": "Oui, présent.", "at": T(10, 13), "reply_to": "p1"},
        {"id": "p3", "author": "chloe", "body": "Et moi aussi.", "at": T(10, 14), "reply_to": "p2"},
        {"id": "p4", "author": "driss", "body": "Pour le groupe seulement.", "at": T(11), "group": "lyon-en-commun"},
        {"id": "p5", "author": "driss", "body": "Un message public.", "at": T(11, 12), "visibility": "public"},
    ],
    "announcements": [{"id": "a1", "author": "alice", "title": "Assemblée", "body": "Samedi à 14 h.", "at": T(12)}],
    "debates": [
        {"id": "d1", "title": "Gratuité des transports ?", "author": "bruno", "at": T(12), "group": "lyon-en-commun",
         "question": "Faut-il la gratuité ?", "contributions": [
             {"id": "c1", "author": "alice", "stance": "for", "body": "Oui, pour le climat.", "at": T(12, 11)},
             {"id": "c2", "author": "chloe", "stance": "against", "body": "Le coût est trop élevé.", "at": T(12, 12)},
             {"id": "c3", "author": "bruno", "stance": "neutral", "body": "Quel coût ?", "at": T(12, 13),
              "reply_to": "c2"},
             {"id": "c4", "author": "chloe", "stance": "neutral", "body": "Dix millions.", "at": T(12, 14),
              "reply_to": "c3"},
         ]},
        {"id": "d2", "title": "Une question ouverte", "author": None, "at": T(13), "contributions": []},
    ],
    "opinion_maps": [
        {"id": "o1", "title": "Nos priorités", "author": "alice", "at": T(13), "statements": [
            {"id": "s1", "author": "chloe", "text": "Le logement d'abord.", "at": T(13, 12),
             "votes": [{"member": "alice", "value": 1, "at": T(13, 13)}, {"member": "driss", "value": -1,
                                                                          "at": T(13, 14)}]},
        ]},
    ],
    "proposals": [
        {"id": "pr1", "title": "Des pistes cyclables", "author": "driss", "at": T(14),
         "versions": [{"number": 1, "text": "Plus de pistes.", "author": "driss", "at": T(14)},
                      {"number": 2, "text": "Plus de pistes, protégées.", "author": "chloe", "amendment": "am1",
                       "at": T(15)}],
         "amendments": [{"id": "am1", "author": "chloe", "base_version": 1, "text": "Plus de pistes, protégées.",
                         "rationale": "La sécurité.", "status": "accepted", "decided_by": "driss",
                         "decided_at": T(15), "at": T(14, 12)}],
         "supports": [{"member": "alice", "at": T(15, 12)}]},
    ],
    "introductions": [
        {"id": "i1", "from": "driss", "to": "bruno", "status": "accepted", "at": T(16), "decided_at": T(16, 12),
         "message": "On tracte ensemble ?"},
        {"from": "chloe", "to": "driss", "status": "pending", "at": T(17)},
    ],
    "blocks": [{"member": "chloe", "blocked": "emma", "at": T(18)}],
    "kits": [{"id": "k1", "title": "Kit tractage", "summary": "Tout pour tracter.", "created_by": "bruno",
              "at": T(5)}],
    "events": [
        {"id": "e1", "title": "Réunion publique", "organizer": "bruno", "starts_at": T(20, 18), "ends_at": T(20, 20),
         "created_at": T(9), "location": "Maison des associations", "commune": "Lyon", "postal_code": "69003",
         "group": "lyon-en-commun", "kit": "k1", "co_organizers": ["alice"], "attendees": [
             {"member": "alice", "status": "going", "checked_in": True, "checked_in_at": T(20, 18, 5)},
             {"member": "chloe", "status": "going", "checked_in": False},
             {"member": "driss", "status": "maybe"},
             {"member": "emma", "status": "not_going"},
         ]},
        {"id": "e2", "title": "Porte-à-porte", "organizer": "alice", "starts_at": T(21, 9), "ends_at": T(21, 12),
         "kind": "door_to_door", "capacity": 5, "attendees": [{"member": "driss", "status": "going",
                                                                "checked_in": True}]},
    ],
    "campaigns": [
        {"id": "cp1", "title": "Porte-à-porte de printemps", "kind": "door_to_door", "goal": 500,
         "starts_on": "2026-03-01", "ends_on": "2026-04-30", "organizer": "bruno", "at": T(8), "kit": "k1",
         "sectors": [{"id": "sec1", "name": "Rue de la République"}, {"id": "sec2", "name": "Place Bellecour"}],
         "teams": [{"id": "t1", "name": "Équipe A", "members": ["chloe", "driss"]}],
         "shifts": [{"id": "sh1", "starts_at": T(22, 9), "ends_at": T(22, 12), "needed": 4,
                     "signups": [{"member": "chloe", "at": T(19)}]}],
         "assignments": [{"sector": "sec1", "team": "t1", "by": "bruno", "at": T(19)},
                         {"sector": "sec2", "member": "alice", "by": "bruno", "at": T(19, 12)}],
         "reports": [{"id": "r1", "sector": "sec1", "member": "chloe", "shift": "sh1", "at": T(22, 13),
                      "doors_knocked": 40, "doors_opened": 15, "conversations": 9}]},
    ],
}


def sample() -> dict:
    return copy.deepcopy(SAMPLE)
