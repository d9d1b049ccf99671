/** @odoo-module **/
// Copyright 2026 SCADA Failure Bridge contributors
// License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
// Two shift walks, run by tests/test_tour_board.py in headless Chromium:
//
// * the plant board watched while a failure is pulled in and then cleared: the
//   card turns red, counts "down for", and turns green again, with no reload
//   (a mark left on the window before the pulls is still there at the end);
// * a quarantined row, fixed in the SCADA database meanwhile, retried from
//   SCADA > Rejected Rows, and its failure found.
//
// The pulls are what the cron would run; the tour asks for them over RPC so the
// board stays on screen. Every step waits for what a person would see.

import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const STEP_TIMEOUT = 60000;
const SILO_CARD = ".o_scada_plant_board .o_kanban_record:contains(Silo 101)";

async function pullNow() {
    const call = (method, args) =>
        rpc(`/web/dataset/call_kw/scada.source/${method}`, {
            model: "scada.source",
            method,
            args,
            kwargs: {},
        });
    const ids = await call("search", [[["name", "=", "Plant 1"]]]);
    await call("action_pull", [ids]);
}

registry.category("web_tour.tours").add("scada_failure_report_plant_board_tour", {
    steps: () =>
        [
            {
                content: "The board shows Silo 101 running (green)",
                trigger: `${SILO_CARD}:has(.o_scada_state_ok)`,
                run() {
                    window.scadaBoardNotReloaded = true;
                },
            },
            {
                content: "The PLC raises a critical failure and the pull stores it",
                trigger: `${SILO_CARD}:has(.o_scada_state_ok)`,
                run: pullNow,
            },
            {
                content: "The card turns red by itself, with the failure and how long it is down",
                trigger: `${SILO_CARD}:has(.o_scada_state_down):contains(JAM):contains(down for)`,
            },
            {
                content: "The PLC clears it and the pull stores the clear",
                trigger: `${SILO_CARD}:has(.o_scada_state_down)`,
                run: pullNow,
            },
            {
                content: "The card turns green again, and the page was never reloaded",
                trigger: `${SILO_CARD}:has(.o_scada_state_ok):not(:contains(down for))`,
                run() {
                    if (!window.scadaBoardNotReloaded) {
                        throw new Error("the board was reloaded: live updates did not work");
                    }
                },
            },
        ].map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});

registry.category("web_tour.tours").add("scada_failure_report_quarantine_tour", {
    url: "/odoo",
    steps: () =>
        [
            ...stepUtils.goToAppSteps("scada_failure_report.scada_menu_root", "Open the SCADA app"),
            {
                content: "Open SCADA > Rejected Rows",
                trigger:
                    '.o_main_navbar [data-menu-xmlid="scada_failure_report.scada_rejected_row_menu"]',
                run: "click",
            },
            {
                content: "The rejected row waits with its reason",
                trigger: ".o_list_view .o_data_row td[name=reason]:contains(apocalyptic)",
                run: "click",
            },
            {
                content: "Its form shows the raw values as the SCADA database held them",
                trigger: ".o_form_view .o_field_widget[name=raw_values]:contains(apocalyptic)",
            },
            {
                content: "Retry it: the row was fixed in the SCADA database",
                trigger: ".o_form_view .o_form_statusbar button[name=action_retry]",
                run: "click",
            },
            {
                content: "Odoo says it was ingested",
                trigger: ".o_notification:contains(1 row(s) ingested)",
            },
            {
                content: "The row is no longer waiting and links its failure",
                trigger:
                    ".o_form_view .o_statusbar_status .o_arrow_button_current:contains(Ingested)",
            },
            {
                content: "Open the failure",
                trigger: ".o_form_view .o_field_widget[name=failure_id] a",
                run: "click",
            },
            {
                content: "The failure is there, with the fixed severity",
                trigger:
                    ".o_form_view:has(.o_field_widget[name=failure_code]:contains(JAM)) .o_field_widget[name=severity]:contains(Critical)",
            },
        ].map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
