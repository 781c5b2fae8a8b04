# Concerto: `make run` serves the demo platform, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Local development defaults; production sets its own environment (see README.md).
export DEBUG ?= 1
# Links in emails and calendar files point at the server `make run` starts, unless SITE_URL is set.
run run-environment: export SITE_URL ?= http://$(HOST):$(PORT)
# Whom the sign-in page tells people to ask for access: the demo's secretariat, not the sender address.
run run-environment: export CONTACT_EMAIL ?= secretariat@example.org

.PHONY: setup test-setup run run-environment test test-postgres lint bench messages clean lock

$(STAMP): requirements-dev.lock
	@test -x $(PY) || { py=$$(bin/find-python) && echo "Using $$py" && $$py -m venv $(VENV); }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $(STAMP)

setup: $(STAMP)
	@mkdir -p "$${VAR_DIR:-var}"
	$(PY) manage.py compilemessages --ignore=.venv --verbosity 0
	$(PY) manage.py migrate --noinput --verbosity 0
	$(PY) manage.py createcachetable --verbosity 0

run: setup
	$(PY) manage.py seed_demo
	@echo "Serving Concerto on http://$(HOST):$(PORT)/ (links in emails: $(SITE_URL)/). Ctrl-C stops."
	@$(PY) manage.py mail_destination
	@trap 'kill $$worker $$mail $$reminders $$commitments $$sync 2>/dev/null; wait $$worker $$mail $$reminders $$commitments $$sync 2>/dev/null' EXIT INT TERM; \
	  $(PY) manage.py run_worker --interval 1 & worker=$$!; \
	  $(PY) manage.py send_queued_mail --loop 60 & mail=$$!; \
	  $(PY) manage.py send_meeting_reminders --loop & reminders=$$!; \
	  $(PY) manage.py send_commitment_reminders --loop & commitments=$$!; \
	  $(PY) manage.py sync_invitations --loop 3600 & sync=$$!; \
	  $(PY) manage.py runserver --noreload $(HOST):$(PORT)

# The environment `make run` gives the server and the worker, NUL-separated (for scripts and tests).
run-environment:
	@env -0

# Test tools from the npm registry, used where Node.js is installed (their tests skip otherwise):
# Mozilla's ical.js (a third calendar parser) and axe-core (accessibility rules in the browser).
NODE_TOOLS := tests/meetings/icaljs tests/browser/axe
test-setup: setup
	@for dir in $(NODE_TOOLS); do \
	  if [ -d $$dir/node_modules ] && [ $$dir/node_modules/.package-lock.json -nt $$dir/package-lock.json ]; then continue; fi; \
	  if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund --prefix $$dir || echo "npm ci failed in $$dir: its checks will be skipped"; \
	  else echo "npm not found: the checks using $$dir will be skipped"; fi; \
	done

test: test-setup
	DEBUG= $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: test-setup
	DEBUG= DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/concerto} $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

# The key pages at a real installation's size on PostgreSQL, under gunicorn, against their targets
# (tests/bench/; needs PostgreSQL at 127.0.0.1 and wrk). BENCH_ARGS="--app-dir DIR" measures another checkout.
bench: setup
	DEBUG= $(PY) -m tests.bench $(BENCH_ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages --ignore=.venv --ignore=var --ignore=tests -l nl -l fr -l de -l en --no-obsolete

clean:
	rm -rf $(VENV) var

# Re-pin every dependency after editing pyproject.toml (needs uv in the venv).
lock: $(STAMP)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.12 --generate-hashes --quiet --custom-compile-command "make lock" -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --group dev --python-version 3.12 --generate-hashes --quiet --custom-compile-command "make lock" -o requirements-dev.lock
