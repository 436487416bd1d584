#!/usr/bin/env bash
# Builds OpenTofu from the Go module proxy into .build/tofu/tofu, for the
# OpenTofu tier of the end-to-end tests (DRIFTGATE_TEST_TOFU).
#
# Usage: test/tools/build-tofu.sh [version] [out]
#   version  an OpenTofu module version (default $TOFU_VERSION, else v1.10.10)
#   out      the binary to write (default .build/tofu/tofu)
#
# Idempotent: when out exists and `out version` already prints the wanted
# version, nothing is built. The module is copied out of the read-only module
# cache into a writable scratch dir and built with version.dev=no, so `tofu
# version` prints "OpenTofu v1.10.10", not a -dev prerelease.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${1:-${TOFU_VERSION:-v1.10.10}}"
out="${2:-.build/tofu/tofu}"
want="OpenTofu ${version}"

# says prints the first line of `$1 version` (no pipe into head: under
# pipefail, tofu's SIGPIPE would fail it).
says() {
	local text
	text=$(CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null) || return 1
	printf '%s\n' "${text%%$'\n'*}"
}

if [ -x "$out" ] && [ "$(says "$out")" = "$want" ]; then
	echo "build-tofu: $out is already $want"
	exit 0
fi

go="${GO:-go}"
dir=$("$go" mod download -json "github.com/opentofu/opentofu@${version}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "build-tofu: go mod download gave no module dir for github.com/opentofu/opentofu@${version}" >&2
	exit 1
fi

src=$(mktemp -d "${TMPDIR:-/tmp}/build-tofu.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -R "$dir/." "$src/"
chmod -R u+w "$src"

mkdir -p "$(dirname "$out")"
abs_out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
echo "build-tofu: building OpenTofu ${version} into $out (a few minutes)"
(
	cd "$src"
	# GOFLAGS=-mod=mod: the module zip carries go.sum; GOTOOLCHAIN=local: build
	# with the Go on PATH rather than fetching the toolchain go.mod names.
	GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 "$go" build -trimpath \
		-ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
		-o "$abs_out.tmp" ./cmd/tofu
)
mv "$abs_out.tmp" "$abs_out"

got="$(says "$abs_out")"
if [ "$got" != "$want" ]; then
	echo "build-tofu: built $out but it prints \"$got\", want \"$want\"" >&2
	exit 1
fi
echo "build-tofu: $got"
