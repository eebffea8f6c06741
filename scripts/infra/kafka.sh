#!/usr/bin/env bash
# An Apache Kafka 4.1 broker on 127.0.0.1 for tests and local distributed runs: one node in
# KRaft combined mode (broker and controller in one JVM), its jars fetched from Maven Central
# once (scripts/infra/kafka/pom.xml) into $PARLEY_CACHE_DIR/kafka-<hash of the pom>, its data
# under $PARLEY_INFRA_DIR/kafka-<port>. Topics are not created on first use: clients create
# theirs, as they must against a production cluster.
#   scripts/infra/kafka.sh start|stop|status|clean [port]   (port default 9092)
# The controller listens on port+1. start formats the data dir the first time and waits until
# the broker answers a Metadata request that lists it; a start of a running broker only checks
# that. stop sends SIGTERM, then SIGKILL after a timeout (PARLEY_STOP_TIMEOUT_S, here 30 s by
# default: the first broker's exit also writes the class-data-sharing archive that later
# starts use); clean stops and removes the state dir. Quiet on success; logs in the state
# dir. PARLEY_KAFKA_HEAP sets -Xmx (default 512m).
set -euo pipefail
SERVICE=kafka
source "$(dirname "$0")/lib.sh"

cmd=${1:-}
port=${2:-9092}
check_port_arg "$port"
((port < 65535)) || die "port $port leaves no room for the controller on port+1"
controller_port=$((port + 1))
state="$INFRA_DIR/kafka-$port"
pidfile="$state/kafka.pid"
log="$state/kafka.log"
conf="$state/server.properties"
mark="kafka.Kafka $conf"
libs="$CACHE_DIR/kafka-$(sha_of "$INFRA_SRC/kafka/pom.xml")"
ready_timeout_s=120
PARLEY_STOP_TIMEOUT_S=${PARLEY_STOP_TIMEOUT_S:-30} # read by stop_pid

