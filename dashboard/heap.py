"""Keeping the garbage collector's full collections short in a long-running server.

A full collection walks every object it tracks, and one landing inside a callback delays its
answer by all of that walk. What a server builds once and keeps (Dash, Plotly and pandas at
start; then, in its first requests, Plotly's validators, Babel's locale data, SQLAlchemy's
compiled statements) is moved out of its reach with gc.freeze: at start, and twice more once the
first requests have warmed those caches. Frozen objects are never collected as cycles, so it is
done a bounded number of times, each after a collection.
"""
from __future__ import annotations

import gc
import itertools

import flask

# Callback requests after which the heap is frozen again: by the first, every page has usually
# been drawn in both languages. At 10M, the bench's full collections inside callbacks went from
# 70-120 ms to 15-65 ms (what remains is pandas' cyclic garbage, not the kept heap).
WARM_AFTER_CALLBACKS = (200, 2_000)
CALLBACK_PATH = "/_dash-update-component"


def freeze_startup_heap() -> None:
    """Collect, then move everything alive out of the collector's reach: a full collection
    then walks only what was made since."""
    gc.collect()
    gc.freeze()


def freeze_when_warm(server: flask.Flask) -> None:
    """Freeze again after WARM_AFTER_CALLBACKS callback requests, once that answer has gone out
    (the collection takes ~70 ms: it delays the worker's next request, not this one). Callbacks
    only: files (assets, Bootstrap) are sent as they are, without the close that runs it, and
    health checks warm nothing."""
    served = itertools.count(1)

    @server.after_request
    def _freeze_when_warm(response: flask.Response) -> flask.Response:
        if flask.request.path.endswith(CALLBACK_PATH) and next(served) in WARM_AFTER_CALLBACKS:
            response.call_on_close(freeze_startup_heap)
        return response
