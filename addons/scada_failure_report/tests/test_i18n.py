# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
"""The translation files are current, complete and loadable.

* ``i18n/scada_failure_report.pot`` holds exactly the terms Odoo exports from
  the installed module (labels, help, selections, views, menus, actions,
  groups, constraints and every ``_()`` message), so a new string cannot land
  without reaching the template.
* every ``i18n/<lang>.po`` translates each of them, none fuzzy, with the same
  placeholders and markup as the source: a wrong ``%(name)s`` or a lost tag
  breaks the message or the view at run time.
* Indonesian (``id.po``, the plant's language) loads, and a user working in it
  sees the menu, a field, a selection value and an error message translated.

Regenerate the template, and merge it into the .po files, with
``bash scripts/update-pot.sh``.
"""

import collections
import glob
import os
import re

import polib
from odoo.exceptions import UserError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import TranslationModuleReader

from .maintenance_common import MaintenanceCase

MODULE = "scada_failure_report"
POT = file_path(f"{MODULE}/i18n/{MODULE}.pot")
REGENERATE = "bash scripts/update-pot.sh (then translate the empty and fuzzy entries of i18n/*.po)"

# %(name)s, %s, %d ... and {name}: what Python's % or str.format fills at run time.
PLACEHOLDER = re.compile(r"%%|%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")
# Tags of view terms and entities of HTML help: the view or the help is parsed.
MARKUP = re.compile(r"</?\w[^>]*>|&\w+;")


def _tokens(pattern: re.Pattern, text: str) -> collections.Counter:
    return collections.Counter(t for t in pattern.findall(text) if t != "%%")


def _entries(path: str) -> list[polib.POEntry]:
    return [e for e in polib.pofile(path) if not e.obsolete]


def load_indonesian(env):
    """Activate Indonesian and load id.po, as Settings > Languages > Add does."""
    env["res.lang"]._activate_lang("id_ID")
    env["ir.module.module"]._load_module_terms([MODULE], ["id_ID"], overwrite=True)
    return env(context=dict(env.context, lang="id_ID"))


def _listing(title: str, msgids) -> str:
    return f"{title}:\n" + "\n".join(f"  {m!r}" for m in sorted(msgids))


def _po_problems(path: str, pots: set[str]) -> list[str]:
    """What keeps the .po at ``path`` from translating every msgid of ``pots`` safely."""
    entries = _entries(path)
    by_id = {e.msgid: e for e in entries}
    problems = []
    if untranslated := {m for m in pots if not (m in by_id and by_id[m].msgstr.strip())}:
        problems.append(_listing(f"{len(untranslated)} untranslated", untranslated))
    if fuzzy := {e.msgid for e in entries if "fuzzy" in e.flags}:
        problems.append(_listing(f"{len(fuzzy)} fuzzy (check, then drop the flag)", fuzzy))
    if stale := set(by_id) - pots:
        problems.append(_listing(f"{len(stale)} not in the .pot (not merged)", stale))
    for msgid, entry in sorted(by_id.items()):
        for what, pattern in (("placeholders", PLACEHOLDER), ("markup", MARKUP)):
            want, got = _tokens(pattern, msgid), _tokens(pattern, entry.msgstr)
            if entry.msgstr and want != got:
                problems.append(
                    f"{what} differ in {msgid!r}: source {sorted(want.elements())}, "
                    f"translation {sorted(got.elements())} in {entry.msgstr!r}"
                )
    return problems


@tagged("post_install", "-at_install")
class TestI18n(TransactionCase):
    def test_pot_holds_exactly_the_terms_odoo_exports(self):
        reader = TranslationModuleReader(self.env.cr, modules=[MODULE])
        exported = {src for module, _t, _n, _r, src, _v, _c in reader if module == MODULE}
        committed = {e.msgid for e in _entries(POT)}
        self.assertGreater(len(exported), 300, "the export found too few terms to be the module's")

        missing, extra = exported - committed, committed - exported
        problems = []
        if missing:
            problems.append(_listing(f"{len(missing)} msgid(s) not in {POT}", missing))
        if extra:
            gone = f"{len(extra)} msgid(s) in the .pot the module no longer has"
            problems.append(_listing(gone, extra))
        if problems:
            self.fail("\n".join(problems) + f"\nregenerate: {REGENERATE}")

    def test_every_po_translates_every_term_with_its_placeholders(self):
        pots = {e.msgid for e in _entries(POT)}
        po_paths = sorted(glob.glob(os.path.join(os.path.dirname(POT), "*.po")))
        self.assertIn("id.po", [os.path.basename(p) for p in po_paths], "Indonesian is shipped")
        for path in po_paths:
            with self.subTest(po=os.path.basename(path)):
                if problems := _po_problems(path, pots):
                    self.fail(f"{path}:\n" + "\n".join(problems) + f"\nregenerate: {REGENERATE}")

    def test_indonesian_loads_and_a_user_sees_it(self):
        env_id = load_indonesian(self.env)

        menu = env_id.ref(f"{MODULE}.scada_failure_report_menu")
        self.assertEqual(menu.name, "Kegagalan")
        self.assertEqual(self.env.ref(f"{MODULE}.scada_failure_report_menu").name, "Failures")

        severity = env_id["scada.failure.report"].fields_get(["severity"])["severity"]
        self.assertEqual(severity["string"], "Tingkat Keparahan")
        self.assertIn(("critical", "Kritis"), severity["selection"])

        # A message raised with env._() comes from id.po's code terms.
        operator = new_test_user(
            self.env, login="scada_i18n_operator", groups="base.group_user", lang="id_ID"
        )
        reports = env_id["scada.failure.report"].with_user(operator)
        translated = "^Hanya manajer SCADA yang dapat mengonfirmasi kegagalan"
        with self.assertRaisesRegex(UserError, translated):
            reports.action_acknowledge()


@tagged("post_install", "-at_install")
class TestIndonesianMaintenanceWork(MaintenanceCase):
    """What an Indonesian operator's failure writes on the request and the alert."""

    def test_request_and_alert_of_a_failure_read_in_indonesian(self):
        env_id = load_indonesian(self.env)
        jam = self.Code.create({"code": "JAM", "name": "Belt jammed", "request_policy": "always"})
        failure = (
            env_id["scada.failure.report"]
            .with_user(self.user)
            .create(
                {
                    "equipment_id": self.hopper.id,
                    "failure_code_id": jam.id,
                    "severity": "critical",
                    "description": "Sabuk macet",
                }
            )
        )
        request = failure.maintenance_request_id
        # The severity's label in the user's language, not its key ("critical").
        self.assertIn("Tingkat keparahan: Kritis", request.description)
        self.assertIn("Kode kegagalan: JAM", request.description)
        activity = self.scada_activities()
        self.assertEqual(
            activity.activity_type_id.with_context(lang="id_ID").name, "Kegagalan SCADA"
        )
        self.assertIn("Kegagalan Kritis pada Hopper 7", activity.note)

        uncoded = (
            env_id["scada.failure.report"]
            .with_user(self.user)
            .create({"equipment_id": self.silo.id, "severity": "critical"})
        )
        self.assertEqual(uncoded.maintenance_request_id.name, "Silo 101 - kegagalan")
