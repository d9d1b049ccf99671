"""check_source tells apart every way the SCADA database hop fails, in one line with the fix."""

from __future__ import annotations

import pytest
from scada_bridge import (
    SCHEMA_VERSION,
    AuthenticationFailed,
    ConfigError,
    ConnectionRefused,
    DatabaseMissing,
    ScadaBridgeError,
    check_source,
    connect,
    insert_events,
)

from tests.helpers import raised
from tests.pg_password_server import free_port, password_server


@pytest.fixture(scope="module")
def pw_server():
    with password_server() as server:
        yield server


def test_ok_reports_version_and_backlog(scada_uri):
    conn = connect(scada_uri, autocommit=True)
    insert_events(conn, [raised(), raised(n=1)])
    conn.close()
    result = check_source(scada_uri)
    assert result.ok and result.reason == "ok"
    assert result.backlog.count == 2
    assert "schema version" in result.message


def test_refused_names_host_and_port():
    port = free_port()
    result = check_source(f"postgresql://scada@127.0.0.1:{port}/scada")
    assert (result.ok, result.reason) == (False, "refused")
    assert f"127.0.0.1:{port}" in result.message
    assert "no PostgreSQL listens there" in result.message
    with pytest.raises(ConnectionRefused):
        connect(f"postgresql://scada@127.0.0.1:{port}/scada")


def test_wrong_password_is_told_apart(pw_server):
    uri = f"postgresql://scada:wrong@127.0.0.1:{pw_server.port}/postgres"
    result = check_source(uri)
    assert (result.ok, result.reason) == (False, "authentication")
    assert "wrong user or password" in result.message
    assert "wrong" not in result.message.replace("wrong user or password", "")  # no secret echoed
    with pytest.raises(AuthenticationFailed):
        connect(uri)


def test_right_password_on_a_database_without_schema(pw_server):
    uri = f"postgresql://scada:{pw_server.password}@127.0.0.1:{pw_server.port}/postgres"
    result = check_source(uri)
    assert (result.ok, result.reason) == (False, "schema_missing")
    assert "scada-bridge migrate" in result.message
    assert pw_server.password not in result.message


def test_database_missing(pg_admin):
    result = check_source("host=127.0.0.1 port=5432 user=postgres dbname=no_such_scada_db")
    assert (result.ok, result.reason) == (False, "database_missing")
    assert "'no_such_scada_db' does not exist" in result.message
    with pytest.raises(DatabaseMissing):
        connect("host=127.0.0.1 port=5432 user=postgres dbname=no_such_scada_db")


def test_schema_missing(make_db):
    result = check_source(make_db())
    assert (result.ok, result.reason) == (False, "schema_missing")


@pytest.mark.parametrize(
    ("version", "reason", "advice"),
    [
        (1, "schema_too_old", "run 'scada-bridge migrate'"),
        (99, "schema_too_new", "upgrade scada-bridge"),
    ],
)
def test_schema_too_old_or_too_new(scada_uri, version, reason, advice):
    conn = connect(scada_uri, autocommit=True)
    with conn.cursor() as cur:
        if version > SCHEMA_VERSION:
            cur.execute("INSERT INTO scada.schema_version VALUES (%s, 'future')", (version,))
        else:
            cur.execute("DELETE FROM scada.schema_version WHERE version > %s", (version,))
    conn.close()
    result = check_source(scada_uri)
    assert (result.ok, result.reason) == (False, reason)
    assert advice in result.message


def test_bad_uri_is_a_config_error_not_a_traceback():
    result = check_source("postgresql:/")
    assert (result.ok, result.reason) == (False, "config")
    assert "URI is not valid" in result.message
    with pytest.raises(ConfigError):
        connect("postgresql:/")


@pytest.mark.parametrize(
    "uri",
    [
        # libpq quotes the bad percent escape: the password itself.
        "postgresql://scada:Sup3r%zzSecret@127.0.0.1:5432/scada",
        # libpq quotes the whole URI when the host part does not parse.
        "postgresql://scada:Sup3rSecret@[::1/scada",
        # The host part breaks after a password with percent escapes.
        "postgresql://scada:Sup3r%21Secret@[::1/scada",
    ],
)
def test_no_fragment_of_the_password_leaves_in_a_message(uri):
    import psycopg2

    with pytest.raises(psycopg2.Error) as raw:  # the premise: libpq's message has it
        psycopg2.connect(uri, connect_timeout=1)
    assert "Sup3r" in str(raw.value)
    result = check_source(uri)
    assert not result.ok
    assert "Sup3r" not in result.message and "Secret" not in result.message, result.message
    assert "\n" not in result.message
    with pytest.raises(ScadaBridgeError) as info:
        connect(uri)
    assert "Sup3r" not in str(info.value) and "Secret" not in str(info.value)
    assert "hidden" in result.message or "***" in result.message


def test_the_target_and_the_poller_database_never_show_the_uri():
    from scada_bridge.config import Database
    from scada_bridge.store.connection import parse_target

    uri = "postgresql://scada:Sup3rSecret@127.0.0.1:5432/scada"
    target = parse_target(uri)
    assert "Sup3r" not in repr(target) and "Sup3r" not in str(target)
    assert "Sup3r" not in repr(Database(uri))
