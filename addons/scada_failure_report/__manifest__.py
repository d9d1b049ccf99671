# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
{
    "name": "SCADA Failure Report",
    "summary": "Equipment failures pulled from a SCADA PostgreSQL database, without losing one",
    "version": "18.0.1.0.0",
    "category": "Manufacturing/Maintenance",
    "author": "SCADA Failure Bridge contributors",
    "license": "LGPL-3",
    "application": True,
    "depends": ["mail", "maintenance"],
    # The PyPI distribution (bridge/pyproject.toml), checked by Odoo at install.
    "external_dependencies": {"python": ["scada-bridge>=0.1,<0.2"]},
    "data": [
        "security/scada_failure_report_security.xml",
        "security/ir_rule.xml",
        "security/ir.model.access.csv",
        "data/mail_activity_type.xml",
        "views/scada_failure_report_views.xml",
        "views/scada_failure_code_views.xml",
        "views/scada_equipment_reliability_views.xml",
        "views/scada_downtime_pareto_views.xml",
        "views/maintenance_request_views.xml",
        "views/scada_source_views.xml",
        "views/scada_sync_log_views.xml",
        "views/scada_rejected_row_views.xml",
        "views/scada_pending_clear_views.xml",
        "views/scada_plc_status_views.xml",
        "views/maintenance_equipment_views.xml",
        "views/maintenance_equipment_board_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_config_settings_announce_views.xml",
        "wizards/scada_failure_resolve_views.xml",
        "views/scada_menus.xml",
        "data/ir_config_parameter.xml",
        "data/ir_cron.xml",
        "data/ir_cron_announce.xml",
    ],
    "assets": {
        "web.assets_backend": [
            "scada_failure_report/static/src/duration/*",
            "scada_failure_report/static/src/plant_board/*",
        ],
        "web.assets_tests": [
            "scada_failure_report/static/src/js/scada_maintenance_tour.js",
            "scada_failure_report/static/src/js/scada_plant_board_tour.js",
        ],
    },
}
