/** @odoo-module **/
// A maintenance manager's walk through the module, run by tests/test_tour.py in
// headless Chromium: the failures list, a failure, and SCADA > PLCs.
//
// Every step waits for what a person would see (a row, a button, a text), never
// for a fixed time. The wait per step is raised from Odoo's 10 s to its 60 s
// maximum so a busy machine slows the tour down without failing it.

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const STEP_TIMEOUT = 60000;

function menu(xmlid) {
    return `.o_main_navbar [data-menu-xmlid="scada_failure_report.${xmlid}"]`;
}

function failuresList() {
    return [
        ...stepUtils.goToAppSteps("scada_failure_report.scada_menu_root", "Open the SCADA app"),
        {
            content: "The failures list shows the failure pulled from the PLC",
            trigger: ".o_list_view .o_data_row td[name=failure_code]:contains(START_FAILURE)",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row td[name=description]:contains(Motor did not start)",
            run: "click",
        },
        {
            content: "Its form shows the equipment code and the PLC's text",
            trigger:
                ".o_form_view:has(.o_field_widget[name=equipment_code]:contains(silo101)) .o_field_widget[name=description]:contains(Motor did not start)",
        },
        {
            content: "Back to the failures",
            trigger: ".o_breadcrumb .breadcrumb-item a:contains(Failures)",
            run: "click",
        },
        {
            content: "The list is back",
            trigger: ".o_list_view .o_data_row td[name=failure_code]:contains(START_FAILURE)",
        },
    ];
}

function plcList() {
    return [
        {
            content: "Open SCADA > PLCs: the status is read from every SCADA database",
            trigger: menu("scada_plc_status_menu"),
            run: "click",
        },
        {
            content: "A source whose database is down gives one clear line",
            trigger: ".o_notification:contains(PLC status of Plant down not read):contains(connection refused)",
        },
        {
            content: "A PLC the poller reads is OK, with its address",
            trigger:
                ".o_list_view .o_data_row:has(td[name=device]:contains(line1)):has(td[name=address]:contains(127.0.0.1:5020)) td[name=status]:contains(OK)",
        },
        {
            content: "A PLC that does not answer shows its error and failed polls",
            trigger:
                ".o_list_view .o_data_row:has(td[name=device]:contains(line2)):has(td[name=status]:contains(Unreachable)):has(td[name=consecutive_failures]:contains(7)) td[name=last_error]:contains(nothing listens)",
        },
        {
            content: "A PLC the poller has not polled for 3 intervals is stale",
            trigger:
                ".o_list_view .o_data_row:has(td[name=device]:contains(line3)) td[name=status]:contains(Stale)",
        },
        {
            content: "Refresh reads the databases again",
            trigger: ".o_control_panel button[name=action_refresh]",
            run: "click",
        },
        {
            content: "Still there after the refresh",
            trigger:
                ".o_list_view .o_data_row:has(td[name=device]:contains(line1)) td[name=status]:contains(OK)",
        },
    ];
}

registry.category("web_tour.tours").add("scada_failure_report_maintenance_tour", {
    url: "/odoo",
    steps: () =>
        [...failuresList(), ...plcList()].map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
