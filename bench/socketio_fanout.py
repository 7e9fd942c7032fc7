"""One Socket.IO event to a room of 1,000 connected, logged-in members: time until all have it.

Set-up (printed again by the script):
- a fresh SQLite database seeded with ``seed-demo --members <clients>`` (ids 1..N, one password);
- a private ``redis-server`` on a free loopback port (pub/sub channels are not per Redis
  database, so a shared Redis would mix our events with other Terreau processes'); say
  ``--redis-url redis://127.0.0.1:6379/14`` to use an existing one instead;
- the server is ``python app.py --port P`` (Flask-SocketIO, threading mode, simple-websocket)
  with TERREAU_REDIS_URL pointing at that Redis;
- every member logs in over HTTP through the real form (GET the CSRF token, POST), in 8
  threads; the session cookies are then spread over client processes;
- the clients connect with the websocket transport. Two kinds, one after the other:
  ``socketio``: python-socketio's threaded ``socketio.Client`` (what a Python consumer would use;
  aiohttp is not installed, so no AsyncClient), 4 processes of 250 clients, so the GIL of one
  client process does not serialise all receipts; each client costs two threads, plus one new
  thread per received event (python-engineio runs message handlers in a new thread);
  ``raw``: a minimal Engine.IO v4 / Socket.IO v5 client over plain sockets, one selector
  thread per process, 2 processes of 500: it timestamps a frame as soon as it is read, so its
  figure is closer to the server's own fan-out time (on 2 cores, client CPU competes with the
  server's);
- the emitter is this process: a write-only ``flask_socketio.SocketIO(message_queue=...)``
  (Flask-SocketIO's documented pattern for emitting from an external process) emits the event
  ``bench_fanout`` (a name no Terreau client listens to) to the room ``members``, which every
  logged-in socket joins on connect. Each repetition records time.time() just before emit();
  each client records time.time() on receipt (same machine, same clock).

It prints, per client kind, p50/p99 over the repetitions of the time until the last client had
the event, and p50/p99 of all single deliveries. Nothing is asserted.

    python bench/socketio_fanout.py                          # 1,000 clients, 20 repetitions, both kinds
    python bench/socketio_fanout.py --clients 200 --reps 10 --kinds raw
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import selectors
import shutil
import socket
import sqlite3
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import wait as mp_wait
from pathlib import Path

from benchlib import (
    Child,
    banner,
    free_port,
    login,
    percentile,
    prepare_demo,
    print_machine,
    say,
    temp_instance,
    terreau_env,
    wait_http,
    write_json,
)

EVENT = "bench_fanout"
ROOM = "members"
PROCESSES = {"socketio": 4, "raw": 2}


# --- clients (run in worker processes) ------------------------------------------------------------------


def socketio_worker(index: int, url: str, cookies: list[str], conn) -> None:
    """python-socketio threaded clients; report receipts through ``conn``."""
    import socketio

    records: dict[int, list[float]] = {}
    lock = threading.Lock()
    expected = [0]

    def on_event(data):
        t = time.time()
        rep = data["rep"]
        with lock:
            times = records.setdefault(rep, [])
            times.append(t)
            if len(times) == expected[0]:
                conn.send(("done", index, rep, max(times)))

    clients, failures = [], []
    start = time.perf_counter()
    for cookie in cookies:
        client = socketio.Client(reconnection=False)
        client.on(EVENT, on_event)
        try:
            client.connect(url, headers={"Cookie": f"session={cookie}"}, transports=["websocket"], wait_timeout=20)
            clients.append(client)
        except Exception as exc:  # noqa: BLE001 - counted and reported, the run goes on
            failures.append(repr(exc))
    expected[0] = len(clients)
    conn.send(("connected", index, len(clients), failures[:3], len(failures), time.perf_counter() - start))
    _serve_commands(conn, records, lock)


class RawSocket:
    """A minimal websocket client speaking Engine.IO v4 / Socket.IO v5, non-blocking after the handshake."""

    def __init__(self, host: str, port: int, cookie: str, timeout: float = 20):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nCookie: session={cookie}\r\n\r\n"
        ).encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during the websocket handshake")
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(head.split(b"\r\n", 1)[0].decode(errors="replace"))
        opened = self._next_blocking()
        if not opened.startswith("0"):
            raise ConnectionError(f"expected the Engine.IO open packet, got {opened[:40]!r}")
        self.send("40")  # Socket.IO CONNECT to namespace "/"; the cookie authenticates it
        answer = self._next_blocking()
        while answer == "2":  # a ping may come first
            self.send("3")
            answer = self._next_blocking()
        if not answer.startswith("40"):
            raise ConnectionError(f"connection refused: {answer[:80]!r}")
        self.sock.setblocking(False)

    def send(self, text: str, opcode: int = 1) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        if len(payload) < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload))
        else:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, len(payload))
        self.sock.sendall(header + mask + masked)

    def frames(self):
        """Complete frames in the buffer: (opcode, payload bytes)."""
        while len(self.buffer) >= 2:
            b0, b1 = self.buffer[0], self.buffer[1]
            length, offset = b1 & 0x7F, 2
            if length == 126:
                if len(self.buffer) < 4:
                    return
                length, offset = struct.unpack("!H", self.buffer[2:4])[0], 4
            elif length == 127:
                if len(self.buffer) < 10:
                    return
                length, offset = struct.unpack("!Q", self.buffer[2:10])[0], 10
            if len(self.buffer) < offset + length:
                return
            payload = self.buffer[offset:offset + length]
            self.buffer = self.buffer[offset + length:]
            yield b0 & 0x0F, payload

    def _next_blocking(self) -> str:
        while True:
            for opcode, payload in self.frames():
                if opcode == 1:
                    return payload.decode()
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buffer += chunk


def raw_worker(index: int, url: str, cookies: list[str], conn) -> None:
    """Raw clients multiplexed by one selector thread; report receipts through ``conn``."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    clients, failures = [], []
    start = time.perf_counter()
    for cookie in cookies:
        try:
            clients.append(RawSocket(host, int(port), cookie))
        except Exception as exc:  # noqa: BLE001 - counted and reported
            failures.append(repr(exc))
    conn.send(("connected", index, len(clients), failures[:3], len(failures), time.perf_counter() - start))
    records: dict[int, list[float]] = {}
    selector = selectors.DefaultSelector()
    for client in clients:
        selector.register(client.sock, selectors.EVENT_READ, client)
    selector.register(conn, selectors.EVENT_READ, None)
    deadline = time.monotonic() + 900  # bounded even if the coordinator vanished
    while time.monotonic() < deadline:
        for key, _mask in selector.select(timeout=1):
            if key.data is None:
                command = conn.recv()
                if command == "report":
                    conn.send(("report", index, records))
                elif command == "stop":
                    return
                continue
            client = key.data
            try:
                chunk = client.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                chunk = b""
            received = time.time()
            if not chunk:
                selector.unregister(client.sock)
                continue
            client.buffer += chunk
            for opcode, payload in client.frames():
                if opcode == 9:  # websocket ping
                    client.send(payload.decode(errors="replace"), opcode=10)
                elif opcode == 1:
                    text = payload.decode()
                    if text == "2":
                        client.send("3")  # Engine.IO pong
                    elif text.startswith("42"):
                        name, data = json.loads(text[2:])
                        if name == EVENT:
                            times = records.setdefault(data["rep"], [])
                            times.append(received)
                            if len(times) == len(clients):
                                conn.send(("done", index, data["rep"], max(times)))


