#!/usr/bin/env bash
# Parley's benchmarks in one command: builds parley and parley-loadgen (Release, in
# build/bench — never the developers' build/release or build/asan), then runs a scenario
# and writes its report to bench/results/.
#   bench/run.sh connections -n 1000,15000 --repeat 3
#   bench/run.sh --help
set -euo pipefail
cd "$(dirname "$0")/.."

# 15,000+ sockets per process: the server and every generator inherit this.
ulimit -n 20000

dir=build/bench
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/parley/ccache}
mkdir -p "$CCACHE_DIR"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPARLEY_SANITIZE=OFF -DPARLEY_BENCH=ON \
    "${launcher[@]}" >/dev/null
fi
cmake --build "$dir" --target parley parley-loadgen parley-ceiling >&2

exec /usr/bin/python3 bench/bench.py "$@"
