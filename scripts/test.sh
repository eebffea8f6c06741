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

echo "== unit and contract tests (ASan+UBSan)"
ctest --test-dir build/asan --output-on-failure -j2 -L 'unit|contract'

echo "== integration tests (real binary, ASan+UBSan)"
PARLEY_BIN=build/asan/bin/parley /usr/bin/python3 -m pytest -q -p no:cacheprovider tests/integration
