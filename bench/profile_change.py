"""Where the cold time of one filter change goes: each callback of a page, and its slowest queries.

    .venv/bin/python bench/profile_change.py --db URL [--change "city"] [--page response] [--today 2026-11-23] [--cached]

Same changes, pages and callbacks as bench/filter_changes.py (which says how they are posted);
the result cache is cleared first, so every callback goes to the database (with --cached the
page is then posted again, answered from the cache). For each callback:
its server time, how many queries it ran and their time; then the slowest queries of the page
with the start of their SQL. A tool for finding the next thing to make faster, not a benchmark.
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import datetime as dt
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from filter_changes import PAGES, open_dashboard, payload  # noqa: E402



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date.today())
    parser.add_argument("--change", default="", help="part of a change's name; all five when empty")
    parser.add_argument("--query", help="a query string of your own instead of the five changes, e.g. '?period=last_4_weeks'")
    parser.add_argument("--page", choices=PAGES, action="append", help="repeatable; every page when absent")
    parser.add_argument("--heatmap", default="within_sla_pct", help="the Estates heatmap's figure (the page default unless given)")
    parser.add_argument("--top", type=int, default=8, help="slowest queries shown per page")
    parser.add_argument("--chars", type=int, default=260, help="how much of each query's SQL to show")
    parser.add_argument("--cached", action="store_true", help="then post the page again, answered from the cache")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="also run each page under cProfile and show its N costliest functions (cumulative), the project's own first")
    args = parser.parse_args()

    app, services, client, by_page, _estates, plan = open_dashboard(args.db, args.today)
    plan = [c for c in plan if args.change in c[0]]
    if args.query:
        plan = [(args.query, args.query, None)]
    for name, query, _spec in plan:
        values = {"url.search": query, "lang.data": "en", "estates-heatmap-figure.value": args.heatmap}
        for page in args.page or PAGES:
            with app.server.app_context():
                services.cache.clear()
            for attempt in ("cold", "cached") if args.cached else ("cold",):
                print(f"\n## {name} / {page}, {attempt}  ({query})")
                profiler = cProfile.Profile() if args.profile else None
                with profiler or contextlib.nullcontext():
                    _post_page(args, services, client, by_page[page], dict(values))
                if profiler:
                    _print_profile(profiler, args.profile)


def _post_page(args, services, client, deps, values) -> None:
    queries = []
    total = 0.0
    for dep in deps:
        services.db.trace.clear()
        started = time.perf_counter()
        response = client.post("/_dash-update-component", data=payload(dep, values), content_type="application/json")
        seconds = time.perf_counter() - started
        total += seconds
        if response.status_code == 200:  # what a chained callback reads
            for cid, props in response.get_json()["response"].items():
                values.update({f"{cid}.{prop}": value for prop, value in props.items()})
        traced = list(services.db.trace)
        queries += [(t.seconds, t.rows, dep["output"][:40], t.sql) for t in traced]
        print(f"  {seconds * 1000:8.0f} ms  {len(traced):3d} queries {sum(t.seconds for t in traced) * 1000:8.0f} ms  "
              f"HTTP {response.status_code}  {dep['output'][:70]}")
    print(f"  {total * 1000:8.0f} ms  page total")
    for seconds, rows, output, sql in sorted(queries, reverse=True)[: args.top]:
        flat = " ".join(sql.split())
        print(f"    {seconds * 1000:7.0f} ms {rows:7d} rows  [{output}]  {flat[:args.chars]}")


def _print_profile(profiler: cProfile.Profile, top: int) -> None:
    """The project's costliest functions, then everyone's (with cProfile's overhead: compare, don't add up)."""
    stats = pstats.Stats(profiler)
    own = str(Path(__file__).resolve().parents[1])
    rows = sorted(((v[3], v[2], k) for k, v in stats.stats.items()), reverse=True)  # (cumulative, own time, (file, line, name))
    for title, keep in (("project", lambda f: f.startswith(own) and "/.venv/" not in f), ("all", lambda f: True)):
        print(f"    cProfile, {title}: cumulative ms, own ms, function")
        for cumulative, own_time, (file, line, function) in [r for r in rows if keep(r[2][0])][:top]:
            print(f"    {cumulative * 1000:8.0f} {own_time * 1000:8.0f}  {function} {Path(file).name}:{line}")


if __name__ == "__main__":
    main()
