#!/usr/bin/env bash
# Configures (once) and builds one build directory incrementally, with ccache.
#   scripts/build.sh release|asan [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."

kind=$1
shift
export CCACHE_DIR=${CCACHE_DIR:-/var/cache/parley/ccache}
mkdir -p "$CCACHE_DIR"
case "$kind" in
  release) flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DPARLEY_SANITIZE=OFF) ;;
  asan) flags=(-DCMAKE_BUILD_TYPE=Debug -DPARLEY_SANITIZE=ON) ;;
  *) echo "usage: $0 release|asan [targets...]" >&2; exit 2 ;;
esac
dir=build/$kind
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache "${flags[@]}" >/dev/null
fi
if (($#)); then
  cmake --build "$dir" --target "$@"
else
  cmake --build "$dir"
fi
