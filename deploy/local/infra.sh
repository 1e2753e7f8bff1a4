#!/usr/bin/env bash
# Local dev infra: one Kafka node + one PostgreSQL cluster.
# Usage: infra.sh start|stop|reset|status
# `start` prints only the endpoints on stdout (progress goes to stderr), so
# `deploy/local/infra.sh start > .env` or `eval "$(...)"` works.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

endpoints() {
  echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:${KAFKA_PORT:-9092}"
  echo "DATABASE_URL=postgresql://bkpsdm:bkpsdm@127.0.0.1:${PG_PORT:-54320}/bkpsdm"
}

case "${1:-}" in
  start)
    "$HERE/install.sh"
    "$HERE/kafka.sh" start
    "$HERE/postgres.sh" start
    endpoints ;;
  stop)
    # Stop both even if one fails.
    rc=0
    "$HERE/kafka.sh" stop || rc=$?
    "$HERE/postgres.sh" stop || rc=$?
    exit "$rc" ;;
  reset)
    "$HERE/kafka.sh" reset
    "$HERE/postgres.sh" reset ;;
  status)
    rc=0
    "$HERE/kafka.sh" status || rc=$?
    "$HERE/postgres.sh" status || rc=$?
    ((rc == 0)) && endpoints
    exit "$rc" ;;
  *) echo "infra: ERROR: usage: $(basename "$0") start|stop|reset|status" >&2; exit 1 ;;
esac
