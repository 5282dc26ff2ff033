"""What callbacks call: the data layer behind a result cache, bound to one database.

Results are cached (Flask-Caching: Redis when configured, in-process otherwise) under a
key built from the canonical form of the question, so every worker shares them and one
filter change never runs the same query twice.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import flask
import pandas as pd
import redis
import sqlalchemy as sa
from flask_caching import Cache

from data_access import Database, DataSourceError, Filters, Scope, ServiceRules, Settings
from data_access import aggregates, catalog, league, metrics

EXTENSION = "estate_dashboard"


def _canonical(value) -> object:
    if isinstance(value, Filters):
        return {
            "start": value.start.isoformat(),
            "end": value.end.isoformat(),
            "estates": sorted(value.estates),
            "areas": sorted(value.areas),
            "channels": sorted(value.channels),
            "types": sorted(value.request_types),
        }
    if isinstance(value, Database):
        return value.describe()
    if isinstance(value, ServiceRules):
        return repr(value)
    if isinstance(value, Scope):
        return None if value.estates is None else sorted(value.estates)
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


FAILURE_SECONDS = 5  # how long a question's database problem answers those who waited for it


@dataclass
class _Flight:
    held: bool  # this request computes the question
    waited: bool = False  # another request held it first


@dataclass
class _Waiters:
    """A question being computed in this process: its lock, and how many hold or wait for it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    count: int = 0


