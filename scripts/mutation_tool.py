#!/usr/bin/env python3
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The parts of scripts/mutation.sh that mutmut does not do (docs/testing.md).

Run by that script inside its mutation venv, from a module's work directory:

* ``sql FILE TEST...``: mutants of the SQL text in FILE's module-level string
  constants (mutmut only mutates inside functions): each comparison operator,
  AND/OR and NOT turned into its neighbour, one at a time, each run against
  TEST... (``pytest -x``). Results go to ``sql-results.json``.
* ``report MODULE FILE``: mutmut's results and the SQL ones as text: the counts,
  then every mutant not killed with file:line and its diff. Mutants that only
  change a log call or an error message are counted apart ("message"); a
  survivor listed in scripts/mutation-equivalent.txt counts as "equivalent".
* ``summary OUT COMMIT DATE MODULE...``: the table of every module (markdown).
* ``odoo-list N FILE:FUNCS...``: mutmut's mutants of the Odoo module's functions
  FUNCS (fnmatch patterns, comma-separated), one mutated copy of FILE each in
  ``mutants/``, N of them picked with a fixed seed (scripts/mutation-odoo.sh).
* ``odoo-report``: that run's counts and survivors.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
EQUIVALENT = HERE / "mutation-equivalent.txt"
SQL_RESULTS = "sql-results.json"
#: A call whose arguments are only words for a person: a log line or an error.
MESSAGE_CALL = re.compile(
    r"(^|\.)(debug|info|warning|error|exception|critical|warn)$|(Error|Refused|Ahead|Exception|Warning)$"
)

# -- SQL mutants ------------------------------------------------------------------
_SQL_HINT = re.compile(r"%\(|\b(SELECT|WHERE|FILTER|BETWEEN|DELETE|INSERT)\b")
_OPERATOR = re.compile(r"(?<![-<>=!:|])(<=|>=|<>|!=|<|>|=)(?![>=])")
_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "<>", "<>": "=", "!=": "="}
_WORD = re.compile(r"\b(AND|OR|NOT)\b")


