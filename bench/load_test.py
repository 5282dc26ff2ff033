"""A bounded load test: simulated users changing filters against `serve --workers 2` with a shared Redis cache.

    .venv/bin/python bench/load_test.py --db URL [--users 50] [--seconds 60] [--workers 2] [--today 2026-11-23]
                                        [--redis redis://127.0.0.1:6379/15]

Flushes the Redis database given, starts `estate-dashboard serve --workers N` on a free loopback
port (ESTATE_REDIS_URL set, so the gunicorn workers share the result cache; ESTATE_TODAY pinned),
waits for /health, then runs `--users` threads for `--seconds`: each picks one of the five filter
changes of issue 5 at random and posts all server-side callbacks of the Overview page for it
(the shared filter-bar ones included), one after another, as a user's browser would, then again.
Reports requests, errors (HTTP status other than 200/204, exceptions, a database-problem store
that is set), and latency p50/p95 per request and per filter change. Stops the server at the end.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from filter_changes import changes, page_callbacks, payload, pct

ROOT = Path(__file__).resolve().parents[1]


class _Client:
    """Just enough of a Flask test client for page_callbacks: get(url).get_json()."""

    def __init__(self, base: str) -> None:
        self.base = base

    def get(self, path: str):
        response = requests.get(self.base + path, timeout=30)
        response.get_json = response.json
        return response


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, help="database URL")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--today", default="2026-11-23")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--page", default="overview")
    args = parser.parse_args()
    if not (1 <= args.users <= 500 and 0 < args.seconds <= 900):
        parser.error("keep it bounded: 1-500 users, at most 900 seconds")

    import redis

    redis.Redis.from_url(args.redis).flushdb()
    engine = sa.create_engine(args.db)
    with engine.connect() as conn:
        estates = conn.exec_driver_sql("SELECT estate_id, city FROM estates ORDER BY city, name").fetchall()
    engine.dispose()
    cities: dict[str, int] = {}
    for _, city in estates:
        cities[city] = cities.get(city, 0) + 1
    plan = changes(dt.date.fromisoformat(args.today), max(cities, key=cities.get), estates[0][0])

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, ESTATE_REDIS_URL=args.redis, ESTATE_TODAY=args.today)
    log = open(f"/tmp/load_test_server_{port}.log", "w")  # noqa: SIM115 - closed in the finally below
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/estate-dashboard"), "serve", "--db", args.db, "--workers", str(args.workers),
         "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(base + "/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not come up; see {log.name}")
            time.sleep(0.5)
        deps = page_callbacks(_Client(base))[args.page]
        print(f"server pid {server.pid} on {base}, {args.workers} workers, Redis {args.redis}; "
              f"{len(deps)} callbacks per {args.page} filter change; {args.users} users for {args.seconds:.0f} s")

        lock = threading.Lock()
        request_ms: list[float] = []
        change_ms: list[float] = []
        errors: list[str] = []
        stop_at = time.monotonic() + args.seconds

        def user(seed: int) -> None:
            rng = random.Random(seed)
            session = requests.Session()
            while time.monotonic() < stop_at:
                name, query, _ = rng.choice(plan)
                values = {"url.search": query, "lang.data": "en"}
                change_started = time.perf_counter()
                ok = True
                for dep in deps:
                    started = time.perf_counter()
                    try:
                        response = session.post(base + "/_dash-update-component", data=payload(dep, values),
                                                headers={"Content-Type": "application/json"}, timeout=120)
                        elapsed = (time.perf_counter() - started) * 1000
                        problem = None
                        if response.status_code not in (200, 204):
                            problem = f"HTTP {response.status_code}"
                        elif response.status_code == 200:
                            body = response.json()["response"]
                            for cid, props in body.items():  # what a chained callback reads
                                values.update({f"{cid}.{prop}": value for prop, value in props.items()})
                            problem = next((f"{cid}: {v['data']}" for cid, v in body.items()
                                            if "db-error" in cid and v.get("data")), None)
                    except Exception as exc:  # noqa: BLE001 - a load test counts every failure
                        elapsed = (time.perf_counter() - started) * 1000
                        problem = f"{type(exc).__name__}: {exc}"
                    with lock:
                        request_ms.append(elapsed)
                        if problem:
                            ok = False
                            errors.append(f"{name}: {dep['output'][:50]}: {str(problem)[:120]}")
                if ok:
                    with lock:
                        change_ms.append((time.perf_counter() - change_started) * 1000)

        threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(args.users)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=args.seconds + 180)
        wall = time.monotonic() - started
        print(f"wall {wall:.1f} s; requests {len(request_ms)} ({len(request_ms) / wall:.1f}/s); "
              f"filter changes completed {len(change_ms)}; errors {len(errors)}")
        if request_ms:
            print(f"per request:       p50 {pct(request_ms, .5):,.0f} ms, p95 {pct(request_ms, .95):,.0f} ms, max {max(request_ms):,.0f} ms")
        if change_ms:
            print(f"per filter change: p50 {pct(change_ms, .5):,.0f} ms, p95 {pct(change_ms, .95):,.0f} ms, max {max(change_ms):,.0f} ms")
        for error in errors[:10]:
            print("  " + error)
        if any(t.is_alive() for t in threads):
            print("warning: some users were still waiting on a request at the end")
    finally:
        server.send_signal(signal.SIGTERM)  # gunicorn's master stops its workers
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
        print(f"server stopped (exit {server.returncode}); its log: {log.name}")


if __name__ == "__main__":
    main()
