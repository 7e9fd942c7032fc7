"""Time ``flask --app app seed-demo --members 10000`` on a fresh SQLite database.

Prints wall-clock seconds, CPU seconds and the child's peak memory (its own rusage, read with
os.wait4 so that the earlier ``db upgrade`` child is not mixed in), then the rows it made.
The target of the issue is under 60 s for 10,000 members; this prints whether it was met and
never fails on time.

    python bench/seed_demo.py                 # 10,000 members, seed 1, one run
    python bench/seed_demo.py --runs 3        # three fresh databases, one after the other
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import time

from benchlib import (
    ROOT,
    banner,
    flask_cmd,
    print_machine,
    run,
    say,
    temp_instance,
    terreau_env,
    write_json,
)

TARGET_SECONDS = 60


def one_run(members: int, seed: int, keep: bool) -> dict:
    with temp_instance(keep=keep) as instance:
        env = terreau_env(instance)
        run(flask_cmd("db", "upgrade"), env)
        cmd = flask_cmd("seed-demo", "--members", str(members), "--seed", str(seed))
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # wait4 gives this child's own rusage (RUSAGE_CHILDREN would fold in every child so far).
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        output = proc.stdout.read().decode(errors="replace")
        proc.stdout.close()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            raise RuntimeError(f"seed-demo failed ({proc.returncode}):\n{output}")
        db_path = instance / "terreau.db"
        with sqlite3.connect(db_path) as conn:
            counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                      for t in ("member", "member_tag", "follow", "activity", "consent_record")}
        size = sum(p.stat().st_size for p in instance.glob("terreau.db*"))
        return {
            "seconds": seconds,
            "user_cpu": usage.ru_utime,
            "system_cpu": usage.ru_stime,
            "peak_rss_mib": usage.ru_maxrss / 1024,  # Linux reports KiB
            "rows": counts,
            "db_mib": size / 2**20,
            "output": output.strip().splitlines()[-2:],
        }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1, help="fresh databases seeded one after the other")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance directories")
    args = parser.parse_args(argv)

    banner(f"seed-demo --members {args.members} on a fresh SQLite database")
    info = print_machine()
    command = flask_cmd("seed-demo", "--members", str(args.members), "--seed", str(args.seed))
    say(f"command: TERREAU_INSTANCE=<fresh tmp dir> {' '.join(command)}")
    say("(after `flask --app app db upgrade`, not timed; the time includes starting Python and the app)")
    results = []
    for i in range(args.runs):
        r = one_run(args.members, args.seed, args.keep)
        results.append(r)
        say(f"run {i + 1}: {r['seconds']:.2f} s wall, {r['user_cpu']:.2f} s user + {r['system_cpu']:.2f} s sys CPU, "
            f"peak RSS {r['peak_rss_mib']:.0f} MiB, database {r['db_mib']:.1f} MiB")
    rows = results[-1]["rows"]
    say("rows: " + ", ".join(f"{k} {v}" for k, v in rows.items()))
    best = min(r["seconds"] for r in results)
    worst = max(r["seconds"] for r in results)
    met = "met" if worst < TARGET_SECONDS else "MISSED"
    say(f"result: seed-demo --members {args.members}: {worst:.2f} s (slowest of {args.runs}), "
        f"peak RSS {max(r['peak_rss_mib'] for r in results):.0f} MiB; target < {TARGET_SECONDS} s: {met}")
    summary = {"members": args.members, "seed": args.seed, "runs": results, "best_seconds": best,
               "worst_seconds": worst, "target_seconds": TARGET_SECONDS, "machine": info}
    say(f"(json: {write_json('seed_demo', summary)})")
    return summary


if __name__ == "__main__":
    main()
