#!/usr/bin/env bash
# Local dev infra: one Kafka node + one PostgreSQL cluster.
# Usage: infra.sh start|stop|reset|status
# `start` prints only the endpoints on stdout (progress goes to stderr), so
# `deploy/local/infra.sh start > .env` or `eval "$(...)"` works.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
AUTH_DIR="$HERE/.state/auth"

endpoints() {
  echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${KAFKA_PORT:-9092}"
  echo "DATABASE_URL=postgresql://bkpsdm:bkpsdm@127.0.0.1:${PG_PORT:-54320}/bkpsdm"
  echo "AUTH_JWKS_FILE=$AUTH_DIR/jwks.json"
}

# The local token issuer's keys (demo and tests): services trust its JWKS, the demo and
# the tests sign tokens with its private key (python -m bkpsdm.common.auth issue ...).
local_auth_keys() {
  [[ -f $AUTH_DIR/private.pem && -f $AUTH_DIR/jwks.json ]] && return 0
  "$ROOT/.venv/bin/python" -m bkpsdm.common.auth keygen --dir "$AUTH_DIR" --force >/dev/null
  echo "infra: local sign-in keys written to $AUTH_DIR" >&2
}

case "${1:-}" in
  start)
    "$HERE/install.sh"
    "$HERE/kafka.sh" start
    "$HERE/postgres.sh" start
    local_auth_keys
    endpoints ;;
  stop)
    # Stop both even if one fails.
    rc=0
    "$HERE/kafka.sh" stop || rc=$?
    "$HERE/postgres.sh" stop || rc=$?
    exit "$rc" ;;
  reset)
    "$HERE/kafka.sh" reset
    "$HERE/postgres.sh" reset
    rm -rf "$AUTH_DIR" ;;
  status)
    rc=0
    "$HERE/kafka.sh" status || rc=$?
    "$HERE/postgres.sh" status || rc=$?
    ((rc == 0)) && endpoints
    exit "$rc" ;;
  *) echo "infra: ERROR: usage: $(basename "$0") start|stop|reset|status" >&2; exit 1 ;;
esac
