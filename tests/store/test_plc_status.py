"""``scada.plc_status`` read back as the poller wrote it: what Odoo's PLC list shows."""

from __future__ import annotations

from scada_bridge import read_status
from scada_bridge.store.plc_status import UNREACHABLE, PlcStatus, write_status


def test_read_status_gives_each_plc_with_its_address_and_failures(scada_conn):
    line1 = PlcStatus("line1", "10.0.0.7", 502)
    line1.success()
    line2 = PlcStatus("line2", "plc-2.plant", 5021)
    line2.failure(UNREACHABLE, "nothing listens at plc-2.plant:5021")
    line2.failure(UNREACHABLE, "nothing listens at plc-2.plant:5021")
    write_status(scada_conn, [line1, line2])

    rows = read_status(scada_conn)

    assert sorted(rows) == ["line1", "line2"]
    assert rows["line1"].state == "ok"
    assert rows["line1"].address == "10.0.0.7:502"
    assert rows["line1"].last_success_at == line1.last_success_at
    assert rows["line2"].state == UNREACHABLE
    assert rows["line2"].address == "plc-2.plant:5021"
    assert rows["line2"].consecutive_failures == 2
    assert rows["line2"].last_error == "nothing listens at plc-2.plant:5021"
    assert rows["line2"].last_success_at is None


def test_a_row_without_host_has_no_address(scada_conn):
    with scada_conn.cursor() as cur:
        cur.execute("INSERT INTO scada.plc_status (device) VALUES ('legacy')")

    row = read_status(scada_conn)["legacy"]

    assert row.host is None and row.address is None
    assert row.state == "unknown"
