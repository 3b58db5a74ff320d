# supportdesk: `make run` starts everything with demo data; `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: venv run test test-services test-browser lint typecheck clean

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "supportdesk needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

venv: $(STAMP)

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo ""
	@echo "  supportdesk:  http://127.0.0.1:8000/          (sign in)"
	@echo "  agents' desk: http://127.0.0.1:8000/desk/   (admin: http://127.0.0.1:8000/admin/, API docs: http://127.0.0.1:8000/api/docs/)"
	@echo "  carrier emulator: http://127.0.0.1:8765/emulator/health (it replays the demo parcels' last two weeks in ~45 s, then runs in real time)"
	@echo "  Ctrl-C stops the web server, the worker, beat and the emulator."
	@echo ""
	$(BIN)/honcho --procfile Procfile.dev start

test: venv
	$(BIN)/pytest -m "not services and not browser"

# The service-backed suite: needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis); see .ci/run.
test-services: venv
	$(BIN)/pytest -m "not browser"

# Browser tests: Playwright drives Debian's Chromium (apt-get install chromium); screenshots in artifacts/screenshots/.
test-browser: venv
	$(BIN)/pytest -m browser

lint: venv
	$(BIN)/ruff check .

typecheck: venv
	$(BIN)/mypy .

clean:
	rm -rf $(VENV) var
