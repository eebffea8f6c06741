#!/usr/bin/env bash
# A MongoDB-compatible server on 127.0.0.1 for tests and local distributed runs: FerretDB v1
# on its SQLite backend, embedded in a small launcher (scripts/infra/ferretdb/main.go) built
# once with Go into $PARLEY_CACHE_DIR/ferretdb-<hash of the launcher's sources>, modules and
# build cache under $PARLEY_CACHE_DIR/go; data under $PARLEY_INFRA_DIR/ferretdb-<port>.
#   scripts/infra/ferretdb.sh start|stop|status|clean [port]   (port default 27018)
# start waits until a MongoDB ping answers; a start of a running server only checks that.
# stop sends SIGTERM, then SIGKILL after a timeout; clean stops and removes the state dir.
# Quiet on success; logs in the state dir.
set -euo pipefail
SERVICE=ferretdb
source "$(dirname "$0")/lib.sh"

cmd=${1:-}
port=${2:-27018}
check_port_arg "$port"
state="$INFRA_DIR/ferretdb-$port"
pidfile="$state/ferretdb.pid"
log="$state/ferretdb.log"
mark="parley-ferretdb -listen 127.0.0.1:$port -dir $state/data"
src="$INFRA_SRC/ferretdb"
bin_dir="$CACHE_DIR/ferretdb-$(sha_of "$src/main.go" "$src/go.mod" "$src/go.sum")"
bin="$bin_dir/parley-ferretdb"

# go_env: the Go settings of the build: caches outside the repo, go.sum as committed (no
# checksum database, no toolchain download), a static binary.
go_env() {
  export GOMODCACHE="$CACHE_DIR/go/mod" GOCACHE="$CACHE_DIR/go/build" GOFLAGS=-mod=readonly \
    GOTOOLCHAIN=local GOSUMDB=off CGO_ENABLED=0
}

# ensure_built: the launcher binary, built the first time; one build at a time, and a
# half-done build is never used.
ensure_built() {
  [[ -x "$bin" ]] && return
  if ! command -v go >/dev/null; then # the official tarball's place, when not on PATH
    [[ -x /usr/local/go/bin/go ]] || die "Go 1.24 or newer is needed to build the launcher, and none is on PATH"
    PATH=/usr/local/go/bin:$PATH
  fi
  mkdir -p "$CACHE_DIR"
  (
    flock 8
    [[ -x "$bin" ]] && exit 0
    go_env
    mkdir -p "$bin_dir"
    tmp=$(mktemp "$bin_dir/.build.XXXXXX")
    trap 'rm -f "$tmp" "$tmp.log"' EXIT
    (cd "$src" && go build -trimpath -ldflags='-s -w' -o "$tmp" .) >"$tmp.log" 2>&1 ||
      fail_with_log "building the FerretDB launcher failed" "$tmp.log"
    mv -f "$tmp" "$bin"
  ) 8>"$CACHE_DIR/.ferretdb-build.lock"
}

ping_ok() {
  "$bin" -ping "127.0.0.1:$port" -timeout 2s 2>/dev/null
}

start() {
  lock_state "$state"
  local t0 i
  t0=$(now_ms)
  if running "$pidfile" "$mark"; then
    ping_ok && return
    fail_with_log "pid $(<"$pidfile") is running but does not answer a ping on 127.0.0.1:$port" "$log"
  fi
  port_open "$port" && die "127.0.0.1:$port is in use by another process"
  ensure_built
  spawn "$pidfile" "$log" "$bin" -listen "127.0.0.1:$port" -dir "$state/data"
  for ((i = 0; i < 300; i++)); do
    ping_ok && { echo "ready in $(($(now_ms) - t0)) ms" >>"$log"; return; }
    alive "$pidfile" || fail_with_log "the FerretDB launcher exited at start" "$log"
    sleep 0.05
  done
  stop_pid "$pidfile" "$mark"
  fail_with_log "no ping answer on 127.0.0.1:$port after 15 s" "$log"
}

case "$cmd" in
  start) start ;;
  stop) lock_state "$state"; stop_pid "$pidfile" "$mark" ;;
  status) status_line "$pidfile" "$mark" "mongodb://127.0.0.1:$port" ;;
  clean) lock_state "$state"; stop_pid "$pidfile" "$mark"; rm -rf "$state" ;;
  *) echo "usage: $0 start|stop|status|clean [port]" >&2; exit 2 ;;
esac
