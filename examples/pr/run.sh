#!/usr/bin/env bash
# The driftgate pull-request quickstart, offline, on a local Gitea. It
# starts Gitea (built by `make gitea`) with sqlite, creates a user and a
# repository holding the bundled example (examples/quickstart/repo), starts
# the driftgate daemon with a forge block and registers its webhook, opens a
# pull request that changes the app stack, waits for driftgate's plan
# comment and status on it, and prints the PR's address and the comment.
# When Gitea is not built it says how to build it and exits 0.
#
# Usage: run.sh DRIFTGATE_BINARY MIRROR_DIR GITEA_BINARY   (make example-pr passes them)
#        run.sh --stop                                     (make example-pr-stop)
# Environment: EXAMPLE_DIR (default .build/example-pr), EXAMPLE_ADDR
# (driftgate, default 127.0.0.1:8090), EXAMPLE_GITEA_ADDR (default
# 127.0.0.1:3090), EXAMPLE_STOP=1 to stop both before exiting.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
usage="usage: run.sh DRIFTGATE_BINARY MIRROR_DIR GITEA_BINARY | run.sh --stop"
if [ "${1:-}" != --stop ]; then
	dg=${1:?$usage}
	mirror=${2:?$usage}
	gitea=${3:?$usage}
fi
work=${EXAMPLE_DIR:-$here/../../.build/example-pr}
addr=${EXAMPLE_ADDR:-127.0.0.1:8090}
gitea_addr=${EXAMPLE_GITEA_ADDR:-127.0.0.1:3090}

# Daemons left from an earlier run go first.
for p in driftgate gitea; do
	if [ -f "$work/$p.pid" ]; then
		kill "$(cat "$work/$p.pid")" 2>/dev/null || true
		rm -f "$work/$p.pid"
		sleep 1
	fi
done
if [ "${1:-}" = --stop ]; then
	exit 0
fi

if [ ! -x "$gitea" ]; then
	cat <<NOTE
The pull-request quickstart needs a local Gitea, and none is built at
$gitea.
Build it once with:

  make gitea        # Gitea from the Go module proxy into .build/gitea (a few minutes)

