"""Fixtures on a real PostgreSQL server: every test gets throwaway databases, dropped after.

The server is the one on this machine (127.0.0.1:5432, user postgres) unless
SCADA_TEST_PG_DSN names another (libpq key=value form, without dbname).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import psycopg2
import pytest
from psycopg2 import sql
from scada_bridge import connect, migrate

ADMIN_DSN = os.environ.get("SCADA_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres")


def _admin() -> psycopg2.extensions.connection:
    conn = psycopg2.connect(ADMIN_DSN + " dbname=postgres", connect_timeout=5)
    conn.autocommit = True
    return conn


def _uri(dbname: str) -> str:
    return f"{ADMIN_DSN} dbname={dbname}"


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg2.extensions.connection]:
    try:
        conn = _admin()
    except psycopg2.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable with {ADMIN_DSN!r}: {str(exc).strip()} "
            "(the test command starts it with pg_ctlcluster 15 main start)",
            returncode=3,
        )
    yield conn
    conn.close()


@pytest.fixture
def make_db(pg_admin) -> Iterator[Callable[[], str]]:
    """Factory: ``make_db()`` returns the URI of a new empty database, dropped at teardown."""
    created: list[str] = []

    def factory() -> str:
        name = f"scada_test_{uuid.uuid4().hex[:12]}"
        with pg_admin.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return _uri(name)

    yield factory
    with pg_admin.cursor() as cur:
        for name in created:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def scada_uri(make_db) -> str:
    """URI of a new database already migrated to the current schema."""
    uri = make_db()
    conn = connect(uri)
    try:
        migrate(conn)
    finally:
        conn.close()
    return uri


@pytest.fixture
def scada_conn(scada_uri) -> Iterator[psycopg2.extensions.connection]:
    """Autocommit connection to the database of ``scada_uri``."""
    conn = connect(scada_uri, autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def db_proxy(scada_uri):
    """A TCP proxy in front of PostgreSQL: ``stop()`` cuts the database like a dead
    link, ``pause()`` stalls it; ``via(scada_uri)`` is the DSN through it."""
    from tests.poller_fixtures import TcpProxy

    proxy = TcpProxy(5432)
    proxy.start()
    yield proxy
    proxy.resume()
    proxy.stop()
