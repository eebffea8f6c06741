#!/usr/bin/env bash
# Installs what is missing, builds, and starts the embedded server on
# http://127.0.0.1:8080 (data under ./data). Settings: PARLEY_* variables, see --help.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh release parley

# --- web client: built into web/dist (served at /), only when its sources changed ---
scripts/web.sh build

exec build/release/bin/parley "$@"
