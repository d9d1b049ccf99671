from . import (
    test_api_compat,
    test_api_doorbell,
    test_api_endpoints,
    test_api_fuzz,
    test_api_old_routes,
    test_api_openapi,
    test_api_push,
    test_api_push_pull,
    test_api_settings,
    test_pull,
    test_security,
    test_source_errors,
)
