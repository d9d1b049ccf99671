# Shortcuts; each target is one script, which README explains.
PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)

.PHONY: test demo

# The test command (README "Tests"); .ci/run calls scripts/test.sh directly.
test:
	bash scripts/test.sh

# The whole chain on this machine without Docker (README "Embedded demo"):
# needs PostgreSQL and an Odoo 18 tree at ODOO_PATH (default /opt/odoo18).
demo:
	$(PYTHON) scripts/demo.py $(DEMO_ARGS)
