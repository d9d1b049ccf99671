# Shortcuts; each target is one script, which README explains.
VENV ?= .venv

.PHONY: test demo

# The test command (README "Tests"); .ci/run calls scripts/test.sh directly.
test:
	bash scripts/test.sh

# The whole chain on this machine without Docker (README "Embedded demo"):
# needs PostgreSQL; an Odoo 18 tree at ODOO_PATH (default /opt/odoo18), else
# scripts/fetch-odoo.sh fetches the pinned one once into ~/.cache/scada-failure-bridge.
demo: $(VENV)/bin/scada-bridge
	$(VENV)/bin/python scripts/demo.py $(DEMO_ARGS)

# The bridge and its pinned dependencies (scripts/test.sh makes the same venv).
$(VENV)/bin/scada-bridge:
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r requirements.txt -r requirements-sources.txt
