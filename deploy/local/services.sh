#!/usr/bin/env bash
# Runs every service as a local process (no Docker) on its default port.
# Usage: services.sh start|stop|status
# Logs and pid files: deploy/local/.state/services/<service>.{log,pid}
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
STATE="$HERE/.state/services"
PY="$ROOT/.venv/bin/python"

# "service module port" per line, from each service's own declaration (its IDENTITY).
services() { "$PY" -m bkpsdm.common.identity; }
# "name module port ready-path args..." per line: stand-ins for BKN, SP4N-LAPOR, ...
simulators() { grep -Ev '^[[:space:]]*(#|$)' "$HERE/simulators.conf"; }

log() { echo "services: $*" >&2; }
die() { echo "services: ERROR: $*" >&2; exit 1; }

pid_of() {
  local pid
  pid="$(cat "$STATE/$1.pid" 2>/dev/null)" || return 1
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

ready() { curl -fsS -m 2 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

COMM_KEY_SECRET="$HERE/.state/attendance/comm-key-secret"

# The gateway's comm-key secret (one Fernet key), made once and kept with the local state.
secrets() {
  [[ -s $COMM_KEY_SECRET ]] && return 0
  mkdir -p "${COMM_KEY_SECRET%/*}"
  (umask 077 && "$PY" -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' >"$COMM_KEY_SECRET")
  log "terminal comm-key secret written to $COMM_KEY_SECRET"
}

start() {
  [[ -x $PY ]] || die "no Python environment; run 'make setup' first"
  mkdir -p "$STATE"
  # The local token issuer (deploy/local/infra.sh makes its keys) unless one is configured.
  if [[ -z ${AUTH_JWKS_URL:-}${AUTH_JWKS_FILE:-}${AUTH_PUBLIC_KEY_FILE:-} ]]; then
    export AUTH_JWKS_FILE="$HERE/.state/auth/jwks.json"
  fi
  # Terminal comm keys are sealed at rest with a local secret, made once like the sign-in keys.
  if [[ -z ${BKPSDM_ATTENDANCE_GATEWAY_COMM_KEY_SECRET_FILE:-} ]]; then
    secrets
    export BKPSDM_ATTENDANCE_GATEWAY_COMM_KEY_SECRET_FILE="$COMM_KEY_SECRET"
  fi
  # Local settings for the services (deploy/local/services.env); the caller's environment wins.
  local line
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z0-9_]+)=(.*)$ ]] || continue
    [[ -n ${!BASH_REMATCH[1]:-} ]] || export "${BASH_REMATCH[1]}=${BASH_REMATCH[2]}"
  done <"$HERE/services.env"
  local entry name module port path args
  mapfile -t SIMULATORS < <(simulators)
  for entry in "${SIMULATORS[@]}"; do
    read -r name module port path args <<<"$entry"
    if pid_of "$name" >/dev/null; then log "$name already running"; continue; fi
    # shellcheck disable=SC2086 # the arguments are words by design
    setsid nohup "$PY" -m "$module" --port "$port" $args >>"$STATE/$name.log" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
  done
  for entry in "${SIMULATORS[@]}"; do
    read -r name module port path args <<<"$entry"
    local j
    for ((j = 0; j < 60; j++)); do
      curl -fsS -m 2 "http://127.0.0.1:$port$path" >/dev/null 2>&1 && break
      pid_of "$name" >/dev/null || { tail -n 20 "$STATE/$name.log" >&2; die "$name exited (log: $STATE/$name.log)"; }
      sleep 0.5
    done
    log "simulator $name on http://127.0.0.1:$port"
  done
  mapfile -t SERVICES < <(services)
  for entry in "${SERVICES[@]}"; do
    read -r name module port <<<"$entry"
    if pid_of "$name" >/dev/null; then log "$name already running"; continue; fi
    setsid nohup "$PY" -m "$module" >>"$STATE/$name.log" 2>&1 </dev/null &
    echo $! >"$STATE/$name.pid"
  done
  for entry in "${SERVICES[@]}"; do
    read -r name module port <<<"$entry"
    local i
    for ((i = 0; i < 120; i++)); do
      ready "$port" && break
      pid_of "$name" >/dev/null || { tail -n 20 "$STATE/$name.log" >&2; die "$name exited (log: $STATE/$name.log)"; }
      sleep 0.5
    done
    ready "$port" || die "$name not ready after 60 s (log: $STATE/$name.log)"
    log "$name ready on http://127.0.0.1:$port"
  done
}

stop() {
  local entry name module port pid i
  [[ -x $PY ]] || return 0
  mapfile -t SERVICES < <(services; simulators)
  for entry in "${SERVICES[@]}"; do
    read -r name module port _ <<<"$entry"
    pid="$(pid_of "$name")" || continue
    kill -TERM "$pid"
    for ((i = 0; i < 60 && $(kill -0 "$pid" 2>/dev/null && echo 1 || echo 0); i++)); do sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$STATE/$name.pid"
    log "$name stopped"
  done
}

status() {
  local entry name module port rc=0
  [[ -x $PY ]] || { echo "services: no Python environment"; return 3; }
  mapfile -t SERVICES < <(services)
  for entry in "${SERVICES[@]}"; do
    read -r name module port <<<"$entry"
    if ready "$port"; then echo "$name: ready (http://127.0.0.1:$port)"
    elif pid_of "$name" >/dev/null; then echo "$name: running, not ready"; rc=3
    else echo "$name: stopped"; rc=3
    fi
  done
  return "$rc"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  secrets) secrets ;;
  *) die "usage: $(basename "$0") start|stop|status|secrets" ;;
esac
