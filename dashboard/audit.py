"""The audit log: who signed in, who exported what, when. JSON lines, never owners' data."""
from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import flask

log = logging.getLogger("estate_dashboard.audit")
_configured: set[Path] = set()


def configure(path: Path) -> None:
    """Append audit records to `path` (once per process and file)."""
    if path in _configured:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    _configured.add(path)


def record(event: str, **details) -> None:
    entry = {"at": dt.datetime.now().isoformat(timespec="seconds"), "event": event, **details}
    if flask.has_request_context():
        entry.setdefault("username", flask.session.get("user"))
        entry["remote"] = flask.request.remote_addr
    log.info(json.dumps(entry, ensure_ascii=False, default=str))
