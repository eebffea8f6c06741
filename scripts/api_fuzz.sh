#!/usr/bin/env bash
# Schemathesis against docs/openapi.yaml and the real server (tests/api_fuzz): generated valid
# and invalid requests for every operation; no 5xx, and every status code, content type,
# header and body as documented.
#   scripts/api_fuzz.sh          the CI form (100 test cases per operation in each phase, fixed seed; about a minute)
#   scripts/api_fuzz.sh --long   a longer hunt: a new seed, fuzzing and stateful phases repeated for 20 minutes
# Environment: PARLEY_BIN (default build/asan/bin/parley, built beforehand), and
# PARLEY_FUZZ_EXAMPLES, PARLEY_FUZZ_SEED, PARLEY_FUZZ_MAX_TIME, PARLEY_FUZZ_REPORT_DIR
# (see tests/api_fuzz/test_schemathesis.py).
# Schemathesis comes from PyPI, pinned in tests/api_fuzz/requirements.txt, into a virtualenv
# outside the repository, made (or remade when the pins change) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == --long ]]; then
  export PARLEY_FUZZ_EXAMPLES=${PARLEY_FUZZ_EXAMPLES:-1000} PARLEY_FUZZ_SEED=${PARLEY_FUZZ_SEED:-random}
  export PARLEY_FUZZ_MAX_TIME=${PARLEY_FUZZ_MAX_TIME:-1200}
elif [[ $# -gt 0 ]]; then
  echo "usage: scripts/api_fuzz.sh [--long]" >&2
  exit 2
fi

venv=${PARLEY_SCHEMATHESIS_VENV:-/var/cache/parley/venv-schemathesis}
requirements=tests/api_fuzz/requirements.txt
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/schemathesis" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  echo "api_fuzz: installing Schemathesis into $venv"
  [[ ! -e "$venv" || -f "$venv/pyvenv.cfg" ]] || { echo "api_fuzz: $venv is not a virtualenv" >&2; exit 1; }
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")" /var/cache/parley/pip
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --cache-dir /var/cache/parley/pip \
    -r "$requirements"
  echo "$want" >"$stamp"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
PARLEY_SCHEMATHESIS="$venv/bin/schemathesis" PARLEY_BIN=${PARLEY_BIN:-build/asan/bin/parley} \
  /usr/bin/python3 -m pytest -q -s -p no:cacheprovider tests/api_fuzz
