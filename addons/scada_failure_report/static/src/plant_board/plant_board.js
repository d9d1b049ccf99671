/** @odoo-module **/
// Copyright 2026 SCADA Failure Bridge contributors
// License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
/**
 * The plant board: a kanban of SCADA equipment that reloads when the server says
 * failures changed (bus notification "scada_failure_report/board", sent once per
 * transaction to the SCADA users' group channel), and a "down for" that counts
 * on the card itself. The browser never polls the server.
 */
import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { formatDuration } from "../duration/scada_duration";

export const BOARD_NOTIFICATION = "scada_failure_report/board";

export class PlantBoardController extends KanbanController {
    setup() {
        super.setup();
        this.busService = useService("bus_service");
        this.onBoardChanged = async () => {
            await this.model.load();
            this.model.notify();
        };
        onMounted(() => {
            this.busService.subscribe(BOARD_NOTIFICATION, this.onBoardChanged);
            this.busService.start();
        });
        onWillUnmount(() => {
            this.busService.unsubscribe(BOARD_NOTIFICATION, this.onBoardChanged);
        });
    }
}

registry.category("views").add("scada_plant_board", {
    ...kanbanView,
    Controller: PlantBoardController,
});

/** "down for 1 h 12 min" from a start time, counting every second in the browser. */
export class DownForField extends Component {
    static template = "scada_failure_report.DownForField";
    static props = { ...standardFieldProps };

    setup() {
        this.state = useState({ now: luxon.DateTime.now() });
        const timer = setInterval(() => (this.state.now = luxon.DateTime.now()), 1000);
        onWillUnmount(() => clearInterval(timer));
    }

    get text() {
        const since = this.props.record.data[this.props.name];
        if (!since) {
            return "";
        }
        const seconds = this.state.now.diff(since, "seconds").seconds;
        return _t("down for %(duration)s", { duration: formatDuration(seconds) });
    }
}

registry.category("fields").add("scada_down_for", {
    component: DownForField,
    displayName: _t("Down for"),
    supportedTypes: ["datetime"],
});
