"""Shared fixtures: one fresh database per engine per test session.

Servers come from ESTATE_TEST_PG_URL / ESTATE_TEST_MYSQL_URL (defaults: local PostgreSQL
and MariaDB). An unreachable server skips its tests, except under CI=true where it fails.
"""
from __future__ import annotations

import pytest

from data_access import Database
from engines import ENGINES, ScratchDatabases


@pytest.fixture(scope="session")
def scratch_databases(tmp_path_factory) -> ScratchDatabases:
    """Factory of fresh databases (`scratch_databases.new(engine)`), all dropped at the end of the session."""
    databases = ScratchDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    databases.close()


@pytest.fixture(scope="session", params=[pytest.param(e, id=e, marks=pytest.mark.engines) for e in ENGINES])
def engine_name(request) -> str:
    """Each engine in turn: "sqlite", "postgresql", "mariadb"."""
    return request.param


@pytest.fixture(scope="session")
def database(engine_name: str, scratch_databases: ScratchDatabases) -> Database:
    """A fresh, empty database on the engine of `engine_name`, shared by the whole session."""
    return scratch_databases.new(engine_name)
