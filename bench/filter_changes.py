"""Server time of the five filter changes of issue 5, cold and cached, beside the floor and a naive baseline.

    .venv/bin/python bench/filter_changes.py --db URL [--db URL ...] [--repeat 5] [--today 2026-11-23] [--no-naive]

One table per database given (engine and size in its heading).

For each filter change and each page (overview, response, escalations, satisfaction, estates) it
posts, to a Flask test client, every Dash callback of that page whose inputs include url.search
(found in /_dash-dependencies, posted like tests/dash_requests.py; the shared filter bar, note and
nav callbacks are posted too, as the browser fires them as well). The callbacks are posted one
after another, so "server time" is their sum; a browser fires them in parallel.

- cold: the result cache is cleared before every (change, page); cached: the same again, cache warm.
- floor: the sum of Database.trace seconds of the queries a cold run executed (driver time for the
  same aggregate SQL, fetch included; queries that ran in parallel are summed, so this overstates
  the floor a little).
- naive: the common Dash pattern, in a fresh process: pd.read_sql("SELECT * FROM tickets") on every
  change, then filtering and grouping in pandas for the headline question (counts by area and
  estate, median first response, escalation rate); time per change and that process's peak RSS.
- peak RSS: resource.getrusage of this process, taken before the naive baseline runs.
- bytes: the JSON size of every figure in the responses, the largest per page.
- agreement: per change, the Overview's figures (compute_metrics) as cached, from the rollups and
  from the raw tables with rollups switched off: counts must be equal, percentiles within 1%.
  The naive baseline runs up to 1.2M tickets (issue 5 asks for it at 1M); beyond that it is skipped.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboard import urlstate
from dashboard.app import create_app
from dashboard.heap import freeze_startup_heap
from dashboard.services import EXTENSION
from data_access import ALL, Settings

PAGES = ("overview", "response", "escalations", "satisfaction", "estates")
SHARED_PREFIXES = ("..url.search...filter-period", "..url-notes", "..nav-overview")


def changes(today: dt.date, city: str, estate: str) -> list[tuple[str, str, dict]]:
    """(name, query string, naive filter spec) of the five changes of issue 5."""
    yesterday = today - dt.timedelta(days=1)
    # the last complete calendar quarter before today
    q_start_month = ((today.month - 1) // 3) * 3 + 1
    this_q = dt.date(today.year, q_start_month, 1)
    last_q_end = this_q - dt.timedelta(days=1)
    last_q_start = dt.date(last_q_end.year, ((last_q_end.month - 1) // 3) * 3 + 1, 1)
    monday = today - dt.timedelta(days=today.weekday())
    three_years = yesterday.replace(year=yesterday.year - 3) + dt.timedelta(days=1)
    one_year = yesterday.replace(year=yesterday.year - 1) + dt.timedelta(days=1)
    return [
        ("all estates, last week", "?period=last_week",
         {"start": monday - dt.timedelta(days=7), "end": monday - dt.timedelta(days=1)}),
        ("one city, last quarter", f"?period=custom&from={last_q_start}&to={last_q_end}&city={city}",
         {"start": last_q_start, "end": last_q_end, "city": city}),
        ("one estate, year to date", f"?period=year_to_date&estate={estate}",
         {"start": dt.date(today.year, 1, 1), "end": yesterday, "estate": estate}),
        ("all estates, three years", f"?period=custom&from={three_years}&to={yesterday}",
         {"start": three_years, "end": yesterday}),
        ("one area, one year", f"?period=custom&from={one_year}&to={yesterday}&area=repair",
         {"start": one_year, "end": yesterday, "area": "repair"}),
    ]


def page_callbacks(client) -> dict[str, list[dict]]:
    deps = client.get("/_dash-dependencies").get_json()
    by_page: dict[str, list[dict]] = {p: [] for p in PAGES}
    shared = []
    for dep in deps:
        if not any(i["id"] == "url" and i["property"] == "search" for i in dep["inputs"]):
            continue
        if dep.get("clientside_function"):
            continue  # runs in the browser
        if dep["output"].startswith(SHARED_PREFIXES):
            shared.append(dep)
            continue
        first = dep["output"].lstrip(".").split(".", 1)[0]
        for page in PAGES:
            if first.startswith(page + "-"):
                by_page[page].append(dep)
    for page in PAGES:
        # Callbacks set off by what the page's callbacks write (the Estates league's medians)
        # run in the same filter change: posted after them, with the values they wrote. (Those
        # with a url.search input are the page's own already, selected above.)
        written = {part.split("@")[0] for dep in by_page[page] for part in _outputs(dep)}
        chained = [
            dep for dep in deps
            if not dep.get("clientside_function") and dep not in by_page[page] and dep["inputs"]
            and all(f"{i['id']}.{i['property']}" in written for i in dep["inputs"] if isinstance(i["id"], str))
            and all(isinstance(i["id"], str) for i in dep["inputs"])
        ]
        by_page[page] = shared + by_page[page] + chained
    return by_page


def _outputs(dep: dict) -> list[str]:
    return dep["output"][2:-2].split("...") if dep["output"].startswith("..") else [dep["output"]]


def payload(dep: dict, values: dict) -> str:
    def items(specs):
        return [{"id": s["id"], "property": s["property"], "value": values.get(f"{s['id']}.{s['property']}")} for s in specs]

    outputs = []
    multi = dep["output"].startswith("..")
    for part in dep["output"][2:-2].split("...") if multi else [dep["output"]]:
        component, prop = part.rsplit(".", 1)
        outputs.append({"id": json.loads(component) if component.startswith("{") else component, "property": prop})
    return json.dumps({
        "output": dep["output"],
        "outputs": outputs if multi else outputs[0],
        "inputs": items(dep["inputs"]),
        "state": items(dep["state"]),
        "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
    })


def fire_page(client, deps: list[dict], values: dict) -> tuple[float, int, list[str]]:
    """Post every callback; (seconds, largest figure JSON bytes, errors). The seconds are the
    server's, request in to response out: reading the response here (the bench's own JSON
    parsing, half a megabyte for a league) is left out."""
    values = dict(values)
    biggest = 0
    errors = []
    seconds = 0.0
    for dep in deps:
        body = payload(dep, values)
        started = time.perf_counter()
        response = client.post("/_dash-update-component", data=body, content_type="application/json")
        seconds += time.perf_counter() - started
        response.close()  # as a WSGI server does once it has sent the answer
        if response.status_code == 204:
            continue
        if response.status_code != 200:
            errors.append(f"{dep['output'][:60]}: HTTP {response.status_code}")
            continue
        body = response.get_json()["response"]
        for cid, props in body.items():
            for prop, value in props.items():
                values[f"{cid}.{prop}"] = value  # the input of a chained callback
                if prop.split("@")[0] == "figure":
                    biggest = max(biggest, len(json.dumps(value, separators=(",", ":"))))
                if prop.split("@")[0] == "data" and "db-error" in cid and value:
                    errors.append(f"{cid}: {str(value)[:80]}")
    return seconds, biggest, errors


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def naive(url: str, specs: list[dict], queue) -> None:
    """The common Dash pattern: the whole ticket table into pandas on every change."""
    import pandas as pd
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    out = []
    for spec in specs:
        started = time.perf_counter()
        frame = pd.read_sql("SELECT * FROM tickets", engine)
        estates = pd.read_sql("SELECT estate_id, city FROM estates", engine)
        created = pd.to_datetime(frame["created_at"], format="mixed")
        mask = (created >= pd.Timestamp(spec["start"])) & (created < pd.Timestamp(spec["end"] + dt.timedelta(days=1)))
        if "city" in spec:
            mask &= frame["estate_id"].isin(estates.loc[estates["city"] == spec["city"], "estate_id"])
        if "estate" in spec:
            mask &= frame["estate_id"] == spec["estate"]
        if "area" in spec:
            mask &= frame["service_area"] == spec["area"]
        part = frame[mask]
        reply = (pd.to_datetime(part["first_response_at"], format="mixed") - created[mask]).dt.total_seconds() / 60
        answer = {
            "tickets": len(part),
            "by_area": part.groupby("service_area").size().to_dict(),
            "by_estate": part.groupby("estate_id").size().size,
            "median_reply_min": float(reply.median()) if len(part) else None,
            "escalation_rate": float((part["escalation_level"] > 0).mean()) if len(part) else None,
        }
        out.append((time.perf_counter() - started, answer["tickets"]))
        del frame, part
    queue.put((out, rss_mb()))


NAIVE_MAX_TICKETS = 1_200_000
PERCENTILE_KEYS = {"median_minutes", "p90_minutes", "median_hours", "p90_hours", "first_response_median_minutes", "resolution_median_hours"}


def disagreements(a, b, path="") -> tuple[list[str], float]:
    """Where figures a and b differ (counts exactly, percentiles beyond 1%), and the worst
    relative percentile difference seen."""
    if isinstance(b, dict):
        found, worst = [], 0.0
        for key in b:
            f, w = disagreements(a.get(key), b[key], f"{path}.{key}")
            found += f
            worst = max(worst, w)
        return found, worst
    key = path.rsplit(".", 1)[-1]
    if a is None or b is None:
        return ([] if a is b else [f"{path}: {a!r} vs {b!r}"]), 0.0
    if key in PERCENTILE_KEYS:
        error = abs(a - b) / abs(b) if b else abs(a)
        return ([] if error <= 0.01 else [f"{path}: {a} vs {b}"]), error
    if isinstance(b, float):
        return ([] if abs(a - b) <= 1e-9 * max(1.0, abs(b)) else [f"{path}: {a} vs {b}"]), 0.0
    return ([] if a == b else [f"{path}: {a!r} vs {b!r}"]), 0.0


def agreement(app, services, plan, today: dt.date) -> tuple[list[str], float, float]:
    """Cached, rolled-up and raw answers of every change's headline figures side by side."""
    from dashboard.filterbar import known_view
    from data_access import Database, rollups
    from data_access.metrics import compute_metrics

    patient = Database(services.db.url.render_as_string(hide_password=False), statement_timeout=1800)  # raw scans of 10M take long

    problems, worst, raw_seconds = [], 0.0, 0.0
    with app.server.app_context():
        scope = ALL
        city_estates = services.city_estates(scope)
        for name, query, _ in plan:
            filters = known_view(query).filters(today, city_estates)
            cached = services.metrics(filters, scope)
            rolled = compute_metrics(services.db, services.rules, filters, scope)
            keep = rollups.current_state
            rollups.current_state = lambda db: None
            try:
                started = time.perf_counter()
                raw = compute_metrics(patient, services.rules, filters, scope)
                raw_seconds += time.perf_counter() - started
            finally:
                rollups.current_state = keep
            for label, figures in (("cached", cached), ("rollups", rolled)):
                found, error = disagreements(figures, raw)
                problems += [f"{name}: {label} vs raw {f}" for f in found]
                worst = max(worst, error)
    return problems, worst, raw_seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True, action="append", help="database URL (repeat for a table per database)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 23))
    parser.add_argument("--no-naive", action="store_true", help="skip the naive pandas baseline")
    parser.add_argument("--no-agreement", action="store_true", help="skip the cached / rollups / raw comparison")
    args = parser.parse_args()
    for url in args.db:
        if len(args.db) > 1:  # each database in its own process: peak RSS is per database
            context = multiprocessing.get_context("spawn")
            process = context.Process(target=bench_database, args=(url, args))
            process.start()
            process.join()
        else:
            bench_database(url, args)


