"""The server freezes its warm heap (gc.freeze) once its first requests have filled the caches
it keeps, so a full collection no longer walks them in the middle of a callback."""
from __future__ import annotations

import gc

import flask
import pytest

from dashboard import heap


@pytest.fixture
def unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_heap_is_frozen_again_after_the_first_requests(monkeypatch, unfrozen):
    monkeypatch.setattr(heap, "WARM_AFTER_CALLBACKS", (3,))
    server = flask.Flask(__name__)
    kept = []  # what requests build and keep: a cache filling up

    @server.route(heap.CALLBACK_PATH, methods=["GET"])
    def answer():
        kept.extend([i] for i in range(1_000))
        return "ok"

    @server.route("/health")
    def health():  # not a callback: never counted
        return "ok"

    heap.freeze_when_warm(server)
    client = server.test_client()

    def request(path=heap.CALLBACK_PATH):  # closed, as a WSGI server closes each response once it is sent
        response = client.get(path)
        assert response.status_code == 200
        response.close()

    for _ in range(5):
        request("/health")
    for _ in range(2):
        request()
    assert gc.get_freeze_count() == 0
    request()  # the third: frozen once its answer has gone
    frozen = gc.get_freeze_count()
    assert frozen >= 3_000  # every list kept so far
    assert not any(kept[0] is o for o in gc.get_objects())  # out of the collector's walk
    request()
    assert gc.get_freeze_count() <= frozen  # not again until the next point: the new lists are walked
    assert any(kept[-1] is o for o in gc.get_objects())


def test_every_dashboard_server_freezes_when_warm(tmp_path):
    from dashboard.app import create_app
    from data_access import Settings

    server = create_app(Settings(data_dir=tmp_path), f"sqlite:///{tmp_path / 'empty.sqlite'}").server
    assert "_freeze_when_warm" in [f.__name__ for f in server.after_request_funcs[None]]
