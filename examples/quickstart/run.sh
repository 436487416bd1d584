#!/usr/bin/env bash
# Runs driftgate on the quickstart repo, offline: the stacks use driftgate's
# test provider (built by `make provider`) from a local filesystem mirror.
# Usage: run.sh DRIFTGATE_BINARY MIRROR_DIR   (make example passes both)
set -euo pipefail

dg=${1:?usage: run.sh DRIFTGATE_BINARY MIRROR_DIR}
mirror=${2:?usage: run.sh DRIFTGATE_BINARY MIRROR_DIR}
here=$(cd "$(dirname "$0")" && pwd)
work=${EXAMPLE_DIR:-$here/../../.build/example}

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
cp -R "$here/repo" "$work/repo"

# Terraform takes driftgate/* providers from the mirror and nothing from
# the network; the test provider keeps its objects under $DGTEST_ROOT.
cat > "$work/terraform.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/driftgate/*"]
  }
  direct {
    exclude = ["registry.terraform.io/driftgate/*"]
  }
}
TFRC
export TF_CLI_CONFIG_FILE="$work/terraform.tfrc"
export DGTEST_ROOT="$work/objects"
data="$work/data"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "driftgate discover $work/repo"
"$dg" discover "$work/repo"

step "driftgate affected --files modules/service/main.tf   (a change to the shared module)"
"$dg" affected "$work/repo" --files modules/service/main.tf

step "driftgate affected --files env/app.tfvars   (a var file of one stack)"
"$dg" affected "$work/repo" --files env/app.tfvars

for stack in network app; do
	step "driftgate plan stacks/$stack --store $data"
	code=0
	"$dg" plan "$work/repo/stacks/$stack" --data-dir "$data" --store "$data" || code=$?
	if [ "$code" -ne 2 ]; then
		echo "expected exit status 2 (changes), got $code" >&2
		exit 1
	fi
done

cat <<NEXT

Both stacks planned (exit status 2: changes to apply) and recorded in
$data/driftgate.db.
The database password from env/app.tfvars appears nowhere above: every
sensitive value is redacted before driftgate prints or stores it.

Try next (in this shell: export TF_CLI_CONFIG_FILE=$work/terraform.tfrc DGTEST_ROOT=$work/objects):
  $dg plan $work/repo/stacks/app --data-dir $data -o json
  $dg discover $work/repo -o json
  edit $work/repo/modules/service/main.tf and run:
  $dg affected $work/repo --files modules/service/main.tf
NEXT
