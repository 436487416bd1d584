#!/usr/bin/env bash
# Builds Pebble, Let's Encrypt's ACME test server, from the Go module proxy
# into .build/pebble/pebble, for the ACME end-to-end test (skipped without
# it). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."
version="${PEBBLE_VERSION:-v2.10.3}"
out=.build/pebble
if [ -x "$out/pebble" ] && go version -m "$out/pebble" | grep -q "pebble/v2[[:space:]]*${version}"; then
	echo "build-pebble: $out/pebble is already $version"
	exit 0
fi
mkdir -p "$out"
GOBIN="$(pwd)/$out" GOTOOLCHAIN=local go install "github.com/letsencrypt/pebble/v2/cmd/pebble@${version}"
echo "build-pebble: built $out/pebble $version"
