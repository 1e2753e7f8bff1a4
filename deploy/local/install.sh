#!/usr/bin/env bash
# Installs only what is missing for the local infra (JDK, Maven, PostgreSQL, uv)
# and resolves the Kafka jars from pom.xml into .kafka/jars.
# Progress goes to stderr so stdout stays clean for callers.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JARS="$HERE/.kafka/jars"
STAMP="$HERE/.kafka/jars.stamp"
UV_VERSION=0.13.8

log() { echo "install: $*" >&2; }
die() { echo "install: ERROR: $*" >&2; exit 1; }

have_pg_server() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    [[ -x $d/initdb && -x $d/pg_ctl ]] && return 0
  done
  command -v initdb >/dev/null && command -v pg_ctl >/dev/null
}

# --- system packages (apt) ---------------------------------------------------
pkgs=()
if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
  pkgs+=(openjdk-17-jre-headless maven)
fi
have_pg_server || pkgs+=(postgresql)
# promtool checks the alert rules; the console's end-to-end tests drive the system browser.
command -v promtool >/dev/null || pkgs+=(prometheus)
command -v chromium >/dev/null || pkgs+=(chromium)
command -v chromedriver >/dev/null || pkgs+=(chromium-driver)

if ((${#pkgs[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    die "missing packages; as root run: apt-get install -y ${pkgs[*]}"
  fi
  command -v apt-get >/dev/null || die "apt-get not found; install manually: ${pkgs[*]}"
  log "apt-get install ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y "${pkgs[@]}" >&2
fi

# --- uv ----------------------------------------------------------------------
if ! command -v uv >/dev/null; then
  if command -v pip >/dev/null; then pip=(pip)
  elif python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
  else die "uv missing and no pip found; install python3-pip or uv $UV_VERSION"
  fi
  log "${pip[*]} install uv==$UV_VERSION"
  # Debian's system python refuses pip installs (PEP 668); uv is a dependency-free
  # binary wheel, so overriding that cannot break distro packages.
  "${pip[@]}" install "uv==$UV_VERSION" >&2 ||
    "${pip[@]}" install --break-system-packages "uv==$UV_VERSION" >&2 ||
    die "pip install uv==$UV_VERSION failed"
  command -v uv >/dev/null || log "WARNING: uv installed but not on PATH (check ~/.local/bin)"
fi

# --- Kafka jars (only when missing or pom.xml changed) -----------------------
if [[ ! -d $JARS || $HERE/pom.xml -nt $STAMP ]]; then
  log "resolving Kafka jars with Maven"
  # Resolve into a fresh dir and swap, so stale jars never linger and an
  # interrupted run never leaves a half-filled jars dir behind.
  rm -rf "$JARS.tmp" && mkdir -p "$HERE/.kafka"
  mvn -B -f "$HERE/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$JARS.tmp" >"$HERE/.kafka/mvn.log" 2>&1 ||
    { tail -n 30 "$HERE/.kafka/mvn.log" >&2; die "Maven could not resolve the Kafka jars (log: $HERE/.kafka/mvn.log)"; }
  rm -rf "$JARS"
  mv "$JARS.tmp" "$JARS"
  touch "$STAMP"
fi

log "ok (java, mvn, postgresql, uv, kafka jars present)"
