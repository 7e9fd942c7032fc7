"""Times ``import-community`` of a generated community: 10,000 members, 100,000 posts (a third of
them replies, some in groups), 100,000 follows, 200 groups; then ``export-community`` of it.

Builds a throw-away instance (fresh SQLite file, or --database-url for PostgreSQL: an EMPTY
database that it migrates), writes the file, runs both commands as child processes and prints
their wall-clock seconds, CPU seconds and peak memory. Never asserts on time (bench/README.md).

    python bench/community_import.py [--members 10000] [--posts 100000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def generate(members: int, posts: int, follows: int, groups: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)

    def at(days: float) -> str:
        return (start + timedelta(days=days)).isoformat().replace("+00:00", "Z")

    handles = [f"m{i:06d}" for i in range(members)]
    doc = {"format": "terreau-community/1", "members": [
        {"handle": h, "display_name": f"Membre {i}", "email": f"{h}@example.org",
         "role": "admin" if i == 0 else "organiser" if i < 20 else "member", "joined_at": at(rng.random() * 100),
         "commune": "Lyon", "postal_code": "69003", "interests": ["climat"] if i % 3 else [], "skills": []}
        for i, h in enumerate(handles)]}
    pairs = set()
    while len(pairs) < follows:
        a, b = rng.randrange(members), rng.randrange(members)
        if a != b:
            pairs.add((a, b))
    doc["follows"] = [{"follower": handles[a], "followed": handles[b], "at": at(100 + rng.random() * 100)}
                      for a, b in sorted(pairs)]
    doc["groups"] = [{"slug": f"groupe-{g}", "name": f"Groupe {g}", "kind": "local",
                      "members": sorted(set(rng.sample(handles, 30)))} for g in range(groups)]
    items = []
    for i in range(posts):
        reply = items and rng.random() < 0.33
        items.append({"id": str(i + 1), "author": handles[rng.randrange(members)],
                      "body": f"Message {i} sur le #climat, @{handles[rng.randrange(members)]} qu'en penses-tu ?",
                      "at": at(200 + i * 100 / posts),
                      "reply_to": str(rng.randrange(max(1, i - 500), i + 1)) if reply else None,
                      "group": f"groupe-{rng.randrange(groups)}" if not reply and rng.random() < 0.1 else None})
    doc["posts"] = items
    return doc


def run(cmd: list[str], env: dict) -> dict:
    started = time.perf_counter()
    child = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in child.stdout:
        lines.append(line.rstrip())
        print("   ", line.rstrip(), flush=True)
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed ({child.returncode})")
    return {"seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--follows", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: a fresh SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="terreau-import-"))
    url = args.database_url or f"sqlite:///{work / 'terreau.db'}"
    env = {**os.environ, "TERREAU_DATABASE_URL": url, "TERREAU_SECRET_KEY": "bench", "TERREAU_INSTANCE": str(work)}
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    print(f"generating {args.members} members, {args.posts} posts, {args.follows} follows, {args.groups} groups")
    started = time.perf_counter()
    path = work / "community.json"
    path.write_text(json.dumps(generate(args.members, args.posts, args.follows, args.groups)), encoding="utf-8")
    print(f"  {path.stat().st_size / 1e6:.0f} MB written in {time.perf_counter() - started:.1f} s")
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    print("import-community:")
    figures = {"import": run([*flask, "import-community", str(path)], env)}
    print(f"  {figures['import']}")
    print("export-community:")
    figures["export"] = run([*flask, "export-community", str(work / "again.json")], env)
    print(f"  {figures['export']}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "community_import.json").write_text(json.dumps({"args": vars(args), **figures}, indent=1))
    if args.keep:
        print(f"kept {work}")
    else:
        for child in sorted(work.rglob("*"), reverse=True):
            child.unlink() if child.is_file() else child.rmdir()
        work.rmdir()


if __name__ == "__main__":
    main()
