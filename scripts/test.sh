#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer,
# and runs every test: unit and contract suites (ctest), then the integration suite
# against the real binary with a real SMTP server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
scripts/build.sh asan

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Real servers the contract tests need, on free ports, stopped on exit.
infra=$(mktemp -d /tmp/parley-test-infra.XXXXXX)
trap 'kill $(cat "$infra"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$infra"' EXIT
redis_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$infra" \
  --pidfile "$infra/redis.pid" --daemonize yes --logfile "$infra/redis.log"
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.05; done
export PARLEY_TEST_REDIS_URL="redis://127.0.0.1:$redis_port"

echo "== unit and contract tests (ASan+UBSan)"
ctest --test-dir build/asan --output-on-failure -j2 -L 'unit|contract'

# --- S3 pre-signer: the ASan+UBSan build's sigv4_presign tool must sign fixed and
# pseudo-random cases exactly as an independent SigV4 implementation does
# (@smithy/signature-v4 from npm; see tests/sigv4/crosscheck.mjs) ---
echo "== SigV4 cross-check against @smithy/signature-v4 (ASan+UBSan)"
(
  cd tests/sigv4
  npm ci --cache /var/cache/parley/npm --prefer-offline --no-audit --no-fund --loglevel=error
  node crosscheck.mjs ../../build/asan/bin/sigv4_presign
)

echo "== integration tests (real binary, ASan+UBSan)"
PARLEY_BIN=build/asan/bin/parley /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration

# --- web client: npm ci, build, vitest, then the browser end-to-end suite (Chromium)
# against the same ASan+UBSan binary ---
echo "== web client (build, unit and end-to-end tests)"
PARLEY_BIN=build/asan/bin/parley scripts/web.sh test
