"""The page callbacks' finished outputs (figures, tables, captions), cached beside the query results.

With every query result cached, a filter change still spent 30-300 ms per page rebuilding Plotly
figures; restoring the finished outputs takes a millisecond or two. They go in the same cache
(Redis when configured, so every worker shares them), keyed by the question once resolved rather
than by the URL: the callback, its filters and comparison period (presets resolved against
today), the user's scope and personal-data permission, the callback's other inputs (the
language, a chosen figure), the annotations it draws, the settings, the database and the code.
An output that reports a database problem is never stored.
"""
from __future__ import annotations

import functools
import hashlib
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import flask
import orjson
from dash import callback, no_update
from plotly.io.json import to_json_plotly

from data_access import DataSourceError, Filters, Scope

from .filterbar import selection
from .services import Services, _canonical, services

_NO_UPDATE = type(no_update)


def cached_callback(*dependencies, annotations: Callable[[Filters], Filters] | None = None, **options):
    """`dash.callback` for a page callback `f(search, *other_inputs)` whose last output is its
    database-problem store: what the server answers comes from the output cache. The function
    itself is returned as written, so calling it directly (as tests do) gives its own objects.

    `annotations`: for a callback that draws analysts' annotations, the filters of the window it
    draws them over (from the selection's filters). The visible annotations are then part of the
    key, so one added or deleted shows at once; the callback reads them with `drawn_annotations`,
    which gives it the very list the key was built from."""

    def decorate(func):
        callback(*dependencies, **options)(_cached(func, annotations))
        return func

    return decorate


def _cached(func, annotations):
    name = f"{func.__module__.rsplit('.', 1)[-1]}.{func.__name__}"

    @functools.wraps(func)
    def answer(search, *others):
        svc = services()
        try:
            _, scope, filters, comparison = selection(search)
            notes = drawn_annotations(annotations(filters), scope) if annotations else ()
        except DataSourceError:
            return func(search, *others)  # the callback reports it
        key = _key(svc, name, filters, comparison, scope, svc.personal_data(), others, notes)
        hit = svc.cache.get(key)
        if hit is not None:
            return tuple(orjson.loads(zlib.decompress(hit)))
        result = func(search, *others)
        if not _complete(result):
            return result
        # Stored (and answered) as the JSON Dash sends: restoring and encoding it again take a
        # millisecond or two where unpickling Figures would validate them all over (20-60 ms).
        encoded = to_json_plotly(list(result))
        svc.cache.set(key, zlib.compress(encoded.encode(), 1), timeout=svc.settings.cache_seconds)
        return tuple(orjson.loads(encoded))

    return answer


def drawn_annotations(window: Filters, scope: Scope) -> list:
    """The annotations a trend chart shows over `window`, read once per request: the cache key
    and the chart see the same list even if someone adds one in between."""
    memo = flask.g.setdefault("drawn_annotations", {})
    key = json.dumps([_canonical(window), _canonical(scope)])
    if key not in memo:
        memo[key] = services().annotations(window, scope)
    return memo[key]


def _complete(result) -> bool:
    """Whole and without a database problem: the error store (last) empty, nothing left unchanged."""
    return isinstance(result, tuple) and result[-1] is None and not any(isinstance(v, _NO_UPDATE) for v in result)


def _key(svc: Services, name: str, filters: Filters, comparison: Filters, scope: Scope, personal_data: bool,
         others: tuple, notes) -> str:
    source = json.dumps(
        [
            _code_version(),
            svc.db.describe(),
            # Targets and rules change figures; secrets and accounts do not belong in a key.
            svc.settings.model_dump_json(exclude={"secret_key", "users"}),
            name,
            _canonical(filters),
            _canonical(comparison),
            _canonical(scope),
            personal_data,
            list(others),
            [repr(note) for note in notes],
        ],
        default=str,
    )
    return f"out:{name}:" + hashlib.sha256(source.encode()).hexdigest()[:32]


@functools.cache
def _code_version() -> str:
    """A digest of the code that renders outputs: after a deploy, workers never serve (or take
    from Redis) outputs the previous code drew."""
    import data_access

    digest = hashlib.sha256()
    for package in (Path(__file__).parent, Path(data_access.__file__).parent):
        for path in sorted(package.rglob("*")):
            if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
                digest.update(path.relative_to(package.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
