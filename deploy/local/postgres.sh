#!/usr/bin/env bash
# Throwaway local PostgreSQL cluster (initdb + pg_ctl), 127.0.0.1 only.
# Usage: postgres.sh start|stop|reset|status|psql|where [psql args...]
# Env: PG_PORT (54320), PG_STATE_NAME (postgres), PG_STATE_DIR (overrides the place entirely)
#
# Where the data lives: as a normal user, in deploy/local/.state/<name>. As root the server
# runs as the 'postgres' user, who may not be able to enter the checkout (a clone under
# /root, mode 0700), so the data lives in /var/lib/bkpsdm-local/<checkout id>/<name>: a
# folder postgres owns, outside the tree, tied to this checkout by a hash of its path.
# `reset` (make infra-reset) deletes it; deploy/local/.state/postgres-location names it.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PORT="${PG_PORT:-54320}"
NAME="${PG_STATE_NAME:-postgres}"
[[ $NAME =~ ^[A-Za-z0-9._-]+$ ]] || { echo "postgres: ERROR: PG_STATE_NAME must be a plain name" >&2; exit 1; }
if [[ -n ${PG_STATE_DIR:-} ]]; then
  STATE="$(realpath -m "$PG_STATE_DIR")"
elif [[ -f $HERE/.state/$NAME/data/PG_VERSION ]]; then
  STATE="$HERE/.state/$NAME"  # a cluster made in the tree before the data moved out: keep using it
elif [[ $(id -u) -eq 0 ]]; then
  CHECKOUT_ID="$(printf '%s' "$(realpath "$HERE/../..")" | sha256sum | cut -c1-12)"
  STATE="/var/lib/bkpsdm-local/$CHECKOUT_ID/$NAME"
else
  STATE="$HERE/.state/$NAME"
fi
DATA="$STATE/data"
SOCK="$STATE/run"  # unix socket here, not /var/run/postgresql
LOG="$STATE/postgres.log"
USER_NAME=bkpsdm PASSWORD=bkpsdm DB=bkpsdm
URL="postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"

log() { echo "postgres[$PORT]: $*" >&2; }
die() { echo "postgres[$PORT]: ERROR: $*" >&2; exit 1; }

# Server binaries: pg_config's bindir if it has them, else newest /usr/lib/postgresql/*/bin.
find_bindir() {
  local d
  d="$(pg_config --bindir 2>/dev/null || true)"
  [[ -n $d && -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return; }
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV); do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return; }
  done
  return 1
}
BIN="$(find_bindir)" || die "PostgreSQL server binaries not found; run $HERE/install.sh"

# initdb/postgres refuse to run as root, so as root everything server-side runs
# as the 'postgres' system user. cd / so it never inherits an unreadable cwd.
cd /
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user (apt-get install postgresql)"
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

pg_ctl() { as_pg "$BIN/pg_ctl" -D "$DATA" "$@"; }
is_running() { [[ -f $DATA/PG_VERSION ]] && pg_ctl status >/dev/null 2>&1; }
sql() { as_pg "$BIN/psql" -X -q -h "$SOCK" -p "$PORT" -U "$USER_NAME" -d postgres -tAc "$1"; }

init_cluster() {
  log "initdb in $DATA"
  mkdir -p "$STATE"
  mkdir -p "$HERE/.state" && echo "$STATE" >"$HERE/.state/$NAME-location"
  if [[ $(id -u) -eq 0 ]]; then
    # Every folder above the data must be enterable by postgres (not only the last one).
    chmod o+x "$(dirname "$STATE")" "$(dirname "$(dirname "$STATE")")" 2>/dev/null || true
    chown postgres: "$STATE"
    as_pg test -w "$STATE" -a -x "$STATE" ||
      die "user 'postgres' cannot reach $STATE (a parent dir lacks o+x); chmod o+x it or set PG_STATE_DIR=/tmp/..."
  fi
  local pw="$STATE/.pwfile"
  # shellcheck disable=SC2016  # expanded by the inner shell
  as_pg sh -c 'umask 077 && printf "%s\n" "$1" >"$2"' _ "$PASSWORD" "$pw"
  as_pg "$BIN/initdb" -D "$DATA" -U "$USER_NAME" --pwfile="$pw" -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >"$STATE/initdb.log" 2>&1 ||
    { rm -f "$pw"; cat "$STATE/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pw"
  as_pg mkdir -m 700 -p "$SOCK"
  # Settings live in an included file; local socket auth is 'trust' because the
  # socket dir is private to the state dir; TCP needs the scram password.
  echo "include_if_exists = 'local.conf'" | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

start() {
  [[ -f $DATA/PG_VERSION ]] || init_cluster
  if is_running; then
    log "already running on 127.0.0.1:$PORT"
  else
    # Rewritten on each start so a changed PG_PORT takes effect.
    as_pg tee "$DATA/local.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK'
max_connections = 200
shared_buffers = 128MB
EOF
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "port $PORT is already in use by another process"
    pg_ctl start -w -t 60 -l "$LOG" >/dev/null ||
      { tail -n 30 "$LOG" >&2 || true; die "server failed to start (log: $LOG)"; }
  fi
  local i
  for ((i = 0; i < 60; i++)); do
    "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
  done
  "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" || die "pg_isready failed on 127.0.0.1:$PORT (log: $LOG)"
  if [[ -z "$(sql "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]]; then
    sql "CREATE DATABASE $DB OWNER $USER_NAME"
    log "database $DB created"
  fi
  log "ready: $URL"
}

stop() {
  if is_running; then
    pg_ctl stop -m fast -w -t 60 >/dev/null
    log "stopped"
  else
    log "not running"
  fi
}

reset() {
  stop
  [[ -d $STATE ]] || return 0
  # Refuse to wipe a directory that does not look like ours (env override typo).
  [[ -f $DATA/PG_VERSION || -z "$(ls -A "$STATE")" ]] || die "refusing to delete $STATE: no data/PG_VERSION in it"
  rm -rf "$STATE"
  rm -f "$HERE/.state/$NAME-location"
  rmdir "$(dirname "$STATE")" 2>/dev/null || true  # the checkout's folder, once empty
  log "state deleted ($STATE)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  reset) reset ;;
  status)
    if is_running; then echo "postgres: running ($URL)"
    else echo "postgres: stopped"; exit 3; fi ;;
  psql) shift; exec "$BIN/psql" "$URL" "$@" ;;
  where) echo "$STATE" ;;
  *) die "usage: $(basename "$0") start|stop|reset|status|psql|where [args]" ;;
esac