def open_dashboard(url: str, today: dt.date):
    """The app over `url`, its services, a signed-in English test client, every page's callbacks,
    and the five changes of issue 5 (the city with most estates, the first estate)."""
    app = create_app(Settings(today=today), url)
    freeze_startup_heap()  # as dashboard.wsgi and serve do
    services = app.server.extensions[EXTENSION]
    client = app.server.test_client()
    client.set_cookie("lang", "en")
    with app.server.app_context():
        estates = services.estates(services.scope())
    plan = changes(today, estates["city"].value_counts().index[0], estates["estate_id"].iloc[0])
    for name, query, _spec in plan:  # a parameter the dashboard drops would measure another question
        view = urlstate.parse(query, known_estates=set(estates["estate_id"]), known_cities=set(estates["city"].dropna()))
        if view.notes:
            raise SystemExit(f"{name}: the dashboard drops part of {query}: {'; '.join(view.notes)}")
    return app, services, client, page_callbacks(client), estates, plan


def bench_database(url: str, args) -> None:
    import sqlalchemy as sa

    app, services, client, by_page, estates, plan = open_dashboard(url, args.today)
    city, estate = plan[1][2]["city"], plan[2][2]["estate"]
    from dashboard.pages import estates as estates_page

    from data_access import rollups

    ticket_count = services.db.rows(sa.text("SELECT COUNT(*) FROM tickets"))[0][0]
    state = rollups.read_state(services.db)
    print()
    print(f"## {services.db.dialect}, {ticket_count:,} tickets, {len(estates):,} estates")
    print(f"{services.db.describe()}; today {args.today}; repeat {args.repeat}; city {city}; estate {estate}; "
          f"rollups: {'refreshed ' + str(state.refreshed_at) if state and state.refreshed_at else 'none'}")
    print("callbacks per page (incl. the shared server-side ones):", {p: len(d) for p, d in by_page.items()})
    rows = []
    all_errors: list[str] = []
    for name, query, _spec in plan:
        values = {"url.search": query, "lang.data": "en",
                  "estates-heatmap-figure.value": estates_page.figures.DEFAULT_HEATMAP_FIGURE}
        for page in PAGES:
            cold, cached, floor, biggest = [], [], [], 0
            for _ in range(args.repeat):
                with app.server.app_context():
                    services.cache.clear()
                services.db.trace.clear()
                seconds, size, errors = fire_page(client, by_page[page], values)
                floor.append(sum(t.seconds for t in services.db.trace))
                cold.append(seconds)
                biggest = max(biggest, size)
                all_errors += [f"{name} / {page}: {e}" for e in errors]
            for _ in range(args.repeat):
                services.db.trace.clear()
                seconds, size, errors = fire_page(client, by_page[page], values)
                if services.db.trace:
                    all_errors.append(f"{name} / {page}: cached run ran {len(services.db.trace)} queries")
                cached.append(seconds)
                all_errors += [f"{name} / {page}: {e}" for e in errors]
            rows.append((name, page, cold, cached, floor, biggest))
            print(f"  {name:<26} {page:<13} cold p50 {pct(cold, .5) * 1000:7.0f} ms  cached p50 {pct(cached, .5) * 1000:6.1f} ms",
                  flush=True)
    peak = rss_mb()

    naive_times: dict[str, float] = {}
    naive_rss = None
    problems, worst, raw_seconds = ([], 0.0, 0.0) if args.no_agreement else agreement(app, services, plan, args.today)

    if not args.no_naive and ticket_count <= NAIVE_MAX_TICKETS:
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        process = context.Process(target=naive, args=(url, [spec for _, _, spec in plan], queue))
        process.start()
        result, naive_rss = queue.get(timeout=1800)
        process.join(timeout=60)
        naive_times = {name: seconds for (name, _, _), (seconds, _) in zip(plan, result)}

    print()
    print("| change | page | cold p50 ms | cold p95 ms | cached p50 ms | cached p95 ms | floor p50 ms | cold / floor | naive ms | naive / cold | max figure KB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, page, cold, cached, floor, biggest in rows:
        c50, f50 = pct(cold, .5) * 1000, pct(floor, .5) * 1000
        nv = naive_times.get(name)
        print(f"| {name} | {page} | {c50:,.0f} | {pct(cold, .95) * 1000:,.0f} | {pct(cached, .5) * 1000:,.1f} | "
              f"{pct(cached, .95) * 1000:,.1f} | {f50:,.0f} | {c50 / f50 if f50 else float('nan'):.1f}x | "
              f"{'' if nv is None else f'{nv * 1000:,.0f}'} | {'' if nv is None else f'{nv * 1000 / c50:.1f}x'} | {biggest / 1024:,.1f} |")
    every_cold = [s for r in rows for s in r[2]]
    every_cached = [s for r in rows for s in r[3]]
    print()
    print(f"all (change, page) cold:   p50 {pct(every_cold, .5) * 1000:,.0f} ms, p95 {pct(every_cold, .95) * 1000:,.0f} ms")
    print(f"all (change, page) cached: p50 {pct(every_cached, .5) * 1000:,.1f} ms, p95 {pct(every_cached, .95) * 1000:,.1f} ms")
    print(f"largest figure: {max(r[5] for r in rows) / 1024:,.1f} KB")
    print(f"peak RSS of the dashboard process: {peak:,.0f} MB")
    if naive_rss is not None:
        print(f"naive baseline: per change {', '.join(f'{v:.1f}' for v in naive_times.values())} s; peak RSS {naive_rss:,.0f} MB")
    if not args.no_agreement:
        print(f"agreement (Overview figures of the {len(plan)} changes: cached and rollups vs raw tables): "
              f"{'all agree' if not problems else f'{len(problems)} DISAGREE'}; counts exact; worst percentile difference "
              f"{worst * 100:.3f}% (limit 1%); raw tables took {raw_seconds:,.1f} s for the {len(plan)} changes")
        for problem in problems[:20]:
            print("  " + problem)
    print(f"errors: {len(all_errors)}")
    for error in all_errors[:20]:
        print("  " + error)


if __name__ == "__main__":
    main()