ensure_installed() {
  local missing=()
  command -v java >/dev/null || missing+=(default-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  command -v python3 >/dev/null || missing+=(python3)
  ((${#missing[@]} == 0)) || apt_install "${missing[@]}"
}

# ensure_libs: the broker's jars in $libs/lib, fetched by Maven the first time (its local
# repository is cached too); one fetch at a time, and a half-done fetch is never used.
ensure_libs() {
  [[ -f "$libs/.complete" ]] && return
  mkdir -p "$CACHE_DIR"
  (
    flock 8
    [[ -f "$libs/.complete" ]] && exit 0
    tmp=$(mktemp -d "$CACHE_DIR/.kafka-libs.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    cp "$INFRA_SRC/kafka/pom.xml" "$tmp/pom.xml" # Maven writes beside the pom: not in the repo
    if ! mvn -q -B -f "$tmp/pom.xml" -Dmaven.repo.local="$CACHE_DIR/m2" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib" \
      >"$tmp/mvn.log" 2>&1; then
      fail_with_log "fetching the Kafka jars with Maven failed" "$tmp/mvn.log"
    fi
    ls "$tmp"/lib/kafka_2.13-*.jar >/dev/null 2>&1 || fail_with_log "Maven fetched no Kafka jar" "$tmp/mvn.log"
    rm -rf "$libs"
    mkdir -p "$libs"
    mv "$tmp/lib" "$libs/lib"
    touch "$libs/.complete"
  ) 8>"$CACHE_DIR/.kafka-libs.lock"
}

write_config() {
  cat >"$conf" <<EOF
# Written by scripts/infra/kafka.sh at each start: a single-node KRaft cluster for tests.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$state/data
# one node: every internal topic has one replica, and one partition keeps start-up quick
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.partitions=1
num.network.threads=2
num.io.threads=4
EOF
}

# cluster_id: a random Kafka UUID (16 bytes, base64url without padding), never starting with
# "-" (the storage tool would read it as an option; 1 start in 64 failed before), as Kafka's own
# Uuid.randomUuid() avoids.
cluster_id() {
  local id=-
  while [[ $id == -* ]]; do id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'); done
  echo "$id"
}

# cds_archive: the path of the broker's class-data-sharing archive for this JVM build. The
# first broker dumps it at exit (on stop); later ones map it and start with about half the CPU.
cds_archive() {
  local java jvm_id
  java=$(readlink -f "$(command -v java)")
  jvm_id="$java $(stat -c '%s %Y' "${java%/bin/java}/lib/server/libjvm.so" 2>/dev/null || true)"
  echo "$libs/kafka-$(HASH_EXTRA="$jvm_id" sha_of /dev/null).jsa"
}

# keep_cds_archive: after a stop, keeps the archive the broker dumped if the JVM can map it
# (a broker killed mid-dump leaves a truncated one, which is dropped).
keep_cds_archive() {
  [[ -f "$state/cds.pending" ]] || return 0
  local archive pending
  archive=$(<"$state/cds.pending")
  pending="$archive.$port.new"
  rm -f "$state/cds.pending"
  if [[ -s "$pending" && ! -s "$archive" ]] &&
    (cd "$state" && java -Xshare:on -XX:SharedArchiveFile="$pending" -XX:ErrorFile=/dev/null \
      -XX:-CreateCoredumpOnCrash -cp "$libs/lib/*" -version >/dev/null 2>&1); then
    mv -f "$pending" "$archive"
  fi
  rm -f "$pending"
}

stop() {
  lock_state "$state"
  stop_pid "$pidfile" "$mark"
  keep_cds_archive
}

ping_ok() {
  python3 "$INFRA_SRC/kafka/ping.py" "127.0.0.1:$port" 2 2>/dev/null
}

# wait_ready T0: waits until the broker answers, fails (stopping it) if it exits or never does.
wait_ready() {
  local t0=$1 i
  for ((i = 0; i < ready_timeout_s * 5; i++)); do
    ping_ok && { echo "ready in $(($(now_ms) - t0)) ms" >>"$log"; return; }
    alive "$pidfile" || fail_with_log "the broker exited at start" "$log"
    sleep 0.2
  done
  stop_pid "$pidfile" "$mark"
  fail_with_log "no Metadata answer on 127.0.0.1:$port after ${ready_timeout_s} s" "$log"
}

start() {
  ensure_installed
  lock_state "$state"
  local t0
  t0=$(now_ms)
  if running "$pidfile" "$mark"; then
    wait_ready "$t0" # a broker started by a start that was interrupted may still be coming up
    return
  fi
  port_open "$port" && die "127.0.0.1:$port is in use by another process"
  port_open "$controller_port" && die "127.0.0.1:$controller_port (the controller's) is in use by another process"
  ensure_libs
  write_config
  if [[ ! -f "$state/data/meta.properties" ]]; then
    java -Xmx256m -cp "$libs/lib/*" kafka.tools.StorageTool format -t "$(cluster_id)" -c "$conf" \
      >"$state/format.log" 2>&1 || fail_with_log "formatting $state/data failed" "$state/format.log"
  fi
  local archive cds
  archive=$(cds_archive)
  if [[ -s "$archive" ]]; then
    cds=-XX:SharedArchiveFile=$archive
  else
    cds=-XX:ArchiveClassesAtExit=$archive.$port.new
    echo "$archive" >"$state/cds.pending"
  fi
  spawn "$pidfile" "$log" java "$cds" -Xms128m -Xmx"${PARLEY_KAFKA_HEAP:-512m}" -XX:+UseG1GC \
    -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -Dorg.slf4j.simpleLogger.dateTimeFormat="yyyy-MM-dd'T'HH:mm:ss.SSS" \
    -cp "$libs/lib/*" kafka.Kafka "$conf"
  wait_ready "$t0"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status_line "$pidfile" "$mark" "127.0.0.1:$port" ;;
  clean) stop; rm -rf "$state" ;;
  *) echo "usage: $0 start|stop|status|clean [port]" >&2; exit 2 ;;
esac
