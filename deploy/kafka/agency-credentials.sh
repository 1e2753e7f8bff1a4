#!/usr/bin/env bash
# Credentials and ACLs for another agency that reads the platform's public topics, made with
# Kafka's own admin tools (kafka-configs, kafka-acls).
#
#   agency-credentials.sh create NAME [PASSWORD_FILE]   SCRAM-SHA-512 user agency-NAME, its ACLs;
#                                                       prints the credentials once
#   agency-credentials.sh revoke NAME                   removes both
#   agency-credentials.sh show NAME                     lists the user's ACLs
#
# The principal User:agency-NAME may read (and describe) each public.* topic of the topic
# registry (not their dead letters) with consumer groups named agency-NAME.*, and nothing
# else: no writes, no internal topics, no other groups, no topic or cluster administration
# (the cluster runs with allow.everyone.if.no.acl.found=false). Re-run `create` after a
# release that adds a public topic: it is idempotent and keeps the password when given the file.
#
# Env: KAFKA_BOOTSTRAP_SERVERS (required); KAFKA_ADMIN_CONFIG, a client properties file of an
# admin principal (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.*);
# KAFKA_BIN, a Kafka distribution's bin/ folder, or else KAFKA_JARS (default: the jars
# deploy/local/install.sh fetched) run with `java`; PYTHON (default: the checkout's .venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
JARS="${KAFKA_JARS:-$ROOT/deploy/local/.kafka/jars}"
PY="${PYTHON:-$ROOT/.venv/bin/python}"

die() { echo "agency-credentials: ERROR: $*" >&2; exit 1; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# kafka-configs / kafka-acls from a distribution, or their main classes from the jars.
kafka_tool() {
  local tool=$1 main=$2
  shift 2
  if [[ -n ${KAFKA_BIN:-} ]]; then
    "$KAFKA_BIN/$tool.sh" "$@"
  else
    compgen -G "$JARS/kafka_*.jar" >/dev/null || die "no Kafka jars in $JARS (set KAFKA_BIN or KAFKA_JARS)"
    # Short-lived tools: the quick JIT tier and the serial collector start fastest.
    java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$JARS/*" \
      -Dlog4j2.configurationFile="$ROOT/deploy/local/log4j2.properties" "$main" "$@"
  fi
}
configs() { kafka_tool kafka-configs kafka.admin.ConfigCommand "${admin[@]}" "$@"; }
acls() { kafka_tool kafka-acls org.apache.kafka.tools.AclCommand "${admin[@]}" "$@"; }

acl_resources() {
  local topic
  mapfile -t topics < <("$PY" -m bkpsdm.common.kafka_admin public-topics)
  ((${#topics[@]})) || die "the topic registry names no public topic"
  resources=()
  for topic in "${topics[@]}"; do resources+=(--topic "$topic"); done
}

[[ $# -ge 2 ]] || usage
action=$1 name=$2
[[ $name =~ ^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$ ]] || die "NAME: lowercase letters, digits and '-' (3-40), got '$name'"
principal="agency-$name"
[[ -n ${KAFKA_BOOTSTRAP_SERVERS:-} ]] || die "set KAFKA_BOOTSTRAP_SERVERS"
admin=(--bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS")
if [[ -n ${KAFKA_ADMIN_CONFIG:-} ]]; then admin+=(--command-config "$KAFKA_ADMIN_CONFIG"); fi

case "$action" in
  create)
    if [[ -n ${3:-} ]]; then
      password="$(<"$3")"
    else
      password="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')"
    fi
    # The value goes into Kafka's [key=value,...] syntax: keep it to safe characters.
    [[ $password =~ ^[A-Za-z0-9_-]{16,}$ ]] || die "the password must be 16+ characters of A-Z a-z 0-9 _ -"
    acl_resources
    # On the command line (kafka-configs' --add-config-file mangles SCRAM entries): run this
    # on the operators' admin host, where nobody else lists processes.
    configs --alter --entity-type users --entity-name "$principal" \
      --add-config "SCRAM-SHA-512=[iterations=8192,password=$password]" >&2
    acls --add --allow-principal "User:$principal" --operation Read --operation Describe "${resources[@]}" >&2
    acls --add --allow-principal "User:$principal" --operation Read --operation Describe \
      --group "$principal." --resource-pattern-type prefixed >&2
    cat <<OUT
# Kafka credentials for $name (shown once; send them over a secure channel)
KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS
KAFKA_SECURITY_PROTOCOL=SASL_SSL
KAFKA_SASL_MECHANISM=SCRAM-SHA-512
KAFKA_SASL_USERNAME=$principal
KAFKA_SASL_PASSWORD=$password
# consumer groups must be named $principal.<anything>; readable topics:
$(printf '#   %s\n' "${topics[@]}")
OUT
    ;;
  revoke)
    acl_resources
    acls --remove --force --allow-principal "User:$principal" --operation Read --operation Describe "${resources[@]}" >&2
    acls --remove --force --allow-principal "User:$principal" --operation Read --operation Describe \
      --group "$principal." --resource-pattern-type prefixed >&2
    configs --alter --entity-type users --entity-name "$principal" --delete-config SCRAM-SHA-512 >&2 ||
      echo "agency-credentials: no SCRAM credential for $principal" >&2
    echo "revoked $principal" >&2
    ;;
  show)
    acls --list --principal "User:$principal"
    ;;
  *) usage ;;
esac
