#!/usr/bin/env bash
# Parley distributed on this machine, without containers: Redis, Kafka and FerretDB
# (scripts/infra), then one gateway, auth, user, chat and notification service and two
# instances each of the message service and the WebSocket node, each its own process.
#   scripts/cluster.sh start|stop|status
# start installs what is missing, builds (Release, build/release) and waits until every
# process answers /readyz; the app is then at http://127.0.0.1:${PARLEY_CLUSTER_PORT:-8080}.
# State, logs and mail go to $PARLEY_CLUSTER_DIR (default /tmp/parley-cluster).
# PARLEY_CLUSTER_BUILD=asan runs the ASan+UBSan build instead (tests);
# PARLEY_CLUSTER_SERVICE_ENV / PARLEY_CLUSTER_GATEWAY_ENV add NAME=value settings (no spaces)
# to every service / to the gateway.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVICE=cluster
source scripts/infra/lib.sh

STATE=${PARLEY_CLUSTER_DIR:-/tmp/parley-cluster}
BUILD=${PARLEY_CLUSTER_BUILD:-release}
GATEWAY_PORT=${PARLEY_CLUSTER_PORT:-8080}
REDIS_PORT=${PARLEY_CLUSTER_REDIS_PORT:-6390}
KAFKA_PORT=${PARLEY_CLUSTER_KAFKA_PORT:-9092}
MONGO_PORT=${PARLEY_CLUSTER_MONGO_PORT:-27018}
BIN=build/$BUILD/bin
BASE=$((GATEWAY_PORT + 1)) # the services listen on the ports after the gateway's

# name port node-id executable, in start order (auth first: the others fetch its keys)
INSTANCES=(
  "auth $BASE 1 parley-auth"
  "user $((BASE + 1)) 2 parley-user"
  "chat $((BASE + 2)) 3 parley-chat"
  "message-1 $((BASE + 3)) 4 parley-message"
  "message-2 $((BASE + 4)) 5 parley-message"
  "notification $((BASE + 5)) 6 parley-notification"
  "ws-1 $((BASE + 6)) 7 parley-ws"
  "ws-2 $((BASE + 7)) 8 parley-ws"
  "gateway $GATEWAY_PORT 9 parley-gateway"
)
infra_args=(--redis "$REDIS_PORT" --kafka "$KAFKA_PORT" --mongo "$MONGO_PORT")

urls_of() { # urls_of NAME-PREFIX: the comma-separated base URLs of those instances
  local line name port out=()
  for line in "${INSTANCES[@]}"; do
    read -r name port _ _ <<<"$line"
    [[ $name == "$1" || $name == "$1"-* ]] && out+=("http://127.0.0.1:$port")
  done
  local IFS=,
  echo "${out[*]}"
}

# The environment of one instance: only the settings its executable knows.
env_of() {
  local name=$1 port=$2 node=$3
  local common=(PARLEY_LISTEN=127.0.0.1:"$port" PARLEY_LOG_LEVEL=info
    PARLEY_AUTH_URLS="$(urls_of auth)" PARLEY_USER_URLS="$(urls_of user)" PARLEY_CHAT_URLS="$(urls_of chat)"
    PARLEY_MESSAGE_URLS="$(urls_of message)" PARLEY_NOTIFICATION_URLS="$(urls_of notification)"
    PARLEY_REDIS_URL="redis://127.0.0.1:$REDIS_PORT")
  if [[ $name == gateway ]]; then
    echo "${common[@]}" PARLEY_WS_URLS="$(urls_of ws)" PARLEY_WEB_DIR="$PWD/web/dist" ${PARLEY_CLUSTER_GATEWAY_ENV:-}
  else
    # the message instances share one data dir: the uploaded media
    echo "${common[@]}" PARLEY_NODE_ID="$node" PARLEY_SERVICE_TOKEN="$(<"$STATE/service-token")" \
      PARLEY_DATA_DIR="$STATE/data/${name%-[0-9]}" PARLEY_PUBLIC_URL="http://127.0.0.1:$GATEWAY_PORT" \
      PARLEY_MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT" PARLEY_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" \
      ${PARLEY_CLUSTER_SERVICE_ENV:-}
  fi
}

ready() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/readyz"; }

start() {
  scripts/deps.sh
  command -v curl >/dev/null || apt_install curl
  scripts/build.sh "$BUILD" parley-gateway parley-auth parley-user parley-chat parley-message parley-notification \
    parley-ws
  scripts/web.sh build
  mkdir -p "$STATE/pids" "$STATE/logs" "$STATE/data"
  [[ -s $STATE/service-token ]] || head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$STATE/service-token"
  echo "cluster: Redis, Kafka and FerretDB"
  scripts/infra/all.sh start "${infra_args[@]}" >/dev/null
  local line name port node exe i
  for line in "${INSTANCES[@]}"; do
    read -r name port node exe <<<"$line"
    if running "$STATE/pids/$name.pid" "$exe"; then continue; fi
    port_open "$port" && die "127.0.0.1:$port (for $name) is in use"
    # shellcheck disable=SC2046 # env_of's words are NAME=value pairs without spaces
    spawn "$STATE/pids/$name.pid" "$STATE/logs/$name.log" env -i PATH="$PATH" $(env_of "$name" "$port" "$node") \
      "$PWD/$BIN/$exe"
    for ((i = 0; i < 600; i++)); do
      ready "$port" && break
      alive "$STATE/pids/$name.pid" || fail_with_log "$name exited at start" "$STATE/logs/$name.log"
      sleep 0.1
    done
    ready "$port" || fail_with_log "$name not ready on 127.0.0.1:$port after 60 s" "$STATE/logs/$name.log"
    echo "cluster: $name ready on 127.0.0.1:$port"
  done
  echo "cluster: open http://127.0.0.1:$GATEWAY_PORT (logs in $STATE/logs, mail in $STATE/data/auth/mail)"
}

stop() {
  local i line name exe
  for ((i = ${#INSTANCES[@]} - 1; i >= 0; i--)); do
    read -r name _ _ exe <<<"${INSTANCES[$i]}"
    stop_pid "$STATE/pids/$name.pid" "$exe"
  done
  scripts/infra/all.sh stop "${infra_args[@]}" >/dev/null
}

status() {
  local line name port exe state rc=0
  for line in "${INSTANCES[@]}"; do
    read -r name port _ exe <<<"$line"
    if running "$STATE/pids/$name.pid" "$exe"; then
      ready "$port" && state=ready || state="running, not ready"
    else
      state=stopped
      rc=3
    fi
    echo "$name: $state (127.0.0.1:$port)"
  done
  scripts/infra/all.sh status "${infra_args[@]}" || rc=3
  return $rc
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
