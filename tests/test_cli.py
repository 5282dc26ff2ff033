"""`estate-dashboard metrics` as users run it: JSON equal to compute_metrics, and every bad
input answered with one line on stderr, a non-zero exit and never a traceback."""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from data_access import ALL, Database, Filters, ServiceRules
from data_access.metrics import compute_metrics
from engines import write_dataset
from test_metrics_contract import random_dataset


def console_script() -> str:
    found = shutil.which("estate-dashboard", path=str(Path(sys.executable).parent)) or shutil.which("estate-dashboard")
    if not found:
        pytest.fail("the estate-dashboard console script is not installed (pip install -e .)")
    return found


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed command with no ESTATE_* settings leaking in from the caller's environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
    clean.update(env or {})
    return subprocess.run([console_script(), *args], capture_output=True, text=True, env=clean, cwd=cwd, timeout=60)


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "tickets.sqlite"
    db = Database(f"sqlite:///{path}")
    write_dataset(db, random_dataset())
    db.dispose()
    return path


@pytest.mark.parametrize(
    "start, end, estates, areas",
    [
        pytest.param("2026-01-01", "2026-03-31", [], [], id="whole-period"),
        pytest.param("2026-02-02", "2026-02-08", ["E03", "E11"], ["repair", "security"], id="estates-and-areas"),
    ],
)
def test_metrics_json_equals_compute_metrics(sqlite_file, start, end, estates, areas):
    url = f"sqlite:///{sqlite_file}"
    args = ["metrics", "--db", url, "--from", start, "--to", end, "--json"]
    args += [a for e in estates for a in ("--estate", e)] + [a for area in areas for a in ("--area", area)]
    completed = run_cli(*args)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    printed = json.loads(completed.stdout)

    db = Database(url)
    filters = Filters(dt.date.fromisoformat(start), dt.date.fromisoformat(end), estates=estates, areas=areas)
    expected = compute_metrics(db, ServiceRules(), filters, ALL)
    db.dispose()
    assert printed["tickets"]["total"] > 0
    assert printed == expected


def test_metrics_reads_the_database_from_ESTATE_DB_URL(sqlite_file):
    completed = run_cli("metrics", "--from", "2026-02-02", "--to", "2026-02-08", "--json",
                        env={"ESTATE_DB_URL": f"sqlite:///{sqlite_file}"})
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["period"] == {"from": "2026-02-02", "to": "2026-02-08"}


PERIOD_ARGS = ("--from", "2026-01-01", "--to", "2026-01-31", "--json")


def bad_invocations(sqlite_file: Path, tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    """name -> (arguments, what the one line on stderr must say)."""
    empty_file = tmp_path / "empty.sqlite"
    empty_file.touch()
    db = ["--db", f"sqlite:///{sqlite_file}"]
    return {
        "unreachable-database": (["metrics", "--db", "postgresql://postgres@127.0.0.1:1/test", *PERIOD_ARGS],
                                 "cannot reach"),
        "missing-tables": (["metrics", "--db", f"sqlite:///{empty_file}", *PERIOD_ARGS], "lacks the canonical table"),
        "month-13": (["metrics", *db, "--from", "2026-13-01", "--to", "2026-12-31", "--json"], "2026-13-01"),
        "from-after-to": (["metrics", *db, "--from", "2026-02-01", "--to", "2026-01-31", "--json"], "before it starts"),
        "unknown-estate": (["metrics", *db, *PERIOD_ARGS, "--estate", "E03", "--estate", "NOWHERE"], "NOWHERE"),
        "unknown-area": (["metrics", *db, *PERIOD_ARGS, "--area", "parking"], "parking"),
        "no-database": (["metrics", *PERIOD_ARGS], "--db"),
        "nonexistent-sqlite-file": (["metrics", "--db", f"sqlite:///{tmp_path / 'typo.sqlite'}", *PERIOD_ARGS],
                                    "does not exist"),
    }


BAD_INVOCATIONS = ["unreachable-database", "missing-tables", "month-13", "from-after-to", "unknown-estate",
                   "unknown-area", "no-database", "nonexistent-sqlite-file"]


@pytest.fixture(scope="module")
def bad_runs(sqlite_file, tmp_path_factory):
    """Every bad invocation, run at once (each start-up costs a second or two); and their working directory."""
    workdir = tmp_path_factory.mktemp("bad-input")
    cases = bad_invocations(sqlite_file, workdir)
    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        running = {name: pool.submit(run_cli, *args, cwd=workdir) for name, (args, _) in cases.items()}
    return {name: (future.result(), cases[name][1]) for name, future in running.items()}, workdir


@pytest.mark.parametrize("case", BAD_INVOCATIONS)
def test_bad_input_is_one_line_on_stderr(bad_runs, case):
    completed, message = bad_runs[0][case]
    assert completed.returncode != 0
    assert "Traceback" not in completed.stderr + completed.stdout
    assert completed.stdout == ""
    lines = completed.stderr.splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith("estate-dashboard: error: ")
    assert message in lines[0]


def test_nonexistent_sqlite_file_is_not_created(bad_runs):
    _, workdir = bad_runs
    assert not (workdir / "typo.sqlite").exists()
