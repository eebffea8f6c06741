#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz: clang, ASan+UBSan, in build/fuzz) and runs each for
# a fixed time on its seed corpus. The seeds (tests/fuzz/corpus/<name>/) are only read: what a
# run finds goes to a temporary directory, so a run leaves the tree as it was. Fails on any
# crash, leak, UBSan report, timeout or out-of-memory; the input that failed is kept in
# build/fuzz/artifacts/<name>/. One line per target (executions, corpus size) is printed and
# written to build/fuzz/summary.txt.
#   scripts/fuzz.sh [seconds-per-target] [targets...]   (default: 12 s each, every target)
#   scripts/fuzz.sh 600                                  (a longer hunt)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-12}
if (($#)); then shift; fi
targets=(config url jwt presigned rest ws)
if (($#)); then targets=("$@"); fi

export CCACHE_DIR=${CCACHE_DIR:-/var/cache/parley/ccache}
# Hits across checkouts (CI builds a fresh clone elsewhere): paths relative to the tree.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD} CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}
mkdir -p "$CCACHE_DIR"
dir=build/fuzz
if [[ ! -f $dir/build.ninja ]]; then
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-g -O1" \
    -DPARLEY_FUZZ=ON -DPARLEY_TESTS=OFF -DPARLEY_WERROR=OFF >/dev/null
fi
cmake --build "$dir" -j 2 --target "${targets[@]/%/_fuzz}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Scratch files (the inputs found, the config target's file, the media targets' uploads) in
# memory when there is a tmpfs: on disk, each file write costs milliseconds.
[[ -d /dev/shm && -w /dev/shm ]] && export TMPDIR=/dev/shm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The targets' own scratch files go with it (libFuzzer's exit skips their clean-up).
mkdir -p "$work/tmp" && export TMPDIR=$work/tmp
: >"$dir/summary.txt"
rm -rf "$dir/artifacts" # what an earlier run kept
failed=()
for t in "${targets[@]}"; do
  seeds=tests/fuzz/corpus/$t
  [[ -d $seeds ]] || { echo "fuzz: no seed corpus $seeds" >&2; exit 2; }
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
    -artifact_prefix="$work/$t/artifacts/")
  [[ -f tests/fuzz/$t.dict ]] && args+=(-dict="tests/fuzz/$t.dict")
  # These keep a server's state from input to input (stored messages, sessions): what one input
  # allocates and keeps is not a leak, so the leak check runs once, at exit, not after each input.
  [[ $t == rest || $t == ws ]] && args+=(-detect_leaks=0)
  log=$dir/$t.log
  status=ok
  # The first directory gets what the run finds; the seeds are read only.
  "$dir/bin/${t}_fuzz" "${args[@]}" "$work/$t/corpus" "$seeds" >"$log" 2>&1 || status=FAILED
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  corpus=$(sed -n 's/.*DONE .*corp: \([0-9]*\)\/\([0-9a-zA-Z]*\).*/\1 inputs, \2/p' "$log" | tail -1)
  line=$(printf '%-10s %-6s %10s executions in %3ss  corpus: %s' "$t" "$status" "${execs:-?}" "$seconds" \
    "${corpus:-?}")
  echo "$line" | tee -a "$dir/summary.txt"
  if [[ $status != ok ]]; then
    failed+=("$t")
    mkdir -p "$dir/artifacts/$t"
    cp "$work/$t/artifacts/"* "$dir/artifacts/$t/" 2>/dev/null || true
    echo "--- $t: the end of $log (the failing input is in $dir/artifacts/$t/):" >&2
    tail -n 40 "$log" >&2
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
