#!/usr/bin/env bash
# A Redis server on 127.0.0.1 for tests and local distributed runs (Debian's redis-server,
# installed if missing), no persistence, state under $PARLEY_INFRA_DIR/redis-<port>.
#   scripts/infra/redis.sh start|stop|status|clean [port]   (port default 6390)
# start waits until PING answers; stop sends SIGTERM, then SIGKILL after a timeout;
# clean stops and removes the state dir. Quiet on success; logs in the state dir.
set -euo pipefail
SERVICE=redis
source "$(dirname "$0")/lib.sh"

cmd=${1:-}
port=${2:-6390}
check_port_arg "$port"
state="$INFRA_DIR/redis-$port"
pidfile="$state/redis.pid"
log="$state/redis.log"
mark="redis-server 127.0.0.1:$port"

ensure_installed() {
  command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
  apt_install redis-server redis-tools
}

ping_ok() {
  [[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" == PONG ]]
}

start() {
  ensure_installed
  lock_state "$state"
  if running "$pidfile" "$mark"; then
    ping_ok && return
    fail_with_log "pid $(<"$pidfile") is running but does not answer PING on 127.0.0.1:$port" "$log"
  fi
  port_open "$port" && die "127.0.0.1:$port is in use by another process"
  local t0 i
  t0=$(now_ms)
  spawn "$pidfile" "$log" redis-server --bind 127.0.0.1 --port "$port" --dir "$state" \
    --daemonize no --save '' --appendonly no --logfile '' --loglevel notice
  for ((i = 0; i < 200; i++)); do
    ping_ok && { echo "ready in $(($(now_ms) - t0)) ms" >>"$log"; return; }
    alive "$pidfile" || fail_with_log "redis-server exited at start" "$log"
    sleep 0.05
  done
  stop_pid "$pidfile" "$mark"
  fail_with_log "no PING answer on 127.0.0.1:$port after 10 s" "$log"
}

case "$cmd" in
  start) start ;;
  stop) lock_state "$state"; stop_pid "$pidfile" "$mark" ;;
  status) status_line "$pidfile" "$mark" "redis://127.0.0.1:$port" ;;
  clean) lock_state "$state"; stop_pid "$pidfile" "$mark"; rm -rf "$state" ;;
  *) echo "usage: $0 start|stop|status|clean [port]" >&2; exit 2 ;;
esac
