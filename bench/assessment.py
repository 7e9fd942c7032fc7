"""The self-assessment on a large generated community: 100,000 members, 1,000,000 follows, 1,000,000 activities.

Builds a fresh SQLite database (``flask db upgrade``, then bulk inserts with sqlite3, deterministic for
a seed): members (a few hundred staff, some suspended, erased or joined after as_of), follows drawn
with a popularity skew (a few members followed by thousands), posts and replies, groups (most of at
most 50 members, some larger), group-wall threads, debates and contributions, events with RSVPs,
field reports, accepted introductions, and the activity rows. Times are spread over 180 days before
as_of, so about half fall in the 90-day window.

Then times the assessment twice:
1. in this process, phase by phase (``assess(phase=…)``): seconds and the process's peak resident
   memory after each phase (``resource.getrusage``: the peak so far, numpy and igraph included);
2. end to end as an operator runs it, ``flask --app app assess --json`` in a child process: wall-clock
   seconds and the child's peak resident memory (``os.wait4``).

The issue's target is under 60 s and under 2 GB; the script says whether it was met (it never fails
on time).

    python bench/assessment.py                         # the full size
    python bench/assessment.py --members 10000 --follows 100000 --activities 100000 --keep
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
from benchlib import ROOT, banner, flask_cmd, print_machine, run, say, temp_instance, terreau_env, write_json

sys.path.insert(0, str(ROOT))

AS_OF = datetime(2026, 6, 1)
SPAN_DAYS = 180
TARGET_SECONDS = 60
TARGET_MB = 2048


def stamps(rng: np.random.Generator, count: int, span_days: int = SPAN_DAYS) -> list[str]:
    """Random times in the ``span_days`` before AS_OF, in SQLAlchemy's SQLite format (with microseconds)."""
    seconds = rng.integers(1, span_days * 86400, count)
    base = np.datetime64(AS_OF.isoformat())
    values = (base - seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    return [str(v).replace("T", " ") + ("" if "." in str(v) else ".000000") for v in values]


def generate(db_path: Path, members: int, follows: int, activities: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    counts = {}
    started = time.perf_counter()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    ids = np.arange(1, members + 1)
    roles = np.where(rng.random(members) < 0.003, "organiser", "member")
    roles[:5] = "admin"
    joined = stamps(rng, members, 720)
    communes = [f"Commune {c}" for c in rng.integers(0, 2000, members)]
    status = rng.random(members)
    suspended = np.where(status < 0.005, "2026-05-01 00:00:00.000000", None)
    erased = np.where((status >= 0.005) & (status < 0.01), "2026-05-01 00:00:00.000000", None)
    late = rng.random(members) < 0.01
    joined = [("2026-06-15 00:00:00.000000" if late[i] else joined[i]) for i in range(members)]
    conn.executemany(
        "INSERT INTO member (id, handle, display_name, email, password_hash, role, joined_at, bio, commune,"
        " postal_code, in_directory, suspended_at, erased_at) VALUES (?, ?, ?, ?, 'x', ?, ?, '', ?, '', 0, ?, ?)",
        ((int(i), f"m{i}", f"Member {i}", f"m{i}@bench.example", str(roles[k]), joined[k], communes[k],
          suspended[k], erased[k]) for k, i in enumerate(ids)))
    counts["members"] = members

    # follows: a popularity skew on the followed side, unique pairs, no self-follow
    wanted = follows
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < wanted:
        a = rng.integers(1, members + 1, wanted)
        popular = (rng.zipf(1.6, wanted) % members) + 1
        b = np.where(rng.random(wanted) < 0.3, popular, rng.integers(1, members + 1, wanted))
        batch = (a * (members + 1) + b)[a != b]
        keys = np.sort(np.concatenate([keys, batch]))
        keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    keys = keys[rng.permutation(len(keys))[:wanted]]
    pairs = np.stack([keys // (members + 1), keys % (members + 1)], axis=1)
    conn.executemany("INSERT INTO follow (follower_id, followed_id, created_at) VALUES (?, ?, ?)",
                     zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), stamps(rng, wanted, 400), strict=True))
    counts["follows"] = wanted

    # posts: a fifth of the activities; 40 % of them reply to an earlier post
    n_posts = activities // 5
    authors = rng.integers(1, members + 1, n_posts)
    times = sorted(stamps(rng, n_posts))
    reply = rng.random(n_posts) < 0.4
    targets = (rng.random(n_posts) * np.arange(n_posts)).astype(np.int64) + 1
    rows = []
    for k in range(n_posts):
        to = int(targets[k]) if reply[k] and k > 0 else None
        rows.append((k + 1, int(authors[k]), to, to or k + 1, times[k], times[k]))
    conn.executemany(
        "INSERT INTO influence_post (id, author_id, body, body_html, audience, reply_to_id, thread_id, created_at,"
        " last_activity_at, reply_count, reaction_count, relay_count) VALUES (?, ?, 'p', 'p', 'members', ?, ?, ?, ?,"
        " 0, 0, 0)", rows)
    counts["posts"] = n_posts

    # groups: most of 5-50 members, one in ten larger (no ties)
    n_groups = max(1, members // 40)
    sizes = np.where(rng.random(n_groups) < 0.9, rng.integers(5, 51, n_groups), rng.integers(51, 300, n_groups))
    conn.executemany("INSERT INTO collaboration_group (id, slug, name, description, kind, join_policy, commune,"
                     " postal_code, member_count, created_at) VALUES (?, ?, ?, '', 'local', 'open', '', '', ?,"
                     " '2025-01-01 00:00:00.000000')",
                     ((g + 1, f"g{g + 1}", f"Group {g + 1}", int(sizes[g])) for g in range(n_groups)))
    memberships = set()
    for g in range(n_groups):
        for m in rng.choice(members, int(sizes[g]), replace=False) + 1:
            memberships.add((g + 1, int(m)))
    conn.executemany("INSERT INTO collaboration_membership (group_id, member_id, role, status, public, joined_at)"
                     " VALUES (?, ?, 'member', 'active', 0, '2025-01-02 00:00:00.000000')", sorted(memberships))
    counts["groups"], counts["memberships"] = n_groups, len(memberships)

    # wall threads and replies, debates and contributions
    n_wall = activities // 20
    wall_times = sorted(stamps(rng, n_wall))
    wall_groups = rng.integers(1, n_groups + 1, n_wall)
    conn.executemany(
        "INSERT INTO collaboration_wall_post (id, group_id, author_id, body, body_html, reply_to_id, thread_id,"
        " created_at) VALUES (?, ?, ?, 'w', 'w', ?, ?, ?)",
        ((k + 1, int(wall_groups[k]), int(rng.integers(1, members + 1)),
          (int(rng.integers(1, k + 1)) if k and rng.random() < 0.5 else None), None, wall_times[k])
         for k in range(n_wall)))
    n_debates = max(1, activities // 2000)
    conn.executemany("INSERT INTO collaboration_debate (id, author_id, title, question, question_html, opens_at,"
                     " synthesis, synthesis_html, count_for, count_against, count_neutral, created_at)"
                     " VALUES (?, ?, 'D', 'Q', 'Q', ?, '', '', 0, 0, 0, ?)",
                     ((d + 1, int(rng.integers(1, 6)), t, t) for d, t in enumerate(stamps(rng, n_debates))))
    n_contrib = activities // 20
    conn.executemany(
        "INSERT INTO collaboration_contribution (id, debate_id, author_id, stance, body, body_html, reply_to_id,"
        " created_at) VALUES (?, ?, ?, 'for', 'c', 'c', ?, ?)",
        ((k + 1, int(rng.integers(1, n_debates + 1)), int(rng.integers(1, members + 1)),
          (int(rng.integers(1, k + 1)) if k and rng.random() < 0.5 else None), t)
         for k, t in enumerate(sorted(stamps(rng, n_contrib)))))
    counts["wall_posts"], counts["debates"], counts["contributions"] = n_wall, n_debates, n_contrib

    # events with RSVPs, introductions
    n_events = max(1, members // 50)
    ev_times = stamps(rng, n_events)
    conn.executemany(
        "INSERT INTO coordination_event (id, uid, title, description, kind, starts_at, ends_at, timezone, place_name,"
        " address, commune, postal_code, department, online_url, going_count, audience, organiser_id, sequence,"
        " created_at, updated_at) VALUES (?, ?, 'E', '', 'meeting', ?, ?, 'Europe/Paris', '', '', '', '', '', '',"
        " 0, 'members', ?, 0, ?, ?)",
        ((e + 1, f"ev{e + 1}", t, t[:10] + " 23:59:59.000000", int(rng.integers(1, 300)), t, t)
         for e, t in enumerate(ev_times)))
    rsvps = set()
    for e in range(n_events):
        for m in rng.choice(members, int(rng.integers(3, 80)), replace=False) + 1:
            rsvps.add((e + 1, int(m)))
    statuses = rng.choice(["going", "going", "maybe", "not_going"], len(rsvps))
    conn.executemany("INSERT INTO coordination_rsvp (event_id, member_id, status, created_at, updated_at)"
                     " VALUES (?, ?, ?, '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000')",
                     ((e, m, str(s)) for (e, m), s in zip(sorted(rsvps), statuses, strict=True)))
    n_intro = members // 5
    intro = rng.integers(1, members + 1, (n_intro, 2))
    intro = intro[intro[:, 0] != intro[:, 1]]
    conn.executemany("INSERT INTO collaboration_introduction (from_id, to_id, message, status, created_at, decided_at)"
                     " VALUES (?, ?, '', 'accepted', ?, ?)",
                     ((int(a), int(b), t, t) for (a, b), t in zip(intro, stamps(rng, len(intro)), strict=True)))
    counts["events"], counts["rsvps"], counts["introductions"] = n_events, len(rsvps), len(intro)

    # activities: the stream rows, per family
    modules = rng.choice(["influence", "collaboration", "coordination", "core"], activities, p=[0.5, 0.3, 0.15, 0.05])
    actors = rng.integers(1, members + 1, activities)
    conn.executemany("INSERT INTO activity (actor_id, verb, module, audience, data, created_at)"
                     " VALUES (?, ?, ?, 'members', '{}', ?)",
                     ((int(a), f"{m}.bench", str(m), t)
                      for a, m, t in zip(actors, modules, stamps(rng, activities), strict=True)))
    counts["activities"] = activities
    conn.commit()
    conn.close()
    counts["seconds"] = round(time.perf_counter() - started, 1)
    counts["database_mb"] = round(db_path.stat().st_size / 2**20)
    return counts


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_process(db_url: str, instance: Path) -> dict:
    from community import create_app
    from community.assessment.engine import assess

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "INSTANCE_PATH": instance, "SECRET_KEY": "bench"})
    phases = []
    with app.app_context():
        last = time.perf_counter()
        start = last

        def phase(name: str) -> None:
            nonlocal last
            now = time.perf_counter()
            phases.append({"phase": name, "seconds": round(now - last, 2), "peak_rss_mb": round(peak_mb())})
            last = now

        report = assess(AS_OF, 90, phase=phase)
        total = time.perf_counter() - start
    return {"phases": phases, "seconds": round(total, 2), "peak_rss_mb": round(peak_mb()), "report": report}


def child(env: dict) -> dict:
    cmd = flask_cmd("assess", "--json", "--as-of", AS_OF.isoformat())
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_chunks = []
    while True:
        chunk = proc.stdout.read(65536)
        if not chunk:
            break
        out_chunks.append(chunk)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode())
    report = json.loads(b"".join(out_chunks))
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2), "social_potential": report["social_potential"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--follows", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args()
    banner("self-assessment on a generated community")
    machine = print_machine()
    with temp_instance(args.keep, "terreau-assess-") as instance:
        db_path = instance / "bench.db"
        env = terreau_env(instance, TERREAU_DATABASE_URL=f"sqlite:///{db_path}")
        run(flask_cmd("db", "upgrade"), env)
        say(f"generating {args.members:,} members, {args.follows:,} follows, {args.activities:,} activities…")
        made = generate(db_path, args.members, args.follows, args.activities, args.seed)
        say("made: " + ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in made.items()))

        banner("in this process, by phase")
        inside = in_process(f"sqlite:///{db_path}", instance)
        for p in inside["phases"]:
            say(f"  {p['phase']:<30} {p['seconds']:>7.2f} s   peak RSS so far {p['peak_rss_mb']:>6} MB")
        say(f"  {'total':<30} {inside['seconds']:>7.2f} s   peak RSS {inside['peak_rss_mb']} MB")
        report = inside.pop("report")
        say(f"  members in M {report['members']:,}; contributions {report['counts']['contributions']:,}; "
            f"ties {report['counts']['ties']:,}; follows {report['counts']['follows']:,}; "
            f"social potential {report['social_potential']}, stage {report['stage']}")

        banner("end to end: flask --app app assess --json (child process)")
        outside = child(env)
        say(f"  {outside['seconds']:.2f} s wall, {outside['cpu_seconds']:.2f} s CPU, "
            f"peak RSS {outside['peak_rss_mb']} MB")
        met = outside["seconds"] < TARGET_SECONDS and outside["peak_rss_mb"] < TARGET_MB
        say(f"target (< {TARGET_SECONDS} s and < {TARGET_MB} MB): {'met' if met else 'NOT met'}")
        write_json("assessment", {"machine": machine, "generated": made, "in_process": inside, "cli": outside,
                                  "metrics": {**report["expression"]["metrics"], **report["connection"]["metrics"]},
                                  "target_met": met})


if __name__ == "__main__":
    main()
