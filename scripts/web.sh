#!/usr/bin/env bash
# The web client (web/): React + TypeScript, built with Vite into web/dist, which parley
# serves at / (PARLEY_WEB_DIR). Needs Node >= 20.19 and npm; packages are cached in
# /var/cache/parley/npm.
#   scripts/web.sh build   install packages if package-lock.json changed, build if any
#                          source is newer than web/dist (a second run does nothing)
#   scripts/web.sh test    npm ci, build, unit tests (vitest), then the end-to-end suite in
#                          Chromium against $PARLEY_BIN (default build/asan/bin/parley)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cd web

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "web: Node.js >= 20.19 is needed to build the client (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
export npm_config_cache=/var/cache/parley/npm
mkdir -p "$npm_config_cache"
npm_ci() { npm ci --cache "$npm_config_cache" --prefer-offline --no-audit --no-fund; }

install_if_needed() {
  # npm ci writes node_modules/.package-lock.json; older than the lock means stale.
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm_ci
  fi
}

build_if_needed() {
  local stamp=dist/index.html
  if [[ -f $stamp ]] && [[ -z $(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json \
    -newer "$stamp" -print -quit 2>/dev/null) ]]; then
    echo "web: dist is up to date"
    return
  fi
  npm run build
}

case "${1:-build}" in
  build)
    install_if_needed
    build_if_needed
    ;;
  test)
    npm_ci
    build_if_needed
    echo "== web client: unit tests (vitest)"
    npm test
    echo "== web client: end-to-end tests (Chromium, real parley)"
    bin=${PARLEY_BIN:-build/asan/bin/parley}
    [[ $bin == /* ]] || bin=$root/$bin # relative to the repository, like the other suites
    PARLEY_BIN=$bin npm run e2e
    ;;
  *)
    echo "usage: $0 build|test" >&2
    exit 2
    ;;
esac
