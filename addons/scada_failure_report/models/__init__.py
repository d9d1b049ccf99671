# Copyright 2026 SCADA Failure Bridge contributors
# License LGPL-3.0-or-later (https://www.gnu.org/licenses/lgpl)
from . import (
    maintenance_equipment,
    maintenance_request,
    res_company,
    res_config_settings,
    scada_api,
    scada_api_old_routes,
    scada_api_plant_time,
    scada_equipment_reliability,
    scada_failure_code,
    scada_failure_maintenance,
    scada_failure_report,
    scada_failure_report_guard,
    scada_pending_clear,
    scada_plc_status,
    scada_rejected_row,
    scada_source,
    scada_source_reader,
    scada_sync_log,
)