def _sql_lines(source: str) -> dict[int, int]:
    """1-based line -> first column of SQL, for module-level string constants holding SQL."""
    lines: dict[int, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(
            node.value, ast.Constant | ast.JoinedStr
        ):
            text = ast.get_source_segment(source, node.value) or ""
            if _SQL_HINT.search(text):
                for number in range(node.value.lineno, node.value.end_lineno + 1):
                    lines[number] = node.value.col_offset if number == node.value.lineno else 0
    return lines


def sql_mutants(source: str) -> list[tuple[int, str, str]]:
    """(line, original line, mutated line) for every SQL operator and AND/OR/NOT."""
    out = []
    text_lines = source.splitlines()
    for number, column in sorted(_sql_lines(source).items()):
        line = text_lines[number - 1]
        body = " " * column + re.split(r"--|#", line[column:], maxsplit=1)[0]  # not comments
        for match in _OPERATOR.finditer(body):
            new = line[: match.start()] + _SWAP[match.group()] + line[match.end() :]
            out.append((number, line, new))
        for match in _WORD.finditer(body):
            word = match.group()
            if word == "AND" and re.search(r"BETWEEN\s+\S+\s+$", body[: match.start()]):
                continue  # BETWEEN a AND b: not a condition
            if word == "NOT":
                new = line[: match.start()] + line[match.end() :].lstrip(" ")
            else:
                new = (
                    line[: match.start()] + ("OR" if word == "AND" else "AND") + line[match.end() :]
                )
            out.append((number, line, new))
    return out


def run_sql(file: str, tests: list[str]) -> int:
    path = Path(file)
    original = path.read_text("utf-8")
    pytest = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--rootdir=."]
    env = {"PYTHONPATH": str(Path.cwd()), "PATH": "/usr/bin:/bin"}
    start = time.monotonic()
    clean = subprocess.run([*pytest, *tests], env=env, capture_output=True, text=True, check=False)
    baseline = time.monotonic() - start
    results: list[dict] = []
    if clean.returncode != 0:
        print(
            f"sql: the clean run failed (exit {clean.returncode}): no SQL mutant run\n"
            + clean.stdout[-3000:]
        )
        Path(SQL_RESULTS).write_text(json.dumps({"error": "clean run failed", "mutants": []}))
        return 1
    mutants = sql_mutants(original)
    print(f"sql: {len(mutants)} mutant(s) of {file}, clean run {baseline:.0f} s")
    lines = original.splitlines(keepends=True)
    try:
        for number, old, new in mutants:
            mutated = lines.copy()
            mutated[number - 1] = new + "\n"
            path.write_text("".join(mutated), "utf-8")
            t0 = time.monotonic()
            try:
                run = subprocess.run(
                    [*pytest, *tests],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=max(300.0, 5 * baseline),
                )
                status = "survived" if run.returncode == 0 else "killed"
            except subprocess.TimeoutExpired:
                status = "timeout"
            spent = time.monotonic() - t0
            print(f"sql: {file}:{number} {status} ({spent:.0f} s): {new.strip()}")
            results.append(
                {"line": number, "old": old, "new": new, "status": status, "seconds": round(spent)}
            )
            Path(SQL_RESULTS).write_text(json.dumps({"mutants": results}, indent=1))
    finally:
        path.write_text(original, "utf-8")
    Path(SQL_RESULTS).write_text(json.dumps({"mutants": results}, indent=1))
    return 0


# -- report -----------------------------------------------------------------------
def _message_lines(source: str) -> set[int]:
    """Lines inside a log call, an error's constructor or a raise statement."""
    lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        name = ""
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
                name = f"{func.value.id}.{name}"
        if (name and MESSAGE_CALL.search(name)) or isinstance(node, ast.Raise):
            lines.update(range(node.lineno, node.end_lineno + 1))
    return lines


def _functions(source: str) -> dict[str, tuple[int, int]]:
    """'name' and 'Class.name' -> (first line, last line) of every function."""
    spans: dict[str, tuple[int, int]] = {}

    def visit(body: list, prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                spans[prefix + node.name] = (node.lineno, node.end_lineno)
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")

    visit(ast.parse(source).body, "")
    return spans


def _equivalents() -> list[tuple[str, str, str]]:
    """(file, original line, mutated line) of the mutants explained as equivalent."""
    found = []
    if EQUIVALENT.exists():
        for raw in EQUIVALENT.read_text("utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                file, old, new, _why = (part.strip() for part in raw.split(" | ", 3))
                found.append((file, old, new))
    return found


def _is_equivalent(file: str, old: list[str], new: list[str], known: list) -> bool:
    old_s, new_s = " ".join(x.strip() for x in old), " ".join(x.strip() for x in new)
    return any(f == file and o == old_s and n == new_s for f, o, n in known)


def _mutmut_mutants(file: str, source: str) -> list[dict]:
    from mutmut.mutation.diff_apply import get_diff_for_mutant
    from mutmut.stats import status_by_exit_code
    from mutmut.utils.format_utils import orig_function_and_class_names_from_key

    meta = Path("mutants") / (file + ".meta")
    if not meta.exists():
        return []
    codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
    spans = _functions(source)
    lines = source.splitlines()
    out = []
    for name, code in sorted(codes.items()):
        diff = get_diff_for_mutant(name, path=file)
        minus = [x[1:] for x in diff.splitlines() if x.startswith("-") and not x.startswith("---")]
        plus = [x[1:] for x in diff.splitlines() if x.startswith("+") and not x.startswith("+++")]
        func, cls = orig_function_and_class_names_from_key(name)
        func = func.rpartition(".")[-1]
        first, last = spans.get(f"{cls}.{func}" if cls else func, (1, len(lines)))
        found = [n for n in range(first, last + 1) if minus and lines[n - 1] == minus[0]]
        out.append(
            {
                "name": name,
                "status": status_by_exit_code[code],
                "line": found[0] if found else first,
                "old": minus,
                "new": plus,
                "diff": diff,
            }
        )
    return out


def report(module: str, file: str) -> int:
    source = Path(file).read_text("utf-8")
    messages = _message_lines(source)
    known = _equivalents()
    rows = []
    for m in _mutmut_mutants(file, source):
        m["kind"] = "python"
        rows.append(m)
    sql = json.loads(Path(SQL_RESULTS).read_text()) if Path(SQL_RESULTS).exists() else {}
    for s in sql.get("mutants", []):
        diff = f"--- {file}:{s['line']}\n-{s['old']}\n+{s['new']}"
        rows.append(
            {
                "name": f"sql:{s['line']}",
                "status": s["status"],
                "line": s["line"],
                "old": [s["old"]],
                "new": [s["new"]],
                "diff": diff,
                "kind": "sql",
            }
        )
    counts = {
        "mutants": 0,
        "killed": 0,
        "survived": 0,
        "equivalent": 0,
        "timeout": 0,
        "other": 0,
        "message": 0,
        "message_survived": 0,
    }
    detail = []
    for m in rows:
        span = range(m["line"], m["line"] + max(1, len(m["old"])))
        if m["kind"] == "python" and all(n in messages for n in span):
            counts["message"] += 1
            if m["status"] != "killed":
                counts["message_survived"] += 1
            continue
        counts["mutants"] += 1
        status = m["status"]
        if status == "survived" and _is_equivalent(file, m["old"], m["new"], known):
            status = "equivalent"
        if status in ("killed", "survived", "equivalent", "timeout"):
            counts[status] += 1
        else:
            counts["other"] += 1
        if status != "killed":
            detail.append(f"\n## {status}: {file}:{m['line']}  ({m['name']})\n{m['diff']}")
    scored = counts["mutants"] - counts["equivalent"]
    killed = counts["killed"] + counts["timeout"]
    share = 100.0 * killed / scored if scored else 100.0
    counts["score"] = round(share, 1)
    counts["sql"] = len(sql.get("mutants", []))
    print(
        f"{module}: {counts['mutants']} mutants ({counts['sql']} SQL), {counts['killed']} killed, "
        f"{counts['timeout']} timeout, {counts['survived']} survived, "
        f"{counts['equivalent']} equivalent, "
        f"{counts['other']} other (no tests/suspicious/not checked); {share:.1f} % killed; "
        f"message text apart: {counts['message']} ({counts['message_survived']} not killed)"
    )
    print("".join(detail))
    Path("result.json").write_text(json.dumps({"module": module, "file": file, **counts}))
    return 0


def summary(out: str, commit: str, date: str, modules: list[str]) -> int:
    print(f"# Mutation run: commit {commit}, started {date}\n")
    print(
        "| module | mutants | killed | timeout | survived | equivalent | other | killed % "
        "| message text (not killed) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    total = {"mutants": 0, "killed": 0, "timeout": 0, "survived": 0, "equivalent": 0, "other": 0}
    for module in modules:
        path = Path(out) / "work" / module / "result.json"
        if not path.exists():
            print(f"| {module} | not run | | | | | | | |")
            continue
        r = json.loads(path.read_text())
        for key in total:
            total[key] += r[key]
        print(
            f"| {r['file']} | {r['mutants']} | {r['killed']} | {r['timeout']} | {r['survived']} | "
            f"{r['equivalent']} | {r['other']} | {r['score']} | "
            f"{r['message']} ({r['message_survived']}) |"
        )
    scored = total["mutants"] - total["equivalent"]
    share = 100.0 * (total["killed"] + total["timeout"]) / scored if scored else 100.0
    print(
        f"| all | {total['mutants']} | {total['killed']} | {total['timeout']} | "
        f"{total['survived']} | "
        f"{total['equivalent']} | {total['other']} | {share:.1f} | |"
    )
    print(f"\nSurvivors with their diffs: {out}/<module>.txt")
    return 0


# -- the Odoo module ---------------------------------------------------------------
def odoo_list(sample: int, specs: list[str]) -> int:
    import difflib
    import fnmatch
    import random

    import libcst as cst
    from mutmut.mutation.file_mutation import create_mutations

    picked = []
    for spec in specs:
        file, _, funcs = spec.partition(":")
        patterns = funcs.split(",")
        code = Path(file).read_text("utf-8")
        messages = _message_lines(code)
        module, mutations, _, _ = create_mutations(file, code)
        for m in mutations:
            func = m.contained_by_top_level_function
            if not isinstance(func, cst.FunctionDef) or not any(
                fnmatch.fnmatch(func.name.value, p) for p in patterns
            ):
                continue
            mutated = module.deep_replace(m.original_node, m.mutated_node).code
            old, new = code.splitlines(), mutated.splitlines()
            changed = [
                i + 1
                for tag, i1, i2, _, _ in difflib.SequenceMatcher(a=old, b=new).get_opcodes()
                if tag != "equal"
                for i in range(i1, max(i2, i1 + 1))
            ]
            if not changed or all(n in messages for n in changed):
                continue
            diff = "\n".join(difflib.unified_diff(old, new, file, file, n=1, lineterm=""))
            picked.append({"file": file, "line": changed[0], "source": mutated, "diff": diff})
    total = len(picked)
    chosen = sorted(random.Random(24).sample(range(total), min(sample, total)))
    Path("mutants").mkdir(exist_ok=True)
    rows, index = [], {}
    for n, i in enumerate(chosen):
        m = picked[i]
        Path("mutants", f"m{n}.py").write_text(m["source"], "utf-8")
        rows.append(f"m{n}\t{m['file']}\t{m['line']}\n")
        index[f"m{n}"] = {k: m[k] for k in ("file", "line", "diff")}
    Path("mutants.tsv").write_text("".join(rows))
    Path("mutants.json").write_text(json.dumps(index, indent=1))
    print(f"odoo: {total} mutants (log and error text aside), {len(chosen)} picked (seed 24)")
    return 0


def odoo_report() -> int:
    index = json.loads(Path("mutants.json").read_text())
    counts: dict[str, int] = {}
    survivors = []
    for raw in Path("results.tsv").read_text().splitlines():
        id_, file, line, status, _seconds = raw.split("\t")
        counts[status] = counts.get(status, 0) + 1
        if status != "killed":
            survivors.append(f"\n## {status}: {file}:{line} ({id_})\n{index[id_]['diff']}")
    done = sum(counts.values())
    killed = counts.get("killed", 0) + counts.get("timeout", 0)
    share = 100.0 * killed / done if done else 0.0
    print(f"odoo: {done} of {len(index)} picked mutants run: {counts}; {share:.1f} % killed")
    print("".join(survivors))
    return 0


def main(argv: list[str]) -> int:
    command, *args = argv
    if command == "sql":
        return run_sql(args[0], args[1:])
    if command == "report":
        return report(args[0], args[1])
    if command == "odoo-list":
        return odoo_list(int(args[0]), args[1:])
    if command == "odoo-report":
        return odoo_report()
    if command == "summary":
        return summary(args[0], args[1], args[2], args[3:])
    print(
        f"mutation_tool: unknown command {command!r}: use sql, report or summary", file=sys.stderr
    )
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
