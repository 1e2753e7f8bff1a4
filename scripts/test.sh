#!/usr/bin/env bash
# `make test`: set up what is missing, start the real infrastructure (unless the
# environment names one), run every test against it, stop what this script started.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
INFRA="$ROOT/deploy/local/infra.sh"

"$ROOT/deploy/local/install.sh" || exit 1
if command -v uv >/dev/null; then uv=(uv); else uv=(python3 -m uv); fi
"${uv[@]}" sync --frozen --quiet || exit 1

started=0
if [[ -z ${KAFKA_BOOTSTRAP_SERVERS:-} || -z ${DATABASE_URL:-} ]]; then
  if ! "$INFRA" status >/dev/null 2>&1; then
    started=1
  fi
  eval "$("$INFRA" start | sed 's/^/export /')" || exit 1
fi
cleanup() { ((started)) && "$INFRA" stop; }
trap cleanup EXIT

.venv/bin/pytest "$@"
rc=$?
if ((rc == 5)); then
  echo "test: ERROR: pytest collected no tests; that is a failure, not a pass" >&2
  rc=1
fi
exit "$rc"
