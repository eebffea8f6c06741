#!/usr/bin/env bash
# Redis, Kafka and FerretDB (MongoDB) together, each by its own script here, in parallel.
#   scripts/infra/all.sh start|stop|status|clean [--redis PORT] [--kafka PORT] [--mongo PORT]
# Ports default to the scripts' own (6390, 9092 with its controller on 9093, 27018).
# start prints the variables the tests read, one `export NAME=value` a line, so
#   eval "$(scripts/infra/all.sh start)"
# sets them for this shell and what it runs. A failure prints the failing servers' messages
# to stderr and exits 1; the servers that did start are left running (stop or clean them).
# status prints a line per server and exits 0 only if all three run.
set -euo pipefail
SERVICE=all
source "$(dirname "$0")/lib.sh"

usage() { echo "usage: $0 start|stop|status|clean [--redis PORT] [--kafka PORT] [--mongo PORT]" >&2; exit 2; }

cmd=${1:-}
[[ "$cmd" =~ ^(start|stop|status|clean)$ ]] || usage
shift
servers=(redis kafka ferretdb)
declare -A port=([redis]=6390 [kafka]=9092 [ferretdb]=27018)
while (($#)); do
  (($# >= 2)) || usage
  case "$1" in
    --redis) port[redis]=$2 ;;
    --kafka) port[kafka]=$2 ;;
    --mongo) port[ferretdb]=$2 ;;
    *) usage ;;
  esac
  check_port_arg "$2"
  shift 2
done

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
declare -A pid
for s in "${servers[@]}"; do
  "$INFRA_SRC/$s.sh" "$cmd" "${port[$s]}" >"$out/$s" 2>&1 &
  pid[$s]=$!
done
failed=0
for s in "${servers[@]}"; do
  rc=0
  wait "${pid[$s]}" || rc=$?
  if [[ "$cmd" == status ]]; then
    cat "$out/$s"
  elif ((rc != 0)) || [[ -s "$out/$s" ]]; then
    cat "$out/$s" >&2
  fi
  ((rc == 0)) || failed=1
done

if [[ "$cmd" == status ]]; then
  exit $((failed ? 3 : 0))
fi
((failed == 0)) || exit 1
if [[ "$cmd" == start ]]; then
  echo "export PARLEY_TEST_REDIS_URL=redis://127.0.0.1:${port[redis]}"
  echo "export PARLEY_TEST_KAFKA_BROKERS=127.0.0.1:${port[kafka]}"
  echo "export PARLEY_TEST_MONGO_URL=mongodb://127.0.0.1:${port[ferretdb]}"
fi
