#!/usr/bin/env bash
# Installs what Parley needs on Debian 12 (as root), only what is missing.
#   scripts/deps.sh        build and run
#   scripts/deps.sh test   also what the tests need
set -euo pipefail

packages=(g++ cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libexpected-dev
  libsodium-dev libsqlite3-dev libcurl4-openssl-dev libhiredis-dev librdkafka-dev
  libmongoc-dev libbson-dev libssl-dev) # libssl-dev: HTTPS and WSS (PARLEY_TLS_*)
if [[ "${1:-}" == test ]]; then
  packages+=(libgtest-dev python3 python3-pytest python3-requests python3-aiosmtpd python3-yaml python3-websocket redis-server
    python3-cryptography            # makes certificates at test time (test_tls.py), checks JWT signatures
    python3-venv                    # Schemathesis's virtualenv (scripts/api_fuzz.sh)
    chromium fonts-noto-color-emoji # chromium: the web client's end-to-end tests
    clang libclang-rt-14-dev        # libFuzzer (scripts/fuzz.sh)
    docker-compose)                 # validates docker-compose.yml
  # Node.js and npm for the SigV4 cross-check (tests/sigv4); a Node.js installed another way
  # (e.g. from NodeSource, which bundles npm) is kept.
  command -v node >/dev/null || packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
