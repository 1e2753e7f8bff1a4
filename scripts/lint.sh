#!/usr/bin/env bash
# `make lint`: ruff (lint + format check) and mypy --strict. Each test tree is checked on
# its own because every service names its test package `tests`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy libs/common/src libs/testing/src services/*/src simulators/src
for tree in libs/common/tests services/*/tests simulators/tests tests bench scripts; do
  if compgen -G "$tree/**/*.py" >/dev/null || compgen -G "$tree/*.py" >/dev/null; then
    .venv/bin/mypy "$tree"
  fi
done
