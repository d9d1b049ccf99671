from . import (
    maintenance_equipment,
    res_config_settings,
    scada_api,
    scada_api_old_routes,
    scada_failure_report,
    scada_pending_clear,
    scada_plc_status,
    scada_rejected_row,
    scada_source,
    scada_sync_log,
)
