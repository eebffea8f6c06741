#!/usr/bin/env bash
# A MongoDB-compatible server on 127.0.0.1 for tests and local distributed runs: FerretDB v1
# embedded in a small launcher (scripts/infra/ferretdb/main.go) built once with Go into
# $PARLEY_CACHE_DIR/ferretdb-<hash of the launcher's sources>, modules and build cache under
# $PARLEY_CACHE_DIR/go; data under $PARLEY_INFRA_DIR/ferretdb-<port>.
#   scripts/infra/ferretdb.sh start|stop|status|clean [port]   (port default 27018)
# start waits until a MongoDB ping answers; a start of a running server only checks that.
# stop sends SIGTERM, then SIGKILL after a timeout; clean stops and removes the state dir.
# Quiet on success; logs in the state dir.
#
# PARLEY_FERRETDB_BACKEND picks FerretDB's storage:
#   sqlite (default)  one SQLite file per database. Filters other than `_id` equality read
#                     and decode the whole collection in Go (no pushdown): fine for tests.
#   postgresql        a PostgreSQL server of its own (Debian's, installed if missing; as the
#                     `postgres` user when run as root), on a Unix socket only. Equality
#                     filters on any field run in PostgreSQL: for load. PostgreSQL's jsonb
#                     holds no U+0000, so a string with one can be neither stored nor looked up.
set -euo pipefail
SERVICE=ferretdb
source "$(dirname "$0")/lib.sh"

cmd=${1:-}
port=${2:-27018}
check_port_arg "$port"
state="$INFRA_DIR/ferretdb-$port"
pidfile="$state/ferretdb.pid"
log="$state/ferretdb.log"
backend=${PARLEY_FERRETDB_BACKEND:-sqlite}
[[ $backend == sqlite || $backend == postgresql ]] || die "PARLEY_FERRETDB_BACKEND must be sqlite or postgresql"
mark="parley-ferretdb -listen 127.0.0.1:$port"
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

# PostgreSQL refuses to run as root: then it runs as `postgres`, whose data must be where that
# user can reach it (a state dir may sit under a private temporary dir), named after the state.
if ((EUID == 0)); then
  pg_data="/tmp/parley-ferretdb-pg.$(echo -n "$state" | sha256sum | cut -c1-16)"
  as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; }
else
  pg_data="$state/pg"
  as_pg() { "$@"; }
fi
pg_socket="$pg_data/run"

pg_bin() {
  local dirs=(/usr/lib/postgresql/*/bin/pg_ctl)
  [[ -x "${dirs[-1]}" ]] && echo "${dirs[-1]%/pg_ctl}"
}

# pg_start: initialises the cluster the first time (trust on the socket, no TCP), starts it
# with pg_ctl, which waits until it accepts connections.
pg_start() {
  local bin
  bin=$(pg_bin) || { apt_install postgresql; bin=$(pg_bin) || die "no PostgreSQL after installing it"; }
  if [[ ! -s "$pg_data/db/PG_VERSION" ]]; then
    rm -rf "$pg_data" && mkdir -p "$pg_socket" "$pg_data/db"
    ((EUID == 0)) && chown -R postgres:postgres "$pg_data"
    chmod 700 "$pg_data/db"
    as_pg "$bin/initdb" -D "$pg_data/db" -U ferretdb --auth=trust -E UTF8 --locale=C.UTF-8 >"$state/initdb.log" 2>&1 ||
      fail_with_log "initdb failed" "$state/initdb.log"
  fi
  as_pg "$bin/pg_ctl" -D "$pg_data/db" -l "$pg_data/postgresql.log" -w -t 30 status >/dev/null 2>&1 && return
  as_pg "$bin/pg_ctl" -D "$pg_data/db" -l "$pg_data/postgresql.log" -w -t 30 \
    -o "-c listen_addresses= -c unix_socket_directories=$pg_socket -c max_connections=200" start >/dev/null 2>&1 9>&- ||
    fail_with_log "PostgreSQL did not start" "$pg_data/postgresql.log"
  head -n 1 "$pg_data/db/postmaster.pid" >"$state/postgresql.pid" # for whoever counts CPU time
}

pg_stop() {
  local bin
  bin=$(pg_bin) || return 0
  [[ -s "$pg_data/db/postmaster.pid" ]] || return 0
  as_pg "$bin/pg_ctl" -D "$pg_data/db" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  rm -f "$state/postgresql.pid"
}

storage_args() {
  if [[ $backend == postgresql ]]; then
    echo -postgresql-url "postgres://ferretdb@/postgres?host=$pg_socket"
  else
    echo -dir "$state/data"
  fi
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
  [[ $backend == postgresql ]] && pg_start
  # shellcheck disable=SC2046 # storage_args prints words without spaces
  spawn "$pidfile" "$log" "$bin" -listen "127.0.0.1:$port" $(storage_args)
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
  stop) lock_state "$state"; stop_pid "$pidfile" "$mark"; pg_stop ;;
  status) status_line "$pidfile" "$mark" "mongodb://127.0.0.1:$port" ;;
  clean) lock_state "$state"; stop_pid "$pidfile" "$mark"; pg_stop; rm -rf "$state" "$pg_data" ;;
  *) echo "usage: $0 start|stop|status|clean [port]" >&2; exit 2 ;;
esac
