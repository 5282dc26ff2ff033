"""The `estate-dashboard` command line. Every failure is one clear line on stderr and a non-zero exit."""
from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings.exceptions import SettingsError

from data_access import ALL, Database, DataSourceError, FilterError, Filters, ServiceRules, Settings
from data_access.schema import SERVICE_AREAS


class UsageError(Exception):
    """Bad input on the command line."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _area(text: str) -> str:
    if text not in SERVICE_AREAS:
        raise argparse.ArgumentTypeError(f"unknown service area {text!r}; choose from {', '.join(SERVICE_AREAS)}")
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, no usage dump
        sys.stderr.write(f"estate-dashboard: error: {message}\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="estate-dashboard", description="Service analytics for a property group.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def with_db(p, required=False):
        p.add_argument("--db", help="SQLAlchemy database URL (default: $ESTATE_DB_URL)", required=False)
        return p

    serve = with_db(commands.add_parser("serve", help="serve the dashboard"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_positive, default=8050)
    serve.add_argument("--workers", type=_positive, default=1, help="gunicorn workers (1 = development server)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (never in production)")
    serve.add_argument("--mapping", help="TOML mapping file: read a source database's own tables (read-only)")

    demo = with_db(commands.add_parser("demo", help="write deterministic demo data"))
    demo.add_argument("--estates", type=_positive, default=60)
    demo.add_argument("--tickets", type=_positive, default=300_000)
    demo.add_argument("--months", type=_positive, default=24)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--end", type=_date, help="last day of the generated history (default: yesterday)")
    demo.add_argument("--replace", action="store_true", help="drop existing demo rows first")

    hash_password = commands.add_parser("hash-password", help="hash a password for the users table of the settings")
    hash_password.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    metrics = with_db(commands.add_parser("metrics", help="print the figures of METRICS.md"))
    metrics.add_argument("--from", dest="start", type=_date, required=True)
    metrics.add_argument("--to", dest="end", type=_date, required=True)
    metrics.add_argument("--estate", action="append", default=[])
    metrics.add_argument("--area", action="append", default=[], type=_area)
    metrics.add_argument("--json", action="store_true", help="machine-readable output (the contract)")
    metrics.add_argument("--mapping", help="TOML mapping file: read a source database's own tables (read-only)")

    importer = with_db(commands.add_parser("import", help="import CSV/XLSX exports into a database we write"))
    importer.add_argument("--mapping", help="TOML mapping file (headers, value maps, timestamp formats, time zone)")
    importer.add_argument("--kind", choices=("tickets", "surveys", "estates"), help="what every file holds (default: from its headers)")
    importer.add_argument("--rejects", help="where to write the rejection report CSV (default: next to the database)")
    importer.add_argument("files", nargs="+", metavar="FILES")

    check = with_db(commands.add_parser("check", help="print a data-quality report of a source (read-only)"))
    check.add_argument("--mapping", help="TOML mapping file: read a source database's own tables")
    check.add_argument("--json", action="store_true", help="machine-readable output")

    report = with_db(commands.add_parser("report", help="write the weekly meeting pack or the monthly complaint report (PDF or XLSX)"))
    period = report.add_mutually_exclusive_group(required=True)
    period.add_argument("--week", help="ISO week, e.g. 2026-W47 (Monday to Sunday)")
    period.add_argument("--month", help="calendar month, e.g. 2026-10 (the monthly complaint analysis)")
    report.add_argument("--estate", action="append", default=[])
    report.add_argument("--lang", choices=("zh", "en"), default="zh")
    report.add_argument("--out", required=True, help="the file to write: .pdf or .xlsx")
    report.add_argument("--mapping", help="TOML mapping file: read a source database's own tables (read-only)")
    refresh = with_db(commands.add_parser("refresh", help="bring the rollups up to date (pre-aggregates for fast long periods)"))
    refresh.add_argument("--full", action="store_true", help="rebuild every month, not only those that changed")
    refresh.add_argument("--since", type=_date, help="also rebuild every month from this day on (after loading tables by other means)")
    return parser


def _database(args, settings: Settings, *, fallback_embedded: bool = False, must_exist: bool = False) -> Database:
    url = args.db or settings.db_url
    if not url:
        if not fallback_embedded:
            raise UsageError("no database given: pass --db URL or set ESTATE_DB_URL")
        url = settings.embedded_db_url
    db = Database(url, statement_timeout=settings.statement_timeout_seconds)
    # SQLite would silently create an empty file for a mistyped path.
    path = db.url.database if db.dialect == "sqlite" else None
    if must_exist and path and path != ":memory:" and not path.startswith("file:") and not os.path.exists(path):
        raise UsageError(f"the SQLite database {path} does not exist")
    return db


def _read_mapping(path: str | None):
    from data_access.mapping import MappingError, load_mapping

    try:
        return load_mapping(path)
    except MappingError as exc:
        raise UsageError(str(exc)) from None


def _source(args, settings: Settings) -> Database:
    """A database only read: through the mapping when one is given; never migrated or written."""
    db = _database(args, settings, must_exist=True)
    mapping = _read_mapping(getattr(args, "mapping", None))
    from data_access.mapping import attach_source_mapping

    attach_source_mapping(db, mapping, settings.timezone)
    return db


def cmd_metrics(args, settings: Settings) -> int:
    db = _source(args, settings)
    db.require_tables()
    filters = Filters(args.start, args.end, estates=args.estate, areas=args.area)
    _check_estates(db, filters)
    from data_access.metrics import compute_metrics

    figures = compute_metrics(db, ServiceRules.from_settings(settings), filters, ALL)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
    else:
        _print_summary(figures)
    return 0


def _check_estates(db: Database, filters: Filters) -> None:
    if not filters.estates:
        return
    from data_access.catalog import known_estate_ids

    unknown = sorted(filters.estates - known_estate_ids(db, filters.estates))
    if unknown:
        raise UsageError(f"unknown estate(s): {', '.join(unknown)}")


def _print_summary(figures: dict) -> None:
    def show(value, unit=""):
        if value is None:
            return "—"
        return f"{value:,.1f}{unit}" if isinstance(value, float) else f"{value:,}{unit}"

    t, fr, res, esc, sat = (figures[k] for k in ("tickets", "first_response", "resolution", "escalations", "satisfaction"))
    print(f"Period {figures['period']['from']} to {figures['period']['to']}")
    print(f"  tickets              {show(t['total'])}  ({show(t['per_1000_households'])} per 1,000 households)")
    print(f"  first reply ≤ {fr['target_minutes']:g} min  {show(fr['within_target_pct'], '%')}, median {show(fr['median_minutes'], ' min')}")
    print(f"  resolved within SLA  {show(res['within_sla_pct'], '%')}, median {show(res['median_hours'], ' h')}")
    print(f"  escalations          {show(esc['total'])} ({show(esc['rate_pct'], '%')})")
    print(f"  CSAT                 {show(sat['csat_pct'], '%')}, mean score {show(sat['mean_score'])}")


def cmd_demo(args, settings: Settings) -> int:
    from data_access.demo import generate_demo

    db = _database(args, settings)
    end = args.end or (dt.date.today() - dt.timedelta(days=1))
    summary = generate_demo(
        db, estates=args.estates, tickets=args.tickets, months=args.months, seed=args.seed, end=end,
        replace=args.replace, progress=True,
    )
    print(summary)
    _refresh_rollups(db, settings, full=True)  # demo writes no dirty days: it replaced (or added) whole months
    return 0


def _refresh_rollups(db: Database, settings: Settings, **kwargs) -> None:
    from data_access.rollups import refresh

    report = refresh(db, ServiceRules.from_settings(settings), progress=True, **kwargs)
    kind = "rebuilt" if report.full else "refreshed"
    print(f"Rollups {kind}: {report.months:,} month(s), {report.rows:,} rows in all, in {report.seconds:.1f} s")


def cmd_refresh(args, settings: Settings) -> int:
    db = _database(args, settings, fallback_embedded=True, must_exist=True)
    db.require_tables()
    _refresh_rollups(db, settings, full=args.full, since=args.since)
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from dashboard.server import serve

    if args.mapping:
        _read_mapping(args.mapping)  # a bad mapping is one clear line now, not an error page later
        settings = settings.model_copy(update={"mapping_file": Path(args.mapping)})
        os.environ["ESTATE_MAPPING_FILE"] = str(Path(args.mapping).resolve())  # for gunicorn workers
    return serve(settings, db_url=args.db, host=args.host, port=args.port, workers=args.workers, debug=args.debug)


def cmd_hash_password(args, settings: Settings) -> int:
    import getpass

    from dashboard.auth import hash_password

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Again: "):
            raise UsageError("the two passwords differ")
    if len(password) < 8:
        raise UsageError("a password needs at least 8 characters")
    print(hash_password(password))
    return 0


def cmd_import(args, settings: Settings) -> int:
    from data_access.importer import import_files

    mapping = _read_mapping(args.mapping)
    missing = [f for f in args.files if not Path(f).is_file()]
    if missing:
        raise UsageError(f"no such file: {missing[0]}")
    db = _database(args, settings)
    result = import_files(
        db, args.files, mapping=mapping, group_timezone=settings.timezone, kind=args.kind,
        rejects_path=Path(args.rejects) if args.rejects else None, progress=True,
    )
    for f in result.files:
        print(f"{f.file} ({f.kind}): read {f.read:,} = loaded {f.loaded:,} + rejected {f.rejected:,}")
    rate = result.read / result.seconds if result.seconds > 0 else 0
    print(f"total: read {result.read:,} = loaded {result.loaded:,} + rejected {result.rejected:,} "
          f"in {result.seconds:.1f} s ({rate:,.0f} rows/s)")
    if result.rejects_path:
        print(f"rejected rows and reasons: {result.rejects_path}")
    return 0


def cmd_check(args, settings: Settings) -> int:
    from data_access.quality import format_report, quality_report

    db = _source(args, settings)
    report = quality_report(db)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_report(report))
    return 0


def cmd_report(args, settings: Settings) -> int:
    from dashboard.report.command import run_report

    return run_report(args, settings, source=lambda: _source(args, settings), check_estates=_check_estates, usage_error=UsageError)


COMMANDS = {
    "metrics": cmd_metrics, "demo": cmd_demo, "serve": cmd_serve, "hash-password": cmd_hash_password,
    "import": cmd_import, "check": cmd_check, "report": cmd_report, "refresh": cmd_refresh,
}


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("ESTATE_LOG_LEVEL", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        settings = Settings()
    except (ValidationError, SettingsError) as exc:
        first = str(exc).replace("\n", " ")[:300]
        sys.stderr.write(f"estate-dashboard: error: invalid settings: {first}\n")
        return 2
    try:
        return COMMANDS[args.command](args, settings)
    except (UsageError, DataSourceError, FilterError) as exc:
        sys.stderr.write(f"estate-dashboard: error: {exc}\n")
        return 2 if isinstance(exc, (UsageError, FilterError)) else 1
    except KeyboardInterrupt:
        sys.stderr.write("estate-dashboard: interrupted\n")
        return 130
    except Exception as exc:  # the last line of defence: never a traceback to a user
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        sys.stderr.write(f"estate-dashboard: error: unexpected {type(exc).__name__}: {exc} (set ESTATE_LOG_LEVEL=DEBUG for details)\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
