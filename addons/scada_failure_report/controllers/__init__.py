from . import compat, equipment_failure, pull, status
