#!/usr/bin/env bash
# The driftgate quickstart, offline. It makes a git repository of two stacks
# sharing a module, starts the driftgate daemon on it, waits until both
# stacks are planned, and tells you what to try next. The stacks use
# driftgate's test provider (built by `make provider`) from a local
# filesystem mirror, so nothing is downloaded.
#
# Usage: run.sh DRIFTGATE_BINARY MIRROR_DIR   (make example passes both)
#        run.sh --stop                        (make example-stop)
# Environment: EXAMPLE_DIR (default .build/example), EXAMPLE_ADDR (default
# 127.0.0.1:8089), EXAMPLE_STOP=1 to stop the daemon before exiting.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
if [ "${1:-}" != --stop ]; then
	dg=${1:?usage: run.sh DRIFTGATE_BINARY MIRROR_DIR | run.sh --stop}
	mirror=${2:?usage: run.sh DRIFTGATE_BINARY MIRROR_DIR | run.sh --stop}
fi
work=${EXAMPLE_DIR:-$here/../../.build/example}
addr=${EXAMPLE_ADDR:-127.0.0.1:8089}
command -v git >/dev/null || { echo "the quickstart needs git to make its example repository" >&2; exit 1; }

# A daemon left from an earlier run of the quickstart goes first.
if [ -f "$work/driftgate.pid" ]; then
	kill "$(cat "$work/driftgate.pid")" 2>/dev/null || true
	sleep 1
fi
if [ "${1:-}" = --stop ]; then
	rm -f "$work/driftgate.pid"
	exit 0
fi
rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "making a git repository of two stacks sharing a module: $work/repo"
cp -R "$here/repo" "$work/repo"
git -C "$work/repo" init -q -b main
git -C "$work/repo" add -A
git -C "$work/repo" -c user.name=quickstart -c user.email=quickstart@example.invalid \
	commit -qm "quickstart: network and app stacks sharing modules/service"
git -C "$work/repo" log --oneline

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

# The API token lives in a file only this user can read.
(umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > "$work/token")
cat > "$work/driftgate.hcl" <<HCL
data_dir          = "$work/data"
listen            = "$addr"
token_file        = "$work/token"
max_parallel_runs = 2

repo "quickstart" {
  url           = "$work/repo"
  branch        = "main"
  poll_interval = "2s"
}
HCL

step "driftgate discover and affected (local, no daemon needed)"
"$dg" discover "$work/repo"
"$dg" affected "$work/repo" --files modules/service/main.tf

step "starting the daemon: driftgate serve --config $work/driftgate.hcl"
"$dg" serve --config "$work/driftgate.hcl" > "$work/driftgate.log" 2>&1 &
echo $! > "$work/driftgate.pid"
export DRIFTGATE_ADDR="http://$addr"
DRIFTGATE_TOKEN="$(cat "$work/token")"
export DRIFTGATE_TOKEN

stop() {
	kill "$(cat "$work/driftgate.pid")" 2>/dev/null || true
	wait "$(cat "$work/driftgate.pid")" 2>/dev/null || true
	rm -f "$work/driftgate.pid"
}
fail() {
	echo "$*" >&2
	echo "--- daemon log ($work/driftgate.log):" >&2
	tail -30 "$work/driftgate.log" >&2
	stop
	exit 1
}

for _ in $(seq 1 150); do
	if "$dg" repos >/dev/null 2>&1; then break; fi
	kill -0 "$(cat "$work/driftgate.pid")" 2>/dev/null || fail "the daemon exited"
	sleep 0.2
done
"$dg" repos >/dev/null 2>&1 || fail "the daemon did not start"

step "waiting for the first plans of both stacks and the apply runs they open"
# runID STACK STATUS prints the id of the stack's newest run in STATUS.
runID() {
	"$dg" runs --stack "$1" --status "$2" -o json | grep -Eo '"id": ?"[0-9A-Z]+"' | head -1 | grep -Eo '[0-9A-Z]{26}' || true
}
# A plan with changes opens its apply run just after the plan is recorded,
# so wait for those, not only for the plans.
first= apply= netapply=
for _ in $(seq 1 300); do
	first=$(runID app planned)
	apply=$(runID app awaiting_approval)
	netapply=$(runID network awaiting_approval)
	[ -n "$first" ] && [ -n "$apply" ] && [ -n "$netapply" ] && break
	kill -0 "$(cat "$work/driftgate.pid")" 2>/dev/null || fail "the daemon exited"
	sleep 0.2
done
[ -n "$first" ] || fail "the stacks were not planned in time"
[ -n "$apply" ] && [ -n "$netapply" ] || fail "the apply runs of the first plans did not appear in time"
"$dg" repos
echo
"$dg" runs
echo
"$dg" show "$first"

cat <<NEXT

The daemon is running (pid $(cat "$work/driftgate.pid"), log $work/driftgate.log).
It plans every commit to main of $work/repo. Try, in this shell:

  export DRIFTGATE_ADDR=$DRIFTGATE_ADDR DRIFTGATE_TOKEN=\$(cat $work/token) PATH=$(dirname "$dg"):\$PATH
  driftgate runs                       # every run, newest first
  driftgate show $first --plan   # the redacted plan JSON (no password in it)

  # plans wait for approval; approved, driftgate applies exactly them. app
  # depends_on network, so app's apply waits until network has applied.
  driftgate show $apply          # the apply run and what it is bound to
  driftgate approve $apply --comment "first apply"
  driftgate approve $netapply && driftgate wait $apply
  driftgate state history quickstart app

  # change one stack and commit: only that stack is planned
  sed -i 's/"medium"/"large"/' $work/repo/env/app.tfvars
  git -C $work/repo commit -qam "bigger web" && sleep 4 && driftgate runs

  # change the shared module and commit: both stacks are planned
  echo '# tuned' >> $work/repo/modules/service/main.tf
  git -C $work/repo commit -qam "tune the service module" && sleep 4 && driftgate runs

  # plan one stack now, at the head, and wait for the result
  driftgate plan-stack quickstart network --wait

Web UI: http://$addr/
  Sign in with the API token in $work/token (cat $work/token); its session
  lasts 12h. The overview shows both stacks; open an apply run to approve it.

Stop the daemon with: make example-stop
NEXT

if [ "${EXAMPLE_STOP:-}" = 1 ]; then
	step "stopping the daemon (EXAMPLE_STOP=1)"
	stop
fi
