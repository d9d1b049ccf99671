"""Node-RED for bench_poller_peer.py: installed once with npm, its flow and settings for N
PLCs, and the poll counts its function node keeps (issue 23).

The flow: one ``modbus-read`` node per PLC (its own ``modbus-client``) at 1 s, all
feeding one function node that compares the PLC's words with its previous read,
as a Node-RED user watching for changes would build it. ``GET /stats`` (on
127.0.0.1, the editor and admin API off) hands the bench each PLC's polls and
longest gap between two of them.
"""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

NODE_RED = "node-red@3.1.15"
MODBUS_NODE = "node-red-contrib-modbus@5.23.3"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "scada-failure-bridge"

#: The function node: per PLC (msg.topic), compare the words with the previous read.
COMPARE = """
const now = Date.now();
let plcs = flow.get("plcs");
if (!plcs) { plcs = {}; flow.set("plcs", plcs); }
let p = plcs[msg.topic];
if (!p) { p = plcs[msg.topic] = { prev: null, last: 0, gap: 0, polls: 0, changes: 0 }; }
const words = msg.payload;
let changed = p.prev === null || p.prev.length !== words.length;
for (let i = 0; !changed && i < words.length; i++) { changed = words[i] !== p.prev[i]; }
p.prev = words;
if (changed) { p.changes++; }
if (p.last) { p.gap = Math.max(p.gap, now - p.last); }
p.last = now;
p.polls++;
return changed ? msg : null;
"""
#: GET /stats: polls and longest gap (ms) per PLC; ?reset=1 starts a new window.
STATS = """
const plcs = flow.get("plcs") || {};
const out = {};
for (const name in plcs) { out[name] = { polls: plcs[name].polls, gap: plcs[name].gap }; }
if (msg.req.query.reset) { for (const name in plcs) { plcs[name].polls = 0; plcs[name].gap = 0; } }
msg.payload = out;
return msg;
"""


def ensure_node_red(cache: Path = CACHE / "node-red") -> Path:
    """Node-RED's ``red.js``, installed with npm into ``cache`` the first time."""
    red = cache / "node_modules" / "node-red" / "red.js"
    marker = cache / "node_modules" / "node-red-contrib-modbus" / "package.json"
    if red.exists() and marker.exists():
        return red
    cache.mkdir(parents=True, exist_ok=True)
    print(f"installing {NODE_RED} and {MODBUS_NODE} into {cache} (once)", flush=True)
    try:
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "--prefix", str(cache)]
            + [NODE_RED, MODBUS_NODE],
            check=True,
            timeout=900,
            stdout=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise SystemExit(
            f"npm install of {NODE_RED} into {cache} failed ({exc}): "
            "install Node.js 18+ with npm and check the npm registry is reachable"
        ) from None
    return red


def node_red_flow(ports: list[int], registers: int) -> list[dict]:
    flow: list[dict] = [
        {"id": "bench", "type": "tab", "label": "bench"},
        {
            "id": "compare",
            "type": "function",
            "z": "bench",
            "name": "compare with previous read",
            "func": COMPARE,
            "outputs": 1,
            "wires": [[]],
        },
        {
            "id": "stats_in",
            "type": "http in",
            "z": "bench",
            "url": "/stats",
            "method": "get",
            "upload": False,
            "wires": [["stats"]],
        },
        {
            "id": "stats",
            "type": "function",
            "z": "bench",
            "func": STATS,
            "outputs": 1,
            "wires": [["stats_out"]],
        },
        {"id": "stats_out", "type": "http response", "z": "bench", "headers": {}, "wires": []},
    ]
    for i, port in enumerate(ports):
        name = f"plc{i:02d}"
        flow.append(
            {
                "id": f"client{i}",
                "type": "modbus-client",
                "name": name,
                "clienttype": "tcp",
                "bufferCommands": True,
                "stateLogEnabled": False,
                "queueLogEnabled": False,
                "failureLogEnabled": False,
                "tcpHost": "127.0.0.1",
                "tcpPort": str(port),
                "tcpType": "DEFAULT",
                "unit_id": 1,
                "commandDelay": 1,
                "clientTimeout": 1000,
                "reconnectOnTimeout": True,
                "reconnectTimeout": 2000,
                "parallelUnitIdsAllowed": True,
            }
        )
        flow.append(
            {
                "id": f"read{i}",
                "type": "modbus-read",
                "z": "bench",
                "name": name,
                "topic": name,
                "showStatusActivities": False,
                "logIOActivities": False,
                "showErrors": False,
                "unitid": "1",
                "dataType": "HoldingRegister",
                "adr": "0",
                "quantity": str(registers),
                "rate": "1",
                "rateUnit": "s",
                "delayOnStart": False,
                "startDelayTime": "",
                "server": f"client{i}",
                "useIOFile": False,
                "ioFile": "",
                "useIOForPayload": False,
                "emptyMsgOnFail": False,
                "wires": [["compare"], []],
            }
        )
    return flow


NODE_RED_SETTINGS = """module.exports = {{
    uiHost: "127.0.0.1",
    uiPort: {port},
    httpAdminRoot: false,
    httpNodeRoot: "/",
    flowFile: "flows.json",
    logging: {{ console: {{ level: "warn", metrics: false, audit: false }} }},
    diagnostics: {{ enabled: false }},
    externalModules: {{ autoInstall: false, palette: {{ allowInstall: false }} }},
}};
"""


def stats(port: int, reset: bool = False) -> dict[str, dict[str, float]]:
    url = f"http://127.0.0.1:{port}/stats" + ("?reset=1" if reset else "")
    with urllib.request.urlopen(url, timeout=10) as answer:  # loopback only
        return json.loads(answer.read())


def stats_or_none(port: int) -> dict[str, dict[str, float]] | None:
    try:
        return stats(port)
    except OSError:
        return None
