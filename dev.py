#!/usr/bin/env python3
"""The few commands people type. Needs nothing but Python 3.11+:

    python3 dev.py serve      set up .venv, then serve the dashboard on the embedded demo database
    python3 dev.py test       set up .venv, then run every test (extra arguments go to pytest)
    python3 dev.py setup      only set up .venv

Setup is idempotent: it reinstalls only when pyproject.toml changed since the last install.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("ESTATE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".estate-dashboard-installed"


def _python() -> str:
    return str(BIN / "python")


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"estate-dashboard needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing estate-dashboard and its test tools (first run only)", flush=True)
    subprocess.check_call([_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    subprocess.check_call([_python(), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"])
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command in {"help", "-h", "--help"}:
        print(__doc__)
        return 0
    try:
        setup()
    except subprocess.CalledProcessError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 1
    if command == "setup":
        return 0
    if command == "serve":
        return subprocess.call([str(BIN / "estate-dashboard"), "serve", *rest])
    if command == "test":
        return subprocess.call([_python(), "-m", "pytest", *rest], cwd=ROOT)
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
