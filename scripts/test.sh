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

# Real servers the contract tests need (Redis, Kafka, FerretDB), on free ports away from the
# defaults so a developer's running ones are never touched; stopped and removed on exit.
source scripts/infra/lib.sh # free_ports
infra_base=$(free_ports 4) # Redis, Kafka and its controller, FerretDB
infra_ports=(--redis "$infra_base" --kafka $((infra_base + 1)) --mongo $((infra_base + 3)))
trap 'scripts/infra/all.sh clean "${infra_ports[@]}"' EXIT
echo "== test servers: Redis, Kafka, FerretDB"
infra_env=$(scripts/infra/all.sh start "${infra_ports[@]}") # an eval of $(...) hides its failure
eval "$infra_env"

echo "== docker-compose.yml"
PARLEY_SERVICE_TOKEN=compose-config-check-0123456789 docker-compose -f docker-compose.yml config -q

echo "== unit and contract tests (ASan+UBSan)"
ctest --test-dir build/asan --output-on-failure -j2 -L 'unit|contract'

# --- every parser that sees outside bytes, fuzzed for a few seconds each on its seed corpus
# (tests/fuzz; a longer hunt: scripts/fuzz.sh 600) ---
echo "== fuzzing (libFuzzer, ASan+UBSan)"
scripts/fuzz.sh 12

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

# --- Schemathesis (from PyPI, in a virtualenv under /var/cache/parley) generates requests for
# every operation of docs/openapi.yaml: no 5xx, every response as documented
# (tests/api_fuzz; a longer hunt: scripts/api_fuzz.sh --long) ---
echo "== API fuzzing (Schemathesis vs docs/openapi.yaml)"
PARLEY_BIN=build/asan/bin/parley scripts/api_fuzz.sh

# --- soak: steady chat traffic with reconnect churn; RSS and descriptors flat, the store
# exactly what was acked (scripts/soak.sh runs the 30-minute form) ---
echo "== soak (2 min)"
PARLEY_BIN=build/asan/bin/parley scripts/soak.sh 2 --report build/asan/soak-report.json

# --- web client: npm ci, build, vitest, then the browser end-to-end suite (Chromium)
# against the same ASan+UBSan binary ---
echo "== web client (build, unit and end-to-end tests)"
PARLEY_BIN=build/asan/bin/parley scripts/web.sh test
