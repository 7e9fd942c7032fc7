"""Helpers shared by the benchmarks: throw-away instances, child servers, logins, percentiles.

Everything here runs real parts on loopback (a real SQLite file, real server processes, real
sockets) and stops by itself: every wait has a deadline, every child is ended by its pid.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"  # git-ignored
DEMO_PASSWORD = "terreau-demo-2026"
ADMIN_EMAIL = "admin@demo.terreau.example"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def banner(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def say(text: str = "") -> None:
    print(text, flush=True)


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def machine() -> dict:
    """What the figures were measured on."""
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_total = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_total = f"{int(line.split()[1]) // 1024} MiB"
                break
    except OSError:
        pass
    versions = {}
    for dist in ("flask", "werkzeug", "sqlalchemy", "jinja2", "gunicorn", "flask-socketio", "python-socketio",
                 "python-engineio", "simple-websocket", "websocket-client", "redis"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "-"
    return {
        "code": code_version(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem_total,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": versions,
    }


def code_version() -> str:
    """The commit measured, and whether the working tree had uncommitted changes."""
    def git(*args: str) -> str:
        result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return f"{commit}" + (f" + {len(changed)} uncommitted file(s)" if changed else "")


def print_machine() -> dict:
    info = machine()
    say(f"code: {info['code']}")
    say(f"machine: {info['cpus']} CPU(s), {info['cpu']}, {info['memory']} RAM, Linux {info['kernel']}")
    say(f"python {info['python']}, SQLite {info['sqlite']}; "
        + ", ".join(f"{k} {v}" for k, v in info["packages"].items()))
    return info


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def terreau_env(instance: Path, **extra: str) -> dict:
    """A clean environment for a throw-away Terreau instance: SQLite in ``instance``, no rate limits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TERREAU_")}
    env.update({
        "TERREAU_INSTANCE": str(instance),
        "TERREAU_SECRET_KEY": "bench-secret-key-not-for-production",
        "TERREAU_RATELIMIT_ENABLED": "0",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


@contextmanager
def temp_instance(keep: bool = False, prefix: str = "terreau-bench-"):
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if keep:
            say(f"(kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)


def flask_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def run(cmd: list[str], env: dict, *, timeout: float = 300, quiet: bool = True) -> subprocess.CompletedProcess:
    """Run a command in the repository root; raise with its output when it fails."""
    result = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    if not quiet:
        say(result.stdout.strip())
    return result


def prepare_demo(instance: Path, members: int, seed: int = 1) -> float:
    """db upgrade + seed-demo into ``instance``; returns the seconds seed-demo took."""
    env = terreau_env(instance)
    run(flask_cmd("db", "upgrade"), env)
    start = time.perf_counter()
    run(flask_cmd("seed-demo", "--members", str(members), "--seed", str(seed)), env, timeout=600)
    return time.perf_counter() - start


class Child:
    """A server process we started; ended by its own pid (SIGTERM, then SIGKILL after a grace)."""

    def __init__(self, name: str, cmd: list[str], env: dict, log: Path, cwd: Path = ROOT):
        self.name = name
        self.cmd = cmd
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - open for the child's lifetime, closed in stop()
        self.proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, grace: float = 10) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log.close()


def wait_http(url: str, child: Child | None = None, timeout: float = 60) -> None:
    """Wait until ``url`` answers any HTTP status (the server is up)."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child is not None and not child.alive():
            raise RuntimeError(f"{child.name} exited early:\n{child.tail()}")
        try:
            requests.get(url, timeout=2, allow_redirects=False)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s" + (f":\n{child.tail()}" if child else ""))


# One User-Agent for every bench client: a login, then load from wrk, must look like one browser.
# With two agents, Flask-Login's session protection marks the session "not fresh" and sends a new
# session cookie with every answer, which no real member's browser causes.
USER_AGENT = "terreau-bench/1"


def login(base: str, identifier: str, password: str = DEMO_PASSWORD, timeout: float = 30):
    """Log in through the real form (GET for the CSRF token, then POST); returns the requests.Session."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT  # wrk sends the same one (bench/http_pages.py)
    page = session.get(f"{base}/auth/login", timeout=timeout)
    match = CSRF_RE.search(page.text)
    if not match:
        raise RuntimeError(f"no csrf_token in the login form (HTTP {page.status_code})")
    token = match.group(1) or match.group(2)
    answer = session.post(f"{base}/auth/login", data={"identifier": identifier, "password": password,
                                                      "csrf_token": token}, allow_redirects=False, timeout=timeout)
    if answer.status_code != 302 or "session" not in session.cookies:
        raise RuntimeError(f"login of {identifier} failed: HTTP {answer.status_code}")
    return session


def write_json(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path
