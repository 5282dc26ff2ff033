"""The result cache behind every callback: a question asked by several callbacks (or workers)
at once is computed once and the others wait for its answer, or its database problem; workers
sharing Redis share answers. Each test runs with the threads of one server process and with
two workers sharing Redis."""
from __future__ import annotations

import threading
import time
import uuid

import flask
import pytest
import redis

from dashboard.services import Services
from data_access import Database, DataSourceError, Settings
from engines import engine_unavailable

REDIS_URL = "redis://127.0.0.1:6379/0"


def worker(redis_url: str | None = None, **settings) -> tuple[flask.Flask, Services]:
    """One server process's services, as create_app makes them (without the pages)."""
    server = flask.Flask(__name__)
    services = Services(Settings(redis_url=redis_url, **settings), Database("sqlite://"))
    services.init_app(server)
    return server, services


@pytest.fixture(params=["one process", "two workers on Redis"])
def workers(request):
    """make(**settings) -> (first, second): where two requests are answered, each (server, services)."""
    if request.param == "one process":
        def make(**settings):
            one = worker(**settings)
            return one, one
        return make
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        engine_unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")
    return lambda **settings: (worker(REDIS_URL, **settings), worker(REDIS_URL, **settings))


class Slow:
    """A computation that counts its runs, signals when one is under way, and finishes (or fails
    with `problem`) only when released."""

    def __init__(self, problem: str | None = None) -> None:
        self.runs = 0
        self.started = threading.Event()
        self.release = threading.Event()
        self.problem = problem

    def __call__(self, question: int) -> dict:
        self.runs += 1
        self.started.set()
        assert self.release.wait(10), "the test never released the computation"
        if self.problem:
            raise DataSourceError(self.problem)
        return {"answer": question * 2}


def ask(where, name, compute, question, results, i) -> threading.Thread:
    """Ask in a thread of its own; results[i] is the answer or the DataSourceError raised."""
    server, services = where

    def run():
        with server.app_context():
            try:
                results[i] = services.cached(name, compute, question)
            except DataSourceError as exc:
                results[i] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def one_computing_others_waiting(first, second, compute, question, others=3):
    """The first request computing, then `others` asking the same meanwhile; their results."""
    name = f"league-{uuid.uuid4().hex}"  # a question no earlier run has cached
    results = [None] * (1 + others)
    threads = [ask(first, name, compute, question, results, 0)]
    assert compute.started.wait(10)
    threads += [ask(second, name, compute, question, results, i) for i in range(1, 1 + others)]
    time.sleep(0.3)  # the others reach the question meanwhile (if later, they find the answer anyway)
    compute.release.set()
    for thread in threads:
        thread.join(15)
    return name, results


def test_requests_asking_the_same_question_at_once_compute_it_once(workers):
    first, second = workers()
    compute = Slow()
    name, results = one_computing_others_waiting(first, second, compute, 21)
    assert compute.runs == 1
    assert results == [{"answer": 42}] * 4
    server, services = second
    with server.app_context():  # and later from the cache
        assert services.cached(name, compute, 21) == {"answer": 42}
    assert compute.runs == 1
    assert first[1]._flights == second[1]._flights == {}  # nothing left behind once nobody waits


def test_those_waiting_get_the_database_problem_of_the_one_they_waited_for(workers):
    first, second = workers()
    compute = Slow(problem="cannot reach the database: connection refused")
    name, results = one_computing_others_waiting(first, second, compute, 5)
    assert compute.runs == 1  # not once more per waiting request, each as slow
    assert all(isinstance(r, DataSourceError) and "connection refused" in str(r) for r in results)
    compute.problem = None  # the database is back: the next request asks it, nothing remembered
    server, services = second
    with server.app_context():
        assert services.cached(name, compute, 5) == {"answer": 10}
    assert compute.runs == 2


def test_a_request_stops_waiting_after_the_statement_timeout(workers):
    first, second = workers(statement_timeout_seconds=0.5)
    compute = Slow()
    name = f"league-{uuid.uuid4().hex}"
    results = [None, None]
    holder = ask(first, name, compute, 1, results, 0)
    assert compute.started.wait(10)
    ask(second, name, compute, 1, results, 1).join(10)  # gives up while the first still computes
    assert isinstance(results[1], DataSourceError) and "over 0.5 s" in str(results[1])
    compute.release.set()
    holder.join(10)
    assert results[0] == {"answer": 2} and compute.runs == 1


def test_different_questions_are_computed_side_by_side(workers):
    first, second = workers()
    both_running = threading.Barrier(2, timeout=10)

    def compute(question):
        both_running.wait()  # broken (and raising) if the second had to wait for the first
        return question

    results = [None, None]
    threads = [ask(first, "league", compute, 1, results, 0), ask(second, "league", compute, 2, results, 1)]
    for thread in threads:
        thread.join(15)
    assert results == [1, 2]