def _serve_commands(conn, records, lock) -> None:
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if not conn.poll(1):
            continue
        command = conn.recv()
        if command == "report":
            with lock:
                conn.send(("report", 0, {rep: list(times) for rep, times in records.items()}))
        elif command == "stop":
            os._exit(0)  # client threads are daemons; the server sees the sockets close


# --- coordinator -----------------------------------------------------------------------------------------


def member_sockets(db_path: Path) -> int:
    """Sockets the server has registered (one member_socket row per connected socket)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10) as conn:
        return conn.execute("SELECT count(*) FROM member_socket").fetchone()[0]


def wait_sockets(db_path: Path, expected: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    count = member_sockets(db_path)
    while count != expected and time.monotonic() < deadline:
        time.sleep(0.5)
        count = member_sockets(db_path)
    return count


def proc_status(pid: int) -> dict:
    status = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "Threads"):
                status[key] = value.strip()
    except OSError:
        pass
    return status


def start_redis(instance: Path) -> tuple[Child | None, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        return None, "redis://127.0.0.1:6379/14"
    port = free_port()
    child = Child("redis-server", [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                   "--appendonly", "no", "--dir", str(instance)],
                  dict(os.environ), instance / "redis.log")
    import redis

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            redis.Redis(port=port).ping()
            return child, f"redis://127.0.0.1:{port}/0"
        except redis.RedisError:
            time.sleep(0.1)
    child.stop()
    raise RuntimeError("the private redis-server did not start")


def run_kind(kind: str, url: str, cookies: list[str], processes: int, reps: int, gap: float, db_path: Path,
             emitter, server: Child) -> dict:
    ctx = mp.get_context("spawn")
    target = socketio_worker if kind == "socketio" else raw_worker
    shares = [cookies[i::processes] for i in range(processes)]
    pipes, workers = [], []
    start = time.perf_counter()
    for index, share in enumerate(shares):
        parent, child = ctx.Pipe()
        worker = ctx.Process(target=target, args=(index, url, share, child), daemon=True)
        worker.start()
        pipes.append(parent)
        workers.append(worker)
    connected, failures = 0, []
    try:
        for parent in pipes:
            if not parent.poll(300):
                raise RuntimeError("a client process did not finish connecting within 300 s")
            _tag, _index, ok, sample, failed, _seconds = parent.recv()
            connected += ok
            failures += sample
            if failed:
                say(f"  {failed} client(s) of process {_index} failed to connect, e.g. {sample[0]}")
        connect_seconds = time.perf_counter() - start
        registered = wait_sockets(db_path, connected, 60)
        status = proc_status(server.proc.pid)
        say(f"{kind}: {connected} clients connected in {connect_seconds:.1f} s ({processes} processes), "
            f"{registered} sockets registered by the server; server process: {status.get('Threads')} threads, "
            f"RSS {status.get('VmRSS')}")
        time.sleep(1)
        sent_at, all_have = {}, {}
        for rep in range(reps):
            sent_at[rep] = time.time()
            emitter.emit(EVENT, {"rep": rep, "sent_at": sent_at[rep]}, to=ROOM)
            waiting, last = set(range(processes)), 0.0
            deadline = time.monotonic() + 15
            while waiting and time.monotonic() < deadline:
                for parent in mp_wait(pipes, timeout=max(0.0, deadline - time.monotonic())):
                    tag, index, got_rep, latest = parent.recv()
                    if tag == "done" and got_rep == rep:
                        waiting.discard(index)
                        last = max(last, latest)
            all_have[rep] = (last - sent_at[rep]) * 1000 if not waiting else None
            time.sleep(gap)
        records: dict[int, list[float]] = {}
        for parent in pipes:
            parent.send("report")
        for parent in pipes:
            if not parent.poll(60):
                raise RuntimeError("a client process did not report")
            _tag, _index, part = parent.recv()
            for rep, times in part.items():
                records.setdefault(rep, []).extend(times)
    finally:
        for parent in pipes:
            try:
                parent.send("stop")
            except OSError:
                pass
        for worker in workers:
            worker.join(timeout=20)
            if worker.is_alive():
                worker.kill()
                worker.join(timeout=5)
    left = wait_sockets(db_path, 0, 60)
    deliveries = [(t - sent_at[rep]) * 1000 for rep, times in records.items() for t in times]
    complete = [v for v in all_have.values() if v is not None]
    missing = sum(connected - len(records.get(rep, [])) for rep in range(reps))
    result = {
        "kind": kind, "clients": connected, "processes": processes, "reps": reps,
        "connect_seconds": connect_seconds, "server": status,
        "all_have_ms": [all_have[r] for r in range(reps)],
        "all_have_p50_ms": percentile(complete, 50), "all_have_p99_ms": percentile(complete, 99),
        "all_have_max_ms": max(complete) if complete else None,
        "delivery_p50_ms": percentile(deliveries, 50), "delivery_p99_ms": percentile(deliveries, 99),
        "incomplete_reps": reps - len(complete), "missing_deliveries": missing, "sockets_left": left,
    }
    say(f"{kind}: time until all {connected} have it, over {len(complete)} repetitions: "
        f"p50 {result['all_have_p50_ms']:.1f} ms, p99 {result['all_have_p99_ms']:.1f} ms "
        f"(max {result['all_have_max_ms']:.1f} ms); single deliveries: p50 {result['delivery_p50_ms']:.1f} ms, "
        f"p99 {result['delivery_p99_ms']:.1f} ms; missing deliveries {missing}, incomplete repetitions "
        f"{result['incomplete_reps']}")
    say("  per repetition (ms): " + ", ".join("-" if v is None else f"{v:.0f}" for v in result["all_have_ms"]))
    return result


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=20, help="events emitted per client kind")
    parser.add_argument("--gap", type=float, default=1.0, help="seconds between repetitions")
    parser.add_argument("--kinds", default="socketio,raw", help="client kinds, in order: socketio, raw")
    parser.add_argument("--login-threads", type=int, default=8)
    parser.add_argument("--redis-url", help="use this Redis instead of a private redis-server")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    for kind in kinds:
        if kind not in PROCESSES:
            parser.error(f"unknown client kind {kind!r}")

    banner(f"Socket.IO fan-out: one event to a room of {args.clients} logged-in clients")
    info = print_machine()
    from flask_socketio import SocketIO

    with temp_instance(keep=args.keep) as instance:
        seconds = prepare_demo(instance, args.clients)
        db_path = instance / "terreau.db"
        say(f"database: fresh SQLite, seed-demo --members {args.clients} ({seconds:.1f} s)")
        redis_child, redis_url = (None, args.redis_url) if args.redis_url else start_redis(instance)
        say(f"redis: {redis_url}" + (" (private redis-server started by this script)" if redis_child else ""))
        port = free_port()
        env = terreau_env(instance, TERREAU_REDIS_URL=redis_url)
        server = Child("python app.py", [sys.executable, "app.py", "--port", str(port)], env,
                       instance / "server.log")
        say(f"server: TERREAU_REDIS_URL={redis_url} python app.py --port {port}   (threading mode)")
        results = {}
        try:
            base = f"http://127.0.0.1:{port}"
            wait_http(base + "/health", server)
            with sqlite3.connect(db_path) as conn:
                handles = [h for (h,) in conn.execute("SELECT handle FROM member ORDER BY id LIMIT ?",
                                                      (args.clients,))]
            start = time.perf_counter()
            with ThreadPoolExecutor(args.login_threads) as pool:
                sessions = list(pool.map(lambda h: login(base, h, timeout=120), handles))
            login_seconds = time.perf_counter() - start
            cookies = [s.cookies["session"] for s in sessions]
            say(f"logins: {len(cookies)} members logged in over HTTP in {login_seconds:.1f} s "
                f"({len(cookies) / login_seconds:.1f}/s, {args.login_threads} threads; the password hash "
                f"check dominates)")
            emitter = SocketIO(message_queue=redis_url)
            say(f"emitter: this process, flask_socketio.SocketIO(message_queue={redis_url!r})"
                f".emit({EVENT!r}, ..., to={ROOM!r}); {args.reps} repetitions, {args.gap} s apart")
            for kind in kinds:
                results[kind] = run_kind(kind, base, cookies, PROCESSES[kind], args.reps, args.gap, db_path,
                                         emitter, server)
        finally:
            status = proc_status(server.proc.pid)
            server.stop()
            if redis_child:
                redis_child.stop()
        say(f"server process peak RSS {status.get('VmHWM')}")

    banner("summary")
    say(f"{'client kind':<12}{'clients':>8}{'all have it p50':>17}{'p99':>10}{'delivery p50':>14}{'p99':>10}"
        f"{'missing':>9}")
    for kind, r in results.items():
        say(f"{kind:<12}{r['clients']:>8}{r['all_have_p50_ms']:>14.1f} ms{r['all_have_p99_ms']:>7.1f} ms"
            f"{r['delivery_p50_ms']:>11.1f} ms{r['delivery_p99_ms']:>7.1f} ms{r['missing_deliveries']:>9}")
    out = {"machine": info, "clients": args.clients, "reps": args.reps, "gap": args.gap, "redis": redis_url,
           "login_seconds": login_seconds, "server_peak_rss": status.get("VmHWM"), "results": results}
    say(f"(json: {write_json('socketio_fanout', out)})")
    return out


if __name__ == "__main__":
    main()
