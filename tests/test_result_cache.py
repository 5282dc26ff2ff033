"""The result cache behind every callback: a question asked by several callbacks (or workers)
at once is computed once, the others wait for its answer; workers sharing Redis share answers."""
from __future__ import annotations

import threading
import time
import uuid

import flask
import pytest
import redis

from dashboard.services import Services
from data_access import Database, Settings
from engines import engine_unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


def worker(redis_url: str | None = None) -> tuple[flask.Flask, Services]:
    """One server process's services, as create_app makes them (without the pages)."""
    server = flask.Flask(__name__)
    services = Services(Settings(redis_url=redis_url), Database("sqlite://"))
    services.init_app(server)
    return server, services


class Counted:
    """A slow computation that counts its runs; `started` is set once one is running."""

    def __init__(self, release: threading.Event) -> None:
        self.runs = 0
        self.started = threading.Event()
        self.release = release

    def __call__(self, question: int) -> dict:
        self.runs += 1
        self.started.set()
        assert self.release.wait(10), "the test never released the computation"
        return {"answer": question * 2}


def ask_together(askers) -> list:
    """Run every (server, services, name, compute, question) in its own thread; their answers."""
    answers = [None] * len(askers)

    def ask(i, server, services, name, compute, question):
        with server.app_context():
            answers[i] = services.cached(name, compute, question)

    threads = [threading.Thread(target=ask, args=(i, *a)) for i, a in enumerate(askers)]
    for thread in threads:
        thread.start()
    return threads, answers


def test_callbacks_asking_the_same_question_at_once_compute_it_once():
    server, services = worker()
    release = threading.Event()
    compute = Counted(release)
    threads, answers = ask_together([(server, services, "league", compute, 21)] * 4)
    assert compute.started.wait(10)
    time.sleep(0.3)  # the other three reach the question meanwhile (if later, they would find its answer anyway)
    release.set()
    for thread in threads:
        thread.join(10)
    assert compute.runs == 1
    assert answers == [{"answer": 42}] * 4
    assert services._flights == {}  # nothing left behind once nobody waits


def test_different_questions_are_computed_side_by_side():
    server, services = worker()
    both_running = threading.Barrier(2, timeout=10)

    def compute(question):
        both_running.wait()  # broken (and raising) if the second had to wait for the first
        return question

    threads, answers = ask_together([(server, services, "league", compute, 1), (server, services, "league", compute, 2)])
    for thread in threads:
        thread.join(15)
    assert answers == [1, 2]


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        engine_unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return REDIS_URL


def test_workers_sharing_redis_compute_a_question_once_and_share_its_answer(redis_url):
    (server_a, a), (server_b, b) = worker(redis_url), worker(redis_url)
    name = f"test-{uuid.uuid4().hex}"  # a question no earlier run has cached
    release = threading.Event()
    compute = Counted(release)
    threads, answers = ask_together([(server_a, a, name, compute, 5)])
    assert compute.started.wait(10)  # worker A is computing; worker B asks the same now
    more, more_answers = ask_together([(server_b, b, name, compute, 5)])
    time.sleep(0.3)  # B reaches the question while A still computes it
    release.set()
    for thread in threads + more:
        thread.join(15)
    assert compute.runs == 1
    assert answers + more_answers == [{"answer": 10}] * 2
    with server_b.app_context():  # and later from the cache, without computing
        assert b.cached(name, compute, 5) == {"answer": 10}
    assert compute.runs == 1
