"""`estate-dashboard report`: checks everything it can before querying (period, output path,
database, estates), shows its steps on a terminal, and writes the file atomically. Every
failure becomes one line from the command line's error handler."""
from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

from data_access import Filters, Settings
from data_access.report import MONTHLY, STEP_NAMES, ReportPeriod

from . import ReportError, build, check_writable, format_of, write_file


def run_report(args, settings: Settings, *, source: Callable, check_estates: Callable, usage_error: type[Exception]) -> int:
    from tqdm import tqdm

    period = ReportPeriod.month(args.month) if args.month else ReportPeriod.week(args.week)
    out = Path(args.out)
    try:
        fmt = format_of(out)
        check_writable(out)
    except ReportError as exc:
        raise usage_error(str(exc)) from None
    db = source()
    db.require_tables()
    check_estates(db, Filters(period.start, period.end, estates=args.estate))

    steps = [s for s in STEP_NAMES if s != "monthly" or period.kind == MONTHLY] + ["content", "charts", "write"]
    started = time.perf_counter()
    # On a terminal a bar of the steps; under cron (no terminal) nothing but the result line.
    with tqdm(total=len(steps), desc=f"report {period.label}", unit="step", file=sys.stderr, disable=None, leave=False) as bar:
        def progress(step: str) -> None:
            bar.set_postfix_str(step)
            bar.update(1)

        report = build(db, settings, period, lang=args.lang, base=Filters(period.start, period.end, estates=args.estate),
                       progress=progress)
        try:
            charts_missing = write_file(report, out, progress=progress)
        except OSError as exc:
            raise usage_error(f"cannot write {out}: {exc.strerror or exc}") from None
    if charts_missing:
        sys.stderr.write(f"estate-dashboard: warning: {charts_missing}\n")
    tickets = report.data.current["tickets"]["total"]
    note = "" if report.data.has_data else " (no tickets or surveys in this period)"
    print(f"wrote {out} ({fmt.upper()}, {period.label}, {tickets:,} tickets{note}) in {time.perf_counter() - started:.1f} s")
    return 0
