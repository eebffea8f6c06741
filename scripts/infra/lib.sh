# Shared helpers for scripts/infra/*.sh (sourced, not run).
#
# Environment:
#   PARLEY_INFRA_DIR   state dirs of the running servers (default /tmp/parley-infra)
#   PARLEY_CACHE_DIR   downloads and builds, kept across runs (default /var/cache/parley)
#   PARLEY_STOP_TIMEOUT_S  seconds between SIGTERM and SIGKILL on stop (default 15)

INFRA_DIR=${PARLEY_INFRA_DIR:-/tmp/parley-infra}
CACHE_DIR=${PARLEY_CACHE_DIR:-/var/cache/parley}
INFRA_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() { echo "${SERVICE:-infra}: $*" >&2; exit 1; }

now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# fail_with_log MESSAGE LOGFILE: prints MESSAGE and the log's tail, exits 1.
fail_with_log() {
  echo "$SERVICE: $1" >&2
  if [[ -s "$2" ]]; then
    echo "--- last lines of $2:" >&2
    tail -n 30 "$2" >&2
  fi
  exit 1
}

check_port_arg() {
  [[ "$1" =~ ^[0-9]+$ ]] && (($1 > 0 && $1 < 65536)) || die "bad port '$1'"
}

# port_open PORT: true if something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_ports N: prints a port P such that P..P+N-1 all look free on 127.0.0.1, picked at
# random below Linux's ephemeral range (32768+), so it is not one of the kernel's own picks.
free_ports() {
  local n=$1 base i tries
  for ((tries = 0; tries < 100; tries++)); do
    base=$((20000 + (RANDOM * 32768 + RANDOM) % (12000 - n)))
    for ((i = 0; i < n; i++)); do
      port_open $((base + i)) && continue 2
    done
    echo "$base"
    return 0
  done
  die "no $n free consecutive ports found"
}

# apt_install PKG...: installs Debian packages, running apt-get update first; one at a time
# across the infra scripts (they may install in parallel under all.sh).
apt_install() {
  command -v apt-get >/dev/null || die "cannot install $*: no apt-get"
  mkdir -p "$CACHE_DIR"
  (
    flock 8
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >/dev/null
  ) 8>"$CACHE_DIR/.apt.lock" || die "apt-get install $* failed"
}

# lock_state STATE_DIR: serialises start/stop of one server (held until the script exits).
lock_state() {
  mkdir -p "$1"
  exec 9>"$1/.lock"
  flock 9
}

# running PIDFILE MARK: true if the pidfile's process is alive and its command line
# contains MARK (so a recycled pid is never taken for the server).
running() {
  local pid
  [[ -s "$1" ]] || return 1
  pid=$(<"$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2"
}

# alive PIDFILE: true while the process that spawn just started has not exited. For the
# start-up wait, where running's MARK is not usable yet: until the exec, and until a server
# such as Redis rewrites its title, the command line is not the final one.
alive() {
  local pid stat
  [[ -s "$1" ]] || return 1
  pid=$(<"$1")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  { stat=$(<"/proc/$pid/stat"); } 2>/dev/null || return 1
  stat=${stat##*) } # the state follows the command name, which may hold spaces and parens
  [[ "${stat:0:1}" != [ZX] ]]
}

# spawn PIDFILE LOGFILE CMD...: starts CMD in the background in its own session, detached
# from this shell's stdin and terminal, output to LOGFILE (the previous one kept as .1).
spawn() {
  local pidfile=$1 log=$2
  shift 2
  [[ -f "$log" ]] && mv -f "$log" "$log.1"
  (
    # close every inherited descriptor above stderr (the state lock, callers' pipes), so the
    # server neither holds the lock nor keeps a caller's output open
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-"
    done
    exec setsid "$@"
  ) </dev/null >"$log" 2>&1 &
  echo $! >"$pidfile"
}

# stop_pid PIDFILE MARK: SIGTERM, wait up to PARLEY_STOP_TIMEOUT_S, then SIGKILL.
stop_pid() {
  local pidfile=$1 mark=$2 timeout=${PARLEY_STOP_TIMEOUT_S:-15} pid i
  if running "$pidfile" "$mark"; then
    pid=$(<"$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < timeout * 10; i++)); do
      running "$pidfile" "$mark" || break
      sleep 0.1
    done
    if running "$pidfile" "$mark"; then
      echo "$SERVICE: pid $pid still running ${timeout}s after SIGTERM, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        running "$pidfile" "$mark" || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

# status_line PIDFILE MARK ADDR: prints the state and exits 0 if running, 3 if not.
status_line() {
  local rss
  if running "$1" "$2"; then
    rss=$(awk '/^VmRSS/ {print $2 " " $3}' "/proc/$(<"$1")/status" 2>/dev/null || true)
    echo "$SERVICE: running on $3, pid $(<"$1"), rss ${rss:-?}"
    exit 0
  fi
  echo "$SERVICE: stopped ($3)"
  exit 3
}

# sha_of FILE...: a short content hash of the files (and extra words passed via HASH_EXTRA).
sha_of() {
  { cat "$@"; echo "${HASH_EXTRA:-}"; } | sha256sum | cut -c1-16
}
