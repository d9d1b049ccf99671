/** @odoo-module **/
// Copyright 2026 SCADA Failure Bridge contributors
// License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
/**
 * Durations in a person's units: "1 h 12 min", "4 min 10 s", "35 s".
 *
 * The same rule as format_duration() in models/scada_duration.py (tests hold both
 * to it): under a minute in seconds, under an hour in minutes and seconds, from
 * an hour on in hours and minutes. Stored values stay hours (or seconds) for the
 * API and exports; only what a person reads changes.
 */
import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";

/** A number of seconds as a person says it; "" for no value. */
export function formatDuration(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
        return "";
    }
    const total = Math.max(0, Math.round(seconds));
    if (total < 60) {
        return _t("%(seconds)s s", { seconds: total });
    }
    if (total < 3600) {
        const minutes = Math.floor(total / 60);
        const rest = total % 60;
        return rest
            ? _t("%(minutes)s min %(seconds)s s", { minutes, seconds: rest })
            : _t("%(minutes)s min", { minutes });
    }
    const allMinutes = Math.round(total / 60);
    const hours = Math.floor(allMinutes / 60);
    const minutes = allMinutes % 60;
    return minutes
        ? _t("%(hours)s h %(minutes)s min", { hours, minutes })
        : _t("%(hours)s h", { hours });
}

/** A float of hours (the default) or seconds, as formatDuration says it. */
export function formatHours(value, { unit = "hours" } = {}) {
    if (value === false || value === null || value === undefined) {
        return "";
    }
    return formatDuration(unit === "seconds" ? value : value * 3600);
}

export class ScadaDurationField extends Component {
    static template = "scada_failure_report.ScadaDurationField";
    static props = { ...standardFieldProps, unit: { type: String, optional: true } };

    get formattedValue() {
        return formatHours(this.props.record.data[this.props.name], { unit: this.props.unit });
    }
}

export const scadaDurationField = {
    component: ScadaDurationField,
    displayName: _t("Duration"),
    supportedTypes: ["float", "integer"],
    supportedOptions: [{ label: _t("Unit (hours or seconds)"), name: "unit", type: "string" }],
    extractProps: ({ options }) => ({ unit: options.unit || "hours" }),
};

registry.category("fields").add("scada_duration", scadaDurationField);
// Group sums and list footers: the summed fields are hours.
registry.category("formatters").add("scada_duration", (value) => formatHours(value));
