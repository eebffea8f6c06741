#!/usr/bin/env bash
# Prints the path of wrk, the HTTP load generator of the `rest` scenario, installing the
# Debian package first when missing (as root, like scripts/deps.sh).
#   bench/tools/wrk.sh            # -> /usr/bin/wrk
set -euo pipefail

if ! command -v wrk >/dev/null; then
  if [[ $(id -u) != 0 ]]; then
    echo "wrk.sh: wrk is missing; install the Debian package wrk (apt-get install wrk) as root" >&2
    exit 1
  fi
  echo "wrk.sh: installing wrk" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! out=$(apt-get update -qq 2>&1 && apt-get install -y -qq --no-install-recommends wrk 2>&1); then
    echo "$out" >&2
    exit 1
  fi
fi
command -v wrk
