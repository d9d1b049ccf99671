from . import compat, equipment, equipment_failure, failure_report, health, pull, status
