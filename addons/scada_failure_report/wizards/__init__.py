from . import scada_failure_resolve
