"""Time the opinion-map grouping (modules/collaboration/opinion_map.py) on a large vote matrix.

Builds a random but structured matrix — participants in planted camps, each camp with its own
leaning on every statement, individual noise, about half of the votes missing — then runs
``compute_map`` several times and prints the seconds per run, the peak memory the grouping
allocates (tracemalloc, numpy's buffers included) and how well the planted camps were found.
The issue's target is under 2 s for 1,000 participants × 200 statements; the script says
whether it was met and never fails on time.

    python bench/opinion_map.py                      # 1,000 × 200, then larger sizes for growth
    python bench/opinion_map.py --sizes 1000x200 --runs 10
    OPENBLAS_NUM_THREADS=1 python bench/opinion_map.py   # numpy's BLAS on one thread
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import resource
import statistics
import sys
import time
import tracemalloc

import numpy as np
from benchlib import ROOT, banner, print_machine, say, write_json

TARGET_SECONDS = 2.0


def load_opinion_map():
    """The module on its own (it only needs numpy), without importing the Flask app around it."""
    spec = importlib.util.spec_from_file_location("opinion_map", ROOT / "modules/collaboration/opinion_map.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def structured_votes(participants: int, statements: int, camps: int, missing: float, seed: int):
    """(votes, planted camp of each participant). A camp leans for or against each statement
    (or is split on it); a participant follows their camp's leaning with some individual noise
    and votes on a random share of the statements (missing ≈ ``missing`` on average)."""
    rng = np.random.RandomState(seed)
    camp = rng.randint(camps, size=participants)
    leaning = rng.choice([-1, 0, 1], size=(camps, statements), p=[0.4, 0.2, 0.4])
    lean = leaning[camp]
    p_agree = np.where(lean == 1, 0.75, np.where(lean == -1, 0.1, 0.4))
    p_disagree = np.where(lean == -1, 0.75, np.where(lean == 1, 0.1, 0.4))
    draw = rng.rand(participants, statements)
    votes = np.where(draw < p_agree, 1.0, np.where(draw < p_agree + p_disagree, -1.0, 0.0))
    coverage = np.clip(rng.normal(1 - missing, 0.15, size=participants), 0.05, 1.0)
    votes[rng.rand(participants, statements) > coverage[:, None]] = np.nan
    return votes, camp


def purity(result, camp: np.ndarray) -> float:
    """Share of mapped participants whose group's majority camp is their own camp."""
    if not result.groups:
        return 0.0
    right = sum(int(np.bincount(camp[g.members]).max()) for g in result.groups)
    return right / max(1, sum(g.size for g in result.groups))


def measure(om, participants: int, statements: int, camps: int, missing: float, runs: int, seed: int) -> dict:
    votes, camp = structured_votes(participants, statements, camps, missing, seed)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        result = om.compute_map(votes)
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    om.compute_map(votes)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "participants": participants, "statements": statements, "planted_camps": camps,
        "missing_share": float(np.isnan(votes).mean()), "votes": int((~np.isnan(votes)).sum()),
        "seconds": seconds, "median_seconds": statistics.median(seconds), "max_seconds": max(seconds),
        "peak_alloc_mib": peak / 2**20, "mapped": int(result.participants.size),
        "groups": [g.size for g in result.groups], "purity": purity(result, camp),
        "silhouette": result.silhouette, "consensus": len(result.consensus),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000x200,2000x200,5000x200,1000x400",
                        help="participants x statements, comma-separated; the first is the target size")
    parser.add_argument("--camps", type=int, default=4, help="planted opinion camps")
    parser.add_argument("--missing", type=float, default=0.5, help="average share of missing votes")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    banner("opinion-map grouping (PCA + k-means, modules/collaboration/opinion_map.py)")
    info = print_machine()
    om = load_opinion_map()
    blas_threads = (os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS")
                    or "default (one per CPU)")
    say(f"parameters: {om.MapParams()}")
    say(f"BLAS threads: {blas_threads} (compare with OPENBLAS_NUM_THREADS=1: see docs/opinion-maps.md)")
    say(f"votes: {args.camps} planted camps, ~{args.missing:.0%} missing, seed {args.seed}; "
        f"{args.runs} timed runs per size, then one run under tracemalloc for the peak allocation")
    results = []
    for size in args.sizes.split(","):
        participants, statements = (int(x) for x in size.lower().split("x"))
        r = measure(om, participants, statements, args.camps, args.missing, args.runs, args.seed)
        results.append(r)
        say(f"{participants:>6} × {statements:<4} ({r['votes']:,} votes, {r['missing_share']:.0%} missing): "
            f"median {r['median_seconds']:.3f} s, max {r['max_seconds']:.3f} s, "
            f"peak allocation {r['peak_alloc_mib']:.1f} MiB; groups {r['groups']}, "
            f"purity {r['purity']:.3f}, silhouette {r['silhouette']:.3f}, consensus {r['consensus']}")
    first = results[0]
    met = "met" if first["max_seconds"] < TARGET_SECONDS else "MISSED"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say(f"result: {first['participants']} × {first['statements']}: {first['max_seconds']:.3f} s "
        f"(slowest of {args.runs}), peak allocation {first['peak_alloc_mib']:.1f} MiB; "
        f"target < {TARGET_SECONDS} s: {met}. Process peak RSS {rss:.0f} MiB (Python + numpy included).")
    summary = {"results": results, "target_seconds": TARGET_SECONDS, "peak_rss_mib": rss, "machine": info,
               "blas_threads": blas_threads,
               "camps": args.camps, "missing": args.missing, "seed": args.seed}
    say(f"(json: {write_json('opinion_map', summary)})")
    return summary


if __name__ == "__main__":
    main()
