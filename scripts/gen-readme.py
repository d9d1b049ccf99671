#!/usr/bin/env python3
# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""Write the module's README.rst from readme/*.md, the way OCA's oca-gen-addon-readme does.

OCA's tool (OCA/maintainer-tools, not published on PyPI) concatenates the
fragments of ``readme/`` under fixed titles, in a fixed order, below the
manifest's name and badges, and marks the file as generated with a digest of
its sources. This script does the same for this repository's module, with the
Markdown subset the fragments use converted to reStructuredText: paragraphs,
``*``/``-`` and numbered lists (nested by indentation), fenced code blocks,
``#`` titles, ``code``, bold, italics and links. Anything else (a table, raw
HTML) is refused with the line to rewrite, never passed on half-converted.

    python scripts/gen-readme.py            rewrite addons/*/README.rst
    python scripts/gen-readme.py --check    exit 1 when a README.rst is not current

Standard library only (the lint tier runs it in the dev venv).
"""

from __future__ import annotations

import ast
import hashlib
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDONS = ROOT / "addons"
#: OCA's fragments, in OCA's order, with OCA's titles (None: no title of its own).
FRAGMENTS = (
    ("DESCRIPTION", None),
    ("CONTEXT", "Use Cases / Context"),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("DEVELOP", "Development"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
)
CREDIT_FRAGMENTS = (("CONTRIBUTORS", "Contributors"), ("CREDITS", "Other credits"))
MATURITY_BADGES = {
    "alpha": ("Alpha", "red"),
    "beta": ("Beta", "yellow"),
    "production/stable": ("Production%2FStable", "green"),
    "mature": ("Mature", "brightgreen"),
}
LICENSE_URLS = {
    "LGPL-3": "http://www.gnu.org/licenses/lgpl-3.0-standalone.html",
    "AGPL-3": "http://www.gnu.org/licenses/agpl-3.0-standalone.html",
    "GPL-3": "http://www.gnu.org/licenses/gpl-3.0-standalone.html",
}


class MarkdownError(ValueError):
    """A Markdown construct this converter does not carry into reStructuredText."""


# -- Markdown (the fragments' subset) to reStructuredText ------------------------

_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BULLET = re.compile(r"^( *)([*-]) +(.*)$")
_NUMBER = re.compile(r"^( *)(\d+)\. +(.*)$")
_TITLE = re.compile(r"^(#{1,3}) +(.+?) *#*$")
_TITLE_UNDERLINES = {1: "-", 2: "~", 3: "^"}


def _inline(text: str) -> str:
    """Inline markup: code spans first (their content is literal), then links."""
    parts = _CODE.split(text)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(f"``{part}``")
        else:
            out.append(_LINK.sub(lambda m: f"`{m[1]} <{m[2]}>`__", part))
    return "".join(out)


def markdown_to_rst(text: str, source: str) -> str:
    """The fragment in reStructuredText; raises MarkdownError naming the line it cannot carry."""
    out: list[str] = []
    # The list items we are inside: (column of their text in Markdown, in rST).
    stack: list[tuple[int, int]] = []

    def enter(indent: int) -> int:
        """Leave the items ``indent`` is not inside; the rST column to write at."""
        left = False
        while stack and indent < stack[-1][0]:
            stack.pop()
            left = True
        if left:
            blank()
        return stack[-1][1] if stack else 0

    def blank() -> None:
        if out and out[-1].strip():
            out.append("")

    code: int | None = None  # indentation of the open code fence
    code_lead = 0
    for number, line in enumerate(text.expandtabs(4).splitlines(), 1):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if code is not None:
            if stripped.startswith("```"):
                code = None
                out.append("")
            else:
                body = line[code:] if not line[:code].strip() else line.lstrip()
                out.append((" " * (code_lead + 4) + body).rstrip())
            continue
        if not stripped:
            out.append("")
            continue
        if stripped.startswith("```"):
            code, code_lead = indent, enter(indent)
            blank()
            out += [" " * code_lead + "::", ""]
            continue
        if stripped.startswith(("|", "<")):
            raise MarkdownError(
                f"{source}:{number}: tables and raw HTML are not carried into README.rst: "
                "write a list or paragraphs instead"
            )
        title = _TITLE.match(line)
        if title:
            stack.clear()
            heading = _inline(title[2])
            blank()
            out += [heading, _TITLE_UNDERLINES[len(title[1])] * len(heading), ""]
            continue
        item = _BULLET.match(line) or _NUMBER.match(line)
        if item:
            mark = "*" if item[2] in "*-" else f"{item[2]}."
            lead = enter(indent + 1)  # a sibling (same column) leaves the previous item
            blank()
            out.append(" " * lead + f"{mark} {_inline(item[3])}")
            stack.append((indent + len(item[2]) + 1, lead + len(mark) + 1))
            continue
        out.append(" " * enter(indent) + _inline(stripped))
    if code is not None:
        raise MarkdownError(f"{source}: a code block is never closed (```)")
    return _squeeze("\n".join(out)).strip("\n") + "\n"


def _squeeze(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text)


# -- README.rst -----------------------------------------------------------------


def _manifest(addon: Path) -> dict:
    return ast.literal_eval((addon / "__manifest__.py").read_text("utf-8"))


def _fragments(addon: Path) -> dict[str, tuple[Path, str]]:
    found = {}
    for name, _title in (*FRAGMENTS, *CREDIT_FRAGMENTS):
        path = addon / "readme" / f"{name}.md"
        if path.exists() and path.read_text("utf-8").strip():
            found[name] = (path, path.read_text("utf-8"))
    return found


def source_digest(addon: Path) -> str:
    """Digest of what README.rst is made of: the manifest and the fragments."""
    digest = hashlib.sha256((addon / "__manifest__.py").read_bytes())
    for _name, (path, text) in sorted(_fragments(addon).items()):
        digest.update(path.name.encode() + b"\0" + text.encode("utf-8"))
    return "sha256:" + digest.hexdigest()


def _section(title: str, body: str, underline: str) -> list[str]:
    return [title, underline * len(title), "", body.rstrip("\n"), ""]


def render(addon: Path) -> str:
    manifest = _manifest(addon)
    fragments = {
        name: markdown_to_rst(text, str(path.relative_to(ROOT)))
        for name, (path, text) in _fragments(addon).items()
    }
    name = manifest["name"]
    lines = ["=" * len(name), name, "=" * len(name), ""]
    lines += [
        "..",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "   !! This file is generated by scripts/gen-readme.py from readme/*.md !!",
        "   !! (oca-gen-addon-readme's format): changes will be overwritten.     !!",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        f"   !! source digest: {source_digest(addon)}",
        "   !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
        "",
    ]
    badges = []
    status = manifest.get("development_status", "Beta").lower()
    if status in MATURITY_BADGES:
        label, colour = MATURITY_BADGES[status]
        badges.append(
            (
                f"https://img.shields.io/badge/maturity-{label}-{colour}.png",
                "https://odoo-community.org/page/development-status",
                label.replace("%2F", "/"),
            )
        )
    licence = manifest.get("license")
    if licence in LICENSE_URLS:
        badges.append(
            (
                f"https://img.shields.io/badge/licence-{licence.replace('-', '--')}-blue.png",
                LICENSE_URLS[licence],
                f"License: {licence}",
            )
        )
    for index, (image, target, alt) in enumerate(badges, 1):
        lines += [
            f".. |badge{index}| image:: {image}",
            f"    :target: {target}",
            f"    :alt: {alt}",
        ]
    if badges:
        lines += ["", " ".join(f"|badge{i}|" for i in range(1, len(badges) + 1)), ""]
    if "DESCRIPTION" in fragments:
        lines += [fragments["DESCRIPTION"].rstrip("\n"), ""]
    lines += ["**Table of contents**", "", ".. contents::", "   :local:", ""]
    for key, title in FRAGMENTS:
        if title and key in fragments:
            lines += _section(title, fragments[key], "=")
    lines += ["Credits", "=======", ""]
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    if authors:
        lines += ["Authors", "-------", ""] + [f"* {a}" for a in authors] + [""]
    for key, title in CREDIT_FRAGMENTS:
        if key in fragments:
            lines += _section(title, fragments[key], "-")
    lines += [
        "Maintainers",
        "-----------",
        "",
        "This module is part of the SCADA Failure Bridge project, beside the ``scada_bridge``",
        "package it pulls with (``bridge/`` in the same repository).",
        "",
        "You are welcome to contribute.",
        "",
    ]
    return _squeeze("\n".join(lines))


def main(argv: list[str]) -> int:
    check = argv == ["--check"]
    if argv and not check:
        print(__doc__, file=sys.stderr)
        return 2
    stale = []
    for manifest in sorted(ADDONS.glob("*/__manifest__.py")):
        addon = manifest.parent
        if not (addon / "readme" / "DESCRIPTION.md").exists():
            continue
        try:
            text = render(addon)
        except MarkdownError as exc:
            print(f"gen-readme: {exc}", file=sys.stderr)
            return 1
        readme = addon / "README.rst"
        current = readme.read_text("utf-8") if readme.exists() else None
        if current == text:
            continue
        if check:
            stale.append(readme.relative_to(ROOT))
        else:
            readme.write_text(text, "utf-8")
            print(f"gen-readme: wrote {readme.relative_to(ROOT)}", file=sys.stderr)
    for path in stale:
        print(
            f"gen-readme: {path} is not what readme/ holds now: run 'python scripts/gen-readme.py'",
            file=sys.stderr,
        )
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
