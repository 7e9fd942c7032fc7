"""Latency of "people to meet" (collaboration suggestions) for one member, at 1,000 and 10,000 members.

For each size: a fresh SQLite database (``db upgrade`` + ``seed-demo --members N``, as an operator
would), then a deterministic supplement where the demo is thin: groups of about 40 members (each
member in 0-3 of them) if it made no group, and opinion votes (10 more maps, 200 statements, 70 %
of the members voting on 20-40 of them along two camps; ``--no-votes`` leaves them out), so that
every candidate source and every score component is exercised at scale, alike at every size.

Then, in this process, for a few hundred members drawn at random (the same seed each time):
``people_service.suggestions(member)`` timed on a fresh session (nothing cached from the previous
member), after a warm-up. Prints p50 / p90 / p99 / max per size, as wall-clock time and as the CPU
time of the calling thread (which other processes on a busy machine do not inflate), the
candidates scored and SQL statements per call, and how the latency grows from the small to the
large membership (it must not grow linearly: x10 members should not give x10 time). The issue's
target is p99 under 50 ms at 10,000 members; this prints whether it was met and never fails on time.

    python bench/suggestions.py                      # 1,000 and 10,000 members, 300 members timed
    python bench/suggestions.py --sizes 1000 20000 --samples 500 --keep
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from pathlib import Path

from benchlib import ROOT, banner, percentile, prepare_demo, print_machine, say, temp_instance, write_json

sys.path.insert(0, str(ROOT))

TARGET_P99_MS = 50.0


def supplement(db_path: Path, seed: int, with_votes: bool = True) -> dict:
    """Groups when the demo made none, and opinion votes; returns what was added."""
    rng = random.Random(seed)
    added = {"groups": 0, "memberships": 0, "votes": 0}
    with sqlite3.connect(db_path) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM member WHERE erased_at IS NULL ORDER BY id")]
        if not conn.execute("SELECT count(*) FROM collaboration_group").fetchone()[0]:
            n_groups = max(5, len(ids) // 40)
            conn.executemany(
                "INSERT INTO collaboration_group (id, slug, name, description, kind, join_policy, commune, postal_code,"
                " member_count, created_at) VALUES (?, ?, ?, '', 'thematic', 'open', '', '', 0, '2026-10-01')",
                [(g, f"bench-{g}", f"Groupe {g}") for g in range(1, n_groups + 1)])
            rows = set()
            for member_id in ids:
                for group_id in rng.sample(range(1, n_groups + 1), rng.randint(0, 3)):
                    rows.add((group_id, member_id))
            conn.executemany(
                "INSERT INTO collaboration_membership (group_id, member_id, role, status, public, joined_at)"
                " VALUES (?, ?, 'member', 'active', 0, '2026-10-02')", sorted(rows))
            conn.execute("UPDATE collaboration_group SET member_count = (SELECT count(*) FROM collaboration_membership"
                         " m WHERE m.group_id = collaboration_group.id)")
            added.update(groups=n_groups, memberships=len(rows))
        if with_votes:
            # Opinion maps where most members vote, the costly case, the same at every size (the
            # demo's own maps hold few votes, and not in proportion to the membership).
            n_questions, per_question = 10, 20
            q0 = conn.execute("SELECT coalesce(max(id), 0) FROM collaboration_opinion_question").fetchone()[0]
            s0 = conn.execute("SELECT coalesce(max(id), 0) FROM collaboration_statement").fetchone()[0]
            conn.executemany("INSERT INTO collaboration_opinion_question (id, title, description, created_at)"
                             " VALUES (?, ?, '', '2026-10-01')",
                             [(q0 + q, f"Question {q}") for q in range(1, n_questions + 1)])
            statements = [(s0 + s, q0 + 1 + (s - 1) // per_question, f"Proposition {s}")
                          for s in range(1, n_questions * per_question + 1)]
            conn.executemany("INSERT INTO collaboration_statement (id, question_id, text, created_at)"
                             " VALUES (?, ?, ?, '2026-10-01')", statements)
            leaning = {s: rng.choice((-1, 1)) for s, _q, _t in statements}  # camp A's answer
            statement_ids = [s for s, _q, _t in statements]
            votes = []
            for member_id in ids:
                if rng.random() >= 0.7:
                    continue
                camp = rng.choice((-1, 1))
                for s in rng.sample(statement_ids, rng.randint(20, 40)):
                    r = rng.random()
                    value = 0 if r < 0.1 else (leaning[s] * camp if r < 0.85 else -leaning[s] * camp)
                    votes.append((s, member_id, value, f"2026-10-{rng.randint(3, 28):02d} 12:00:00"))
            conn.executemany("INSERT INTO collaboration_vote (statement_id, member_id, value, created_at)"
                             " VALUES (?, ?, ?, ?)", votes)
            added["votes"] = len(votes)
        conn.execute("ANALYZE")
    return added


def measure(instance: Path, samples: int, seed: int) -> dict:
    from community import create_app
    from community.database import QueryCounter, mark_writing
    from community.extensions import db
    from community.models import Member
    from modules.collaboration import people_service

    app = create_app({"INSTANCE_PATH": instance, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'terreau.db'}"})
    with app.app_context():
        mark_writing(False)  # read like a GET page: deferred transactions
        ids = list(db.session.scalars(db.select(Member.id).where(Member.erased_at.is_(None)).order_by(Member.id)))
        rng = random.Random(seed)
        chosen = rng.sample(ids, min(samples, len(ids)))
        warm = rng.sample(ids, min(20, len(ids)))
        for member_id in warm:
            people_service.suggestions(db.session.get(Member, member_id))
            db.session.remove()
        times, cpu, statements, candidates, shown = [], [], [], [], []
        for member_id in chosen:
            member = db.session.get(Member, member_id)
            start, start_cpu = time.perf_counter(), time.thread_time()
            found = people_service.suggestions(member)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            times.append((time.perf_counter() - start) * 1000)
            db.session.remove()
            shown.append(len(found))
        slowest = sorted(zip(times, chosen, strict=True), reverse=True)[:5]
        for member_id in chosen[:50]:  # counted apart, so the counting does not weigh on the timings
            member = db.session.get(Member, member_id)
            with QueryCounter(db.engine) as counter:
                people_service.suggestions(member)
            statements.append(counter.count)
            profile, _names = people_service.own_profile(member)
            candidates.append(len(people_service.candidates(profile)))
            db.session.remove()
        db.engine.dispose()
    return {
        "samples": len(times), "p50_ms": percentile(times, 50), "p90_ms": percentile(times, 90),
        "p99_ms": percentile(times, 99), "max_ms": max(times), "mean_ms": statistics.fmean(times),
        "cpu_p50_ms": percentile(cpu, 50), "cpu_p99_ms": percentile(cpu, 99),
        "slowest": [{"member_id": m, "ms": t} for t, m in slowest],
        "mean_candidates": statistics.fmean(candidates), "max_candidates": max(candidates),
        "mean_sql_statements": statistics.fmean(statements), "mean_suggestions": statistics.fmean(shown),
    }


def rows(db_path: Path) -> dict:
    with sqlite3.connect(db_path) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("member", "member_tag", "follow", "collaboration_membership", "collaboration_vote",
                          "collaboration_introduction")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--samples", type=int, default=300, help="members timed at each size")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instances")
    parser.add_argument("--no-votes", action="store_true", help="only the demo's own opinion votes")
    args = parser.parse_args()
    machine = print_machine()
    results = {}
    for size in args.sizes:
        banner(f"{size:,} members")
        with temp_instance(keep=args.keep, prefix=f"terreau-bench-suggestions-{size}-") as instance:
            seconds = prepare_demo(instance, size, args.seed)
            added = supplement(instance / "terreau.db", args.seed, with_votes=not args.no_votes)
            counts = rows(instance / "terreau.db")
            say(f"seed-demo {seconds:.1f} s; supplement: {added}; rows: {counts}")
            figures = measure(instance, args.samples, args.seed)
        figures.update(rows=counts, supplement=added)
        results[size] = figures
        say(f"suggestions for one member, {figures['samples']} members timed: p50 {figures['p50_ms']:.2f} ms · "
            f"p90 {figures['p90_ms']:.2f} ms · p99 {figures['p99_ms']:.2f} ms · max {figures['max_ms']:.2f} ms")
        say(f"CPU time of this thread per call (what other processes on the machine do not inflate): "
            f"p50 {figures['cpu_p50_ms']:.2f} ms · p99 {figures['cpu_p99_ms']:.2f} ms")
        say(f"candidates scored: mean {figures['mean_candidates']:.0f}, max {figures['max_candidates']}; "
            f"SQL statements per call: {figures['mean_sql_statements']:.1f}; "
            f"suggestions returned: {figures['mean_suggestions']:.1f}")
    banner("growth")
    small, large = min(results), max(results)
    growth = {"members": large / small,
              "p50": results[large]["p50_ms"] / results[small]["p50_ms"],
              "p99": results[large]["p99_ms"] / results[small]["p99_ms"]}
    say(f"{small:,} → {large:,} members (x{growth['members']:.0f}): p50 x{growth['p50']:.2f}, "
        f"p99 x{growth['p99']:.2f} (linear growth would be x{growth['members']:.0f})")
    met = results[large]["p99_ms"] < TARGET_P99_MS
    say(f"target p99 < {TARGET_P99_MS:.0f} ms at {large:,} members: {'met' if met else 'NOT met'} "
        f"({results[large]['p99_ms']:.2f} ms)")
    path = write_json("suggestions", {"machine": machine, "sizes": results, "growth": growth,
                                      "target_p99_ms": TARGET_P99_MS, "target_met": met})
    say(f"(figures also in {path.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
