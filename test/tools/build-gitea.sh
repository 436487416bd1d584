#!/usr/bin/env bash
# Builds Gitea from the Go module proxy into .build/gitea/gitea, for the tests
# that run against a real Gitea (test/giteatest, DRIFTGATE_TEST_GITEA).
#
# Usage: test/tools/build-gitea.sh [version] [out]
#   version  a Gitea version without the v (default $GITEA_VERSION, else 1.27.3)
#   out      the binary to write (default .build/gitea/gitea)
#
# Idempotent: when out exists and `out --version` already prints the wanted
# version, nothing is built. The module is copied out of the read-only module
# cache into a writable scratch dir and built with sqlite, without bindata: its
# options/ (locales, licenses, gitignores) and templates/ directories, which
# Gitea then reads at run time, are copied next to the binary, where
# test/giteatest points Gitea's STATIC_ROOT_PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

version="${1:-${GITEA_VERSION:-1.27.3}}"
version="${version#v}"
out="${2:-.build/gitea/gitea}"
want="version ${version} "

outdir="$(dirname "$out")"
if [ -x "$out" ] && "$out" --version 2>/dev/null | grep -q -- "$want" && [ -d "$outdir/options" ] && [ -d "$outdir/templates" ]; then
	echo "build-gitea: $out is already Gitea ${version}"
	exit 0
fi

go="${GO:-go}"
dir=$("$go" mod download -json "code.gitea.io/gitea@v${version}" |
	sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "build-gitea: go mod download gave no module dir for code.gitea.io/gitea@v${version}" >&2
	exit 1
fi

src=$(mktemp -d "${TMPDIR:-/tmp}/build-gitea.XXXXXX")
trap 'chmod -R u+w "$src" 2>/dev/null; rm -rf "$src"' EXIT
cp -R "$dir/." "$src/"
chmod -R u+w "$src"

mkdir -p "$outdir"
abs_outdir="$(cd "$outdir" && pwd)"
abs_out="$abs_outdir/$(basename "$out")"
echo "build-gitea: building Gitea ${version} into $out (4 minutes on an idle 2-core machine)"
start=$(date +%s)
(
	cd "$src"
	# GOFLAGS=-mod=mod: the module zip carries go.sum; GOTOOLCHAIN=local: build
	# with the Go on PATH rather than fetching the toolchain go.mod names.
	GOFLAGS=-mod=mod GOTOOLCHAIN=local "$go" build -trimpath \
		-tags "sqlite sqlite_unlock_notify" \
		-ldflags "-s -w -X main.Version=${version}" \
		-o "$abs_out.tmp" .
)
for d in options templates; do
	rm -rf "$abs_outdir/$d.tmp"
	cp -R "$src/$d" "$abs_outdir/$d.tmp"
	chmod -R u+w "$abs_outdir/$d.tmp"
	rm -rf "${abs_outdir:?}/$d"
	mv "$abs_outdir/$d.tmp" "$abs_outdir/$d"
done
mv "$abs_out.tmp" "$abs_out"

got="$("$abs_out" --version 2>/dev/null | head -n1)"
case "$got" in
*"$want"*) ;;
*)
	echo "build-gitea: built $out but it prints \"$got\", want \"$want\"" >&2
	exit 1
	;;
esac
echo "build-gitea: $got (built in $(($(date +%s) - start)) s)"
