/** @odoo-module **/
// Copyright 2026 SCADA Failure Bridge contributors
// License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
// A maintenance manager's walk through the module, run by tests/test_tour.py in
// headless Chromium: the failures list, a failure recorded by hand, its corrective
// request, the failure resolved, the equipment's reliability tab, SCADA > PLCs.
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

function pickInMany2one(field, text, choice) {
    return [
        {
            content: `${field}: type ${text}`,
            trigger: `.o_field_widget[name=${field}] input`,
            run: `edit ${text}`,
        },
        {
            content: `${field}: pick ${choice}`,
            trigger: `.o_field_widget[name=${field}] .o-autocomplete--dropdown-menu li a:contains(${choice})`,
            run: "click",
        },
    ];
}

function manualFailure() {
    return [
        {
            content: "Record a failure by hand",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "An empty failure form",
            trigger: ".o_form_view h1:contains(New failure)",
        },
        ...pickInMany2one("equipment_id", "Silo 101", "Silo 101"),
        ...pickInMany2one("failure_code_id", "JAM", "JAM"),
        {
            content: "Severity",
            trigger: ".o_field_widget[name=severity] select",
            run: 'select "high"',
        },
        {
            content: "What happened",
            trigger: ".o_field_widget[name=description] textarea",
            run: "edit Conveyor belt jammed at the discharge",
        },
        {
            content: "Save",
            trigger: ".o_form_button_save",
            run: "click",
        },
    ];
}

function itsRequest() {
    return [
        {
            content: "Saved, the failure has a corrective request: open it",
            trigger: ".o_form_view button.oe_stat_button[name=action_view_maintenance_request]",
            run: "click",
        },
        {
            content: "The request is named after the equipment and the failure code",
            trigger: ".o_breadcrumb .o_last_breadcrumb_item:contains(Silo 101 - JAM)",
        },
        {
            content: "Its SCADA Failures tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains(SCADA Failures)",
            run: "click",
        },
        {
            content: "lists the failure just recorded",
            trigger:
                ".o_field_widget[name=scada_failure_ids] .o_data_row:contains(Conveyor belt jammed at the discharge)",
        },
        {
            content: "Back to the failure",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
    ];
}

function resolve() {
    return [
        {
            content: "The failure is active: Resolve",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_resolve]",
            run: "click",
        },
        {
            content: "Say what was done",
            trigger: ".modal .o_field_widget[name=note] textarea",
            run: "edit Belt realigned, rollers cleaned",
        },
        {
            content: "Resolve it",
            trigger: ".modal .modal-footer button[name=action_resolve]",
            run: "click",
        },
        {
            content: "The failure is cleared, with the note",
            trigger:
                ".o_form_view:has(.o_statusbar_status .o_arrow_button_current:contains(Cleared)) .o_field_widget[name=resolve_note]:contains(Belt realigned)",
        },
    ];
}

function reliabilityTab() {
    return [
        ...stepUtils.goToAppSteps("maintenance.menu_maintenance_title", "Open Maintenance"),
        {
            content: "Maintenance > Equipment",
            trigger: '.o_main_navbar [data-menu-xmlid="maintenance.menu_equipment_form"]',
            run: "click",
        },
        {
            content: "Open Silo 101",
            trigger: ".o_kanban_record:contains(Silo 101)",
            run: "click",
        },
        {
            content: "Its SCADA tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains(SCADA)",
            run: "click",
        },
        {
            content: "shows downtime, MTBF, MTTR and availability over the window, in hours",
            trigger:
                ".o_form_view:has(.o_field_widget[name=scada_mtbf_hours]):has(.o_field_widget[name=scada_mttr_hours]):has(.o_field_widget[name=scada_availability]) .o_field_widget[name=scada_failure_window_count]:contains(2)",
        },
        ...stepUtils.goToAppSteps("scada_failure_report.scada_menu_root", "Back to SCADA"),
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
        [
            ...failuresList(),
            ...manualFailure(),
            ...itsRequest(),
            ...resolve(),
            ...reliabilityTab(),
            ...plcList(),
        ].map((step) => ({ timeout: STEP_TIMEOUT, ...step })),
});
