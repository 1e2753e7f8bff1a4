# BKPSDM platform. `make demo` runs the whole system locally; `make test` runs every test.
.DEFAULT_GOAL := help
SHELL := /bin/bash
INFRA := deploy/local/infra.sh
SERVICES := deploy/local/services.sh
# uv as installed by deploy/local/install.sh; `python3 -m uv` when its script is not on PATH
UV = $(shell command -v uv 2>/dev/null || echo python3 -m uv)

.PHONY: help setup infra-up infra-down infra-reset up down status demo test test-unit lint format bench bench-console asyncapi

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

setup: ## install what is missing (JDK, Maven, PostgreSQL, uv, Kafka jars) and the Python environment
	@deploy/local/install.sh
	@$(UV) sync --frozen --quiet

infra-up: setup ## start local Kafka (KRaft) and PostgreSQL
	@$(INFRA) start

infra-down: ## stop local Kafka and PostgreSQL
	@$(INFRA) stop

infra-reset: ## stop and delete all local Kafka and PostgreSQL data
	@$(INFRA) reset

up: infra-up ## start the infrastructure and every service
	@$(SERVICES) start

down: ## stop every service and the infrastructure
	@$(SERVICES) stop
	@$(INFRA) stop

status: ## show what runs
	@$(INFRA) status || true
	@$(SERVICES) status || true

demo: up ## run the whole system and send one submission through it
	@.venv/bin/python scripts/demo.py

test: ## run every test (unit, integration, fault) against real Kafka and PostgreSQL
	@scripts/test.sh

test-unit: setup ## only the fast tests that need no infrastructure
	@.venv/bin/pytest -m "not integration"

lint: setup ## ruff and mypy --strict
	@scripts/lint.sh

format: setup ## apply ruff's formatting and safe fixes
	@.venv/bin/ruff check --fix .
	@.venv/bin/ruff format .

asyncapi: setup ## regenerate the AsyncAPI document other agencies read
	@.venv/bin/python -m bkpsdm.common.asyncapi > deploy/asyncapi/asyncapi.json

bench: infra-up ## benchmarks: outbox relay, consumer, intake, routing actions, BKN uploads, attendance punches, complaints form and LAPOR sync (figures beside same-run baselines)
	@.venv/bin/python -m bench.outbox_bench --json .bench/outbox.json
	@echo
	@.venv/bin/python bench/consumer_bench.py --json .bench/consumer.json
	@echo
	@.venv/bin/python -m bench.intake_bench --json .bench/intake.json
	@echo
	@.venv/bin/python -m bench.routing_bench --json .bench/routing.json
	@echo
	@.venv/bin/python -m bench.uploads_bench --json .bench/uploads.json
	@echo
	@.venv/bin/python -m bench.attendance_bench --json .bench/attendance.json
	@echo
	@.venv/bin/python -m bench.complaints_bench --json .bench/complaints.json
	@echo
	@rc=0; .venv/bin/python -m bench.console_bench --json .bench/console.json || rc=$$?; \
	if [ $$rc = 2 ]; then echo "console bench skipped: the console is not running (make bench-console runs the demo first)"; \
	elif [ $$rc != 0 ]; then exit $$rc; fi

bench-console: demo ## the console's page render times on the demo data, beside its /health/live in the same run
	@.venv/bin/python -m bench.console_bench --json .bench/console.json