then run \`make example-pr\` again. (\`make example\` shows driftgate without
a forge.)
NOTE
	exit 0
fi
for tool in git curl; do
	command -v "$tool" >/dev/null || { echo "the PR quickstart needs $tool" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
gitea_url="http://$gitea_addr"
user=quickstart
password="quickstart-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
project="$user/infra"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
stop() {
	for p in driftgate gitea; do
		if [ -f "$work/$p.pid" ]; then
			kill "$(cat "$work/$p.pid")" 2>/dev/null || true
			wait "$(cat "$work/$p.pid")" 2>/dev/null || true
			rm -f "$work/$p.pid"
		fi
	done
}
fail() {
	echo "$*" >&2
	for log in driftgate.log gitea/gitea.out; do
		[ -f "$work/$log" ] && { echo "--- $work/$log:" >&2; tail -30 "$work/$log" >&2; }
	done
	stop
	exit 1
}
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

step "starting Gitea on $gitea_url (sqlite in $work/gitea)"
mkdir -p "$work/gitea"
{
	# Gitea refuses to run as root unless told it is on purpose.
	[ "$(id -u)" = 0 ] && echo "I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true"
	cat <<INI
APP_NAME = driftgate quickstart
RUN_MODE = prod
WORK_PATH = $work/gitea

[server]
PROTOCOL = http
HTTP_ADDR = ${gitea_addr%:*}
HTTP_PORT = ${gitea_addr##*:}
ROOT_URL = $gitea_url/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = $(dirname "$gitea")
APP_DATA_PATH = $work/gitea/data

[database]
DB_TYPE = sqlite3
PATH = $work/gitea/gitea.db

[repository]
ROOT = $work/gitea/repos
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = $(hex 32)
INTERNAL_TOKEN = $(hex 32)
; webhooks to driftgate on 127.0.0.1
ALLOWED_HOST_LIST = loopback

[service]
DISABLE_REGISTRATION = true

[mailer]
ENABLED = false

[queue]
TYPE = channel

[cron.update_checker]
ENABLED = false

[actions]
ENABLED = false

[log]
MODE = file
LEVEL = Warn
ROOT_PATH = $work/gitea/log
INI
} > "$work/gitea/app.ini"
gitea_cmd() { HOME="$work/gitea" GITEA_WORK_DIR="$work/gitea" "$gitea" --config "$work/gitea/app.ini" --work-path "$work/gitea" "$@"; }
gitea_cmd migrate > "$work/gitea/migrate.out" 2>&1 || fail "gitea migrate failed: see $work/gitea/migrate.out"
# driftgate's token: the scopes the README lists for Gitea, nothing more.
token=$(gitea_cmd admin user create --admin --username "$user" --password "$password" \
	--email "$user@example.invalid" --must-change-password=false \
	--access-token --access-token-name driftgate --access-token-scopes "write:repository,write:issue,read:user" 2>&1 |
	sed -n 's/.*Access token was successfully created\.\.\. \([0-9a-f]*\).*/\1/p')
[ -n "$token" ] || fail "gitea admin user create printed no token"
# A simple command in the background, not the function: $! is Gitea's pid.
HOME="$work/gitea" GITEA_WORK_DIR="$work/gitea" "$gitea" --config "$work/gitea/app.ini" --work-path "$work/gitea" \
	web --quiet > "$work/gitea/gitea.out" 2>&1 &
echo $! > "$work/gitea.pid"
for _ in $(seq 1 300); do
	curl -fsS "$gitea_url/api/v1/version" >/dev/null 2>&1 && break
	kill -0 "$(cat "$work/gitea.pid")" 2>/dev/null || fail "gitea exited"
	sleep 0.2
done
curl -fsS "$gitea_url/api/v1/version" >/dev/null 2>&1 || fail "gitea did not start"

# api METHOD PATH [JSON] calls Gitea's API as the user (driftgate's token
# is for driftgate only).
api() {
	curl -fsS -X "$1" -u "$user:$password" -H "Content-Type: application/json" \
		${3:+--data "$3"} "$gitea_url/api/v1$2"
}

(umask 077 && printf '%s\n' "$password" > "$work/gitea/password")

step "pushing the example repository to $gitea_url/$project"
api POST /user/repos '{"name":"infra","default_branch":"main","private":false}' >/dev/null || fail "could not create the repository"
cp -R "$here/../quickstart/repo" "$work/repo"
g() { git -C "$work/repo" -c user.name=quickstart -c user.email=quickstart@example.invalid -c credential.helper= "$@"; }
push_url="http://$user:$password@$gitea_addr/$project.git"
g init -q -b main
g add -A
g commit -qm "quickstart: network and app stacks sharing modules/service"
g remote add origin "$push_url"
g push -q origin main

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
(umask 077 && hex 16 > "$work/token")
# The forge token and the webhook secret reach driftgate through the
# environment; the config names the variables.
export GITEA_TOKEN="$token"
GITEA_WEBHOOK_SECRET=$(hex 16)
export GITEA_WEBHOOK_SECRET
cat > "$work/driftgate.hcl" <<HCL
data_dir          = "$work/data"
listen            = "$addr"
token_file        = "$work/token"
public_url        = "http://$addr"
max_parallel_runs = 2

repo "quickstart" {
  url           = "$gitea_url/$project.git"
  branch        = "main"
  poll_interval = "5s"
  forge {
    type               = "gitea"
    base_url           = "$gitea_url"
    project            = "$project"
    token_env          = "GITEA_TOKEN"
    webhook_secret_env = "GITEA_WEBHOOK_SECRET"
  }
}
HCL

step "starting the daemon: driftgate serve --config $work/driftgate.hcl"
"$dg" serve --config "$work/driftgate.hcl" > "$work/driftgate.log" 2>&1 &
echo $! > "$work/driftgate.pid"
export DRIFTGATE_ADDR="http://$addr"
DRIFTGATE_TOKEN="$(cat "$work/token")"
export DRIFTGATE_TOKEN
for _ in $(seq 1 300); do
	"$dg" runs --stack app --status planned -o json 2>/dev/null | grep -q '"id"' && break
	kill -0 "$(cat "$work/driftgate.pid")" 2>/dev/null || fail "the daemon exited"
	sleep 0.2
done
"$dg" runs --stack app --status planned -o json 2>/dev/null | grep -q '"id"' || fail "main was not planned in time"
"$dg" runs

step "registering driftgate's webhook: http://$addr/webhooks/quickstart"
api POST "/repos/$project/hooks" "$(printf '{"type":"gitea","active":true,"branch_filter":"*","config":{"url":"http://%s/webhooks/quickstart","content_type":"json","secret":"%s"},"events":["push","pull_request","pull_request_sync","issue_comment","pull_request_comment","pull_request_review_approved","pull_request_review_rejected","pull_request_review_comment"]}' "$addr" "$GITEA_WEBHOOK_SECRET")" >/dev/null ||
	fail "could not register the webhook"

step "opening a pull request that makes the web tier bigger"
g checkout -qb bigger-web
sed -i.orig 's/"medium"/"large"/' "$work/repo/env/app.tfvars" && rm -f "$work/repo/env/app.tfvars.orig"
g commit -qam "bigger web"
g push -q origin bigger-web
head=$(g rev-parse HEAD)
pr=$(api POST "/repos/$project/pulls" '{"head":"bigger-web","base":"main","title":"Bigger web"}') || fail "could not open the PR"
number=$(printf '%s' "$pr" | grep -o '"number":[0-9]*' | head -1 | cut -d: -f2)
pr_url="$gitea_url/$project/pulls/$number"

step "waiting for driftgate's plan comment and status on $pr_url"
# comment prints driftgate's comment on the PR, decoded from the JSON.
comment() {
	api GET "/repos/$project/issues/$number/comments" | grep -oE '"body":"([^"\\]|\\.)*"' | grep 'driftgate:plan:1 ' |
		head -1 | sed -e 's/^"body":"//' -e 's/"$//' -e 's/\\"/"/g' | { IFS= read -r b || true; printf '%b\n' "$b"; }
}
status=
for _ in $(seq 1 600); do
	# driftgate/plan is the only status on the head: the combined state is its.
	status=$(api GET "/repos/$project/commits/$head/status" | grep -o '"state":"[a-z]*"' | head -1 || true)
	case "$status" in *success* | *failure* | *error*) break ;; esac
	kill -0 "$(cat "$work/driftgate.pid")" 2>/dev/null || fail "the daemon exited"
	sleep 0.5
done
case "$status" in *success*) ;; *) fail "no successful driftgate/plan status on the PR head (${status:-none})" ;; esac
body=$(comment || true)
[ -n "$body" ] || fail "no driftgate comment on the PR"

cat <<DONE

Pull request: $pr_url
driftgate/plan status: success

The plan comment driftgate posted on it:

$body

Gitea runs at $gitea_url (pid $(cat "$work/gitea.pid")): sign in as $user with the
password in $work/gitea/password. driftgate runs at http://$addr (pid
$(cat "$work/driftgate.pid"), log $work/driftgate.log). Try:

  # push to the PR: the same comment is edited in place
  sed -i 's/"large"/"xlarge"/' $work/repo/env/app.tfvars
  git -C $work/repo commit -qam "even bigger web" && git -C $work/repo push -q origin bigger-web

  # or comment "/driftgate plan" on the PR to plan it again

  export DRIFTGATE_ADDR=$DRIFTGATE_ADDR DRIFTGATE_TOKEN=\$(cat $work/token) PATH=$(dirname "$dg"):\$PATH
  driftgate runs --pr $number

Stop both with: make example-pr-stop
DONE

if [ "${EXAMPLE_STOP:-}" = 1 ]; then
	step "stopping driftgate and Gitea (EXAMPLE_STOP=1)"
	stop
fi
