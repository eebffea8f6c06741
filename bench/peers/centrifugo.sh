#!/usr/bin/env bash
# Prints the path of a Centrifugo binary of the version the bench compares against,
# building it first when missing (go install from the Go module proxy). Everything Go
# writes stays in a cache outside the repo; nothing relies on it being there already.
#   bench/peers/centrifugo.sh            # -> /var/cache/parley/go/bin/centrifugo
set -euo pipefail

version=v6.9.1
cache=${PARLEY_GO_CACHE:-/var/cache/parley/go}
export GOPATH=$cache GOMODCACHE=$cache/mod GOCACHE=$cache/build GOBIN=$cache/bin
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
bin=$GOBIN/centrifugo

if [[ ! -x $bin ]] || ! "$bin" version 2>/dev/null | grep -q "${version#v}"; then
  command -v go >/dev/null || { echo "centrifugo.sh: Go is needed to build Centrifugo" >&2; exit 1; }
  mkdir -p "$cache"
  echo "centrifugo.sh: building Centrifugo $version into $GOBIN (a few minutes the first time)" >&2
  # Release builds stamp the version the same way; without it `centrifugo version` says 0.0.0.
  go install -ldflags "-X github.com/centrifugal/centrifugo/v6/internal/build.Version=${version#v}" \
    "github.com/centrifugal/centrifugo/v6@$version" >&2
fi
echo "$bin"
