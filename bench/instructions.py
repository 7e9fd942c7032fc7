"""CPU work per page counted in machine instructions (valgrind's callgrind): the logged-in home
page against the bare Flask page, a figure that does not drift with the machine.

Timings on this kind of shared VM drift by up to 1.5x within minutes, so two trees measured ten
minutes apart cannot be compared to a few per cent. An instruction count can: callgrind runs the
program on a simulated CPU and counts every instruction it executes, whatever else the machine
is doing. It measures work, not time (a cache miss costs no more than a hit), so it is a guide
for comparing trees, not a replacement for bench/http_pages.py.

How, for each target:
- one Python process logs in (home only) then serves N1 requests through Flask's test client,
  another serves N2; both run under ``valgrind --tool=callgrind`` with PYTHONHASHSEED=0;
- (instructions of the N2 run - those of the N1 run) / (N2 - N1) is the count per request:
  Python's start-up, imports, the login and the first renders (fragment caches filling) cancel
  out, as both runs do them.
The test client's own work (building the WSGI environ, reading the answer) is counted in both
targets; gunicorn's (HTTP parsing, the socket) is in neither.

    python bench/instructions.py                                # seeds a fresh instance (~40 s)
    python bench/instructions.py --instance /tmp/terreau-bench-XXXX   # one kept by http_pages.py --keep

valgrind is required: if it is missing, the script installs the Debian package with
``apt-get install -y valgrind`` (say --no-install to refuse that). About 4 minutes on 2 cores
(the two targets run side by side).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchlib import (
    BENCH,
    CSRF_RE,
    DEMO_PASSWORD,
    USER_AGENT,
    banner,
    prepare_demo,
    print_machine,
    say,
    temp_instance,
    terreau_env,
    write_json,
)

COLLECTED = re.compile(r"Collected : (\d+)")


def ensure_valgrind(install: bool) -> str:
    found = shutil.which("valgrind")
    if found:
        return found
    if not install:
        raise SystemExit("valgrind is missing (apt-get install -y valgrind)")
    subprocess.run(["apt-get", "install", "-y", "valgrind"], check=True, capture_output=True)
    return shutil.which("valgrind") or "valgrind"


def child(target: str, requests: int, handle: str) -> None:
    """Inside valgrind: serve ``requests`` pages of ``target`` through the test client."""
    if target == "bare":
        sys.path.insert(0, str(BENCH))
        import bare_app

        client = bare_app.app.test_client()
        for i in range(requests):
            assert client.get(f"/?c={i % 50}").status_code == 200
        return
    sys.path.insert(0, str(BENCH.parent))
    from app import app

    client = app.test_client()
    headers = {"User-Agent": USER_AGENT}
    page = client.get("/auth/login", headers=headers).get_data(as_text=True)
    match = CSRF_RE.search(page)
    token = match.group(1) or match.group(2)
    answer = client.post("/auth/login", data={"identifier": handle, "password": DEMO_PASSWORD, "csrf_token": token},
                         headers=headers)
    assert answer.status_code == 302, answer.status_code
    for _ in range(requests):
        assert client.get("/", headers=headers).status_code == 200


def counted(valgrind: str, target: str, requests: int, env: dict, handle: str) -> int:
    cmd = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
           "--child", target, str(requests), handle]
    result = subprocess.run(cmd, env={**env, "PYTHONHASHSEED": "0"}, cwd=BENCH.parent, capture_output=True, text=True,
                            timeout=1800, check=False)
    found = COLLECTED.search(result.stderr)
    if result.returncode != 0 or not found:
        raise RuntimeError(f"{target} x{requests} under callgrind failed ({result.returncode}):\n"
                           f"{result.stderr[-3000:]}")
    return int(found.group(1))


def per_request(valgrind: str, target: str, low: int, high: int, env: dict, handle: str) -> float:
    with ThreadPoolExecutor(2) as pool:
        a, b = pool.map(lambda n: counted(valgrind, target, n, env, handle), (low, high))
    return (b - a) / (high - low)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--instance", type=Path, help="reuse this instance (one kept by http_pages.py --keep)")
    parser.add_argument("--home", type=int, nargs=2, default=(20, 60), metavar=("N1", "N2"),
                        help="home page requests in the two runs (default 20 60)")
    parser.add_argument("--bare", type=int, nargs=2, default=(50, 250), metavar=("N1", "N2"),
                        help="bare page requests in the two runs (default 50 250)")
    parser.add_argument("--no-install", action="store_true", help="do not apt-get install valgrind when missing")
    args = parser.parse_args(argv)
    if args.child:
        target, requests, handle = args.child
        child(target, int(requests), handle)
        return {}

    banner("Instructions per page (callgrind): Terreau's logged-in home page vs a bare Flask page")
    valgrind = ensure_valgrind(not args.no_install)
    info = print_machine()
    say(f"valgrind: {subprocess.run([valgrind, '--version'], capture_output=True, text=True).stdout.strip()}")
    import bare_app
    from http_pages import pick_targets, reused, upgrade

    with reused(args.instance) if args.instance else temp_instance() as instance:
        if args.instance:
            upgrade(instance)
            say(f"database: reused {instance}")
        else:
            seconds = prepare_demo(instance, args.members)
            say(f"database: fresh SQLite, seed-demo --members {args.members} --seed 1 ({seconds:.1f} s)")
        member, _handles = pick_targets(instance / "terreau.db")
        bare_db = instance / "bare.db"
        if not bare_db.exists():
            bare_app.build(str(bare_db))
        env = {**terreau_env(instance), "BARE_DB": str(bare_db)}
        env.pop("TERREAU_COUNT_QUERIES", None)
        say(f"home: GET / logged in as @{member['handle']}, runs of {args.home[0]} and {args.home[1]} requests; "
            f"bare: GET /?c=<0..49>, runs of {args.bare[0]} and {args.bare[1]}")
        with ThreadPoolExecutor(2) as pool:
            home_job = pool.submit(per_request, valgrind, "home", *args.home, env, member["handle"])
            bare_job = pool.submit(per_request, valgrind, "bare", *args.bare, env, member["handle"])
            home, bare = home_job.result(), bare_job.result()
    say(f"home  {home / 1e6:8.3f} M instructions per request")
    say(f"bare  {bare / 1e6:8.3f} M instructions per request")
    say(f"ratio home/bare {home / bare:.2f}")
    data = {"machine": info, "home_instructions": home, "bare_instructions": bare, "ratio": home / bare,
            "home_runs": args.home, "bare_runs": args.bare}
    say(f"(json: {write_json('instructions', data)})")
    return data


if __name__ == "__main__":
    main()
