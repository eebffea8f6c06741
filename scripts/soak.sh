#!/usr/bin/env bash
# Soak run of the embedded server: steady chat traffic with reconnect churn for MINUTES
# (default 30), checking that the server's RSS and open descriptors stay flat, that nothing
# fails, and that the store holds exactly the messages acked `stored`.
#   scripts/soak.sh [MINUTES] [--report FILE] [--users N] [--rate MSG_PER_S] [--churn S] ...
# PARLEY_BIN is the server (default build/asan/bin/parley, built by scripts/build.sh asan).
# Every option: tests/integration/soak.py --help.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30
if (($#)) && [[ $1 != -* ]]; then
  minutes=$1
  shift
fi
export PARLEY_BIN=${PARLEY_BIN:-build/asan/bin/parley}
exec /usr/bin/python3 tests/integration/soak.py --minutes "$minutes" "$@"