class Services:
    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.rules = ServiceRules.from_settings(settings)
        self.cache = Cache(
            config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": settings.redis_url, "CACHE_KEY_PREFIX": "estate:"}
            if settings.redis_url
            else {"CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}
        )
        self._redis = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
        self._flights: dict[str, _Waiters] = {}
        self._flights_guard = threading.Lock()

    def init_app(self, server: flask.Flask) -> None:
        self.cache.init_app(server)
        server.extensions[EXTENSION] = self

    # --- caching -------------------------------------------------------------------
    def cached(self, name: str, compute: Callable, *args, **kwargs):
        """compute(*args, **kwargs), cached under the question. One computation at a time per
        question: a browser asks a page's callbacks in parallel, and two of them wanting the
        same result (the Estates table and heatmap both start from the league) would otherwise
        both run its queries; the second waits for the first's answer instead (across workers
        when they share Redis, else between the threads of one server process)."""
        key_source = json.dumps([name, _canonical(list(args)), {k: _canonical(v) for k, v in sorted(kwargs.items())}])
        key = name + ":" + hashlib.sha256(key_source.encode()).hexdigest()[:32]
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        with self._flight(key) as flight:
            hit = self.cache.get(key)  # answered while this one waited
            if hit is not None:
                return hit
            if flight.waited:  # the one it waited for failed: its problem, not a second try of as long
                problem = self.cache.get(key + ":failed")
                if problem is not None:
                    raise DataSourceError(problem)
            if not flight.held:
                raise DataSourceError(
                    f"the same question has been worked on for over {self._wait_seconds():g} s by another request; try again shortly"
                )
            try:
                value = compute(*args, **kwargs)
            except DataSourceError as exc:
                self.cache.set(key + ":failed", str(exc), timeout=FAILURE_SECONDS)
                raise
            self.cache.set(key, value, timeout=self.settings.cache_seconds)
            return value

    def _wait_seconds(self) -> float:
        """How long a request waits for another's answer: the statement timeout, so that waiting
        and a query of its own stay within the worker's time limit (server.py)."""
        return self.settings.statement_timeout_seconds

    def _flight(self, key: str):
        """Held while `key` is computed: a lock in Redis when the workers share it there, else
        one in this process. Yields whether this request holds it and whether it waited."""
        return self._redis_flight(key) if self._redis is not None else self._process_flight(key)

    @contextlib.contextmanager
    def _redis_flight(self, key: str):
        wait = self._wait_seconds()
        # Expires when no worker can still be computing (it would have been stopped), so a
        # worker killed while holding it leaves no question locked for long.
        lock = self._redis.lock(f"estate:flight:{key}", timeout=wait + 30, sleep=0.02, blocking_timeout=wait)
        try:
            flight = _Flight(held=lock.acquire(blocking=False))
            if not flight.held:
                flight = _Flight(held=lock.acquire(), waited=True)
        except redis.RedisError:  # the cache itself reports Redis gone
            flight, lock = _Flight(held=True), None
        try:
            yield flight
        finally:
            if flight.held and lock is not None:
                with contextlib.suppress(redis.RedisError):  # expired meanwhile: nothing to release
                    lock.release()

    @contextlib.contextmanager
    def _process_flight(self, key: str):
        with self._flights_guard:
            waiters = self._flights.setdefault(key, _Waiters())
            waiters.count += 1
        try:
            flight = _Flight(held=waiters.lock.acquire(blocking=False))
            if not flight.held:
                flight = _Flight(held=waiters.lock.acquire(timeout=self._wait_seconds()), waited=True)
            try:
                yield flight
            finally:
                if flight.held:
                    waiters.lock.release()
        finally:
            with self._flights_guard:
                waiters.count -= 1
                if not waiters.count:
                    del self._flights[key]

    # --- the questions pages ask ---------------------------------------------------
    def today(self) -> dt.date:
        return self.settings.today or dt.date.today()

    def scope(self) -> Scope:
        """The signed-in user's estates; nothing at all for a request without a user."""
        from .auth import current_user

        user = current_user()
        return user.scope if user else Scope.of(())

    def personal_data(self) -> bool:
        """Whether the signed-in user may see owners' names, phones and rooms."""
        from .auth import current_user

        user = current_user()
        return bool(user and user.personal_data)

    def estates(self, scope: Scope) -> pd.DataFrame:
        return self.cached("estates", catalog.estate_list, self.db, scope)

    def city_estates(self, scope: Scope) -> dict[str, list[str]]:
        """Estates per city, asked by every callback to resolve a city filter: cached whole."""

        def by_city(_db, scope):
            frame = self.estates(scope)
            return {city: sorted(group["estate_id"]) for city, group in frame.groupby(frame["city"].fillna(""))}

        return self.cached("city_estates", by_city, self.db, scope)

    def known_names(self, scope: Scope) -> tuple[frozenset[str], frozenset[str]]:
        """The estate ids and cities a URL may name, asked by every callback: cached as two small
        sets, not the estate table (unpickling 2,000 estates per callback cost 5 ms)."""

        def known(_db, scope):
            frame = self.estates(scope)
            return frozenset(frame["estate_id"]), frozenset(frame["city"].dropna())

        return self.cached("known_names", known, self.db, scope)

    def league(self, filters: Filters, scope: Scope, *, by_area: bool = False, medians: bool = True) -> pd.DataFrame:
        """league.estate_league, with the estates this process holds already (cached for every
        callback's filters) rather than read again with each league."""

        def compute(db, rules, filters, scope, by_area, medians):
            return league.estate_league(db, rules, filters, scope, by_area=by_area, medians=medians, estates=self.estates(scope))

        return self.cached("league", compute, self.db, self.rules, filters, scope, by_area, medians)

    def metrics(self, filters: Filters, scope: Scope) -> dict:
        return self.cached("metrics", metrics.compute_metrics, self.db, self.rules, filters, scope)

    def metrics_side_by_side(self, current: Filters, comparison: Filters, scope: Scope) -> tuple[dict, dict]:
        """Both periods' figures at once: the database works on them in parallel (drivers
        release the GIL while a query runs), which halves the wait for the headline tiles."""
        server = flask.current_app._get_current_object()

        def compute(filters: Filters) -> dict:
            with server.app_context():  # the cache lives on the app
                return self.metrics(filters, scope)

        with ThreadPoolExecutor(max_workers=2) as pool:
            comparison_future = pool.submit(compute, comparison)
            return compute(current), comparison_future.result()

    def ticket_summary(self, filters: Filters, scope: Scope, by: tuple[str, ...] = ()) -> pd.DataFrame:
        return self.cached("ticket_summary", aggregates.ticket_summary, self.db, self.rules, filters, scope, tuple(by))

    def ticket_rates(self, filters: Filters, scope: Scope, by: tuple[str, ...] = ()) -> pd.DataFrame:
        return self.cached("ticket_rates", aggregates.ticket_rates, self.db, self.rules, filters, scope, tuple(by))

    def survey_summary(self, filters: Filters, scope: Scope, by: tuple[str, ...] = ()) -> pd.DataFrame:
        return self.cached("survey_summary", aggregates.survey_summary, self.db, filters, scope, tuple(by))

    def annotations(self, filters: Filters, scope: Scope) -> list:
        """Analysts' annotations overlapping the selection's period and estates; never cached, so a
        new one shows at once. A problem with the dashboard's own file hides them, never a chart."""
        from data_access.annotations import annotation_store

        try:
            return annotation_store(self.settings.data_dir).list(scope, start=filters.start, end=filters.end, estates=filters.estates)
        except (sa.exc.SQLAlchemyError, OSError):
            logging.getLogger(__name__).warning("annotations unavailable", exc_info=True)
            return []

    def database_is_up(self) -> bool:
        try:
            self.db.rows(sa.text("SELECT 1"))
            return True
        except DataSourceError:
            return False

    def data_as_of(self) -> dt.datetime | None:
        return self.cached("data_as_of", catalog.latest_ticket_time, self.db)

    def rollup_state(self):
        """When the rollups were last refreshed and how many days changed since (None: no rollups)."""
        from data_access import rollups

        return rollups.current_state(self.db)


def services() -> Services:
    return flask.current_app.extensions[EXTENSION]
