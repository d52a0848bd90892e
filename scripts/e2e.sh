#!/usr/bin/env bash
# e2e.sh: `make e2e`. Builds both images offline, runs the compose stack under
# its own project name on random loopback ports, drives it with plain HTTP
# requests, and tears it down with its volume, also on failure or timeout.
#
# Environment:
#   SKIP_E2E=1        skip (successfully) when there is no Docker engine; without
#                     it, a missing engine is an error
#   GO_IMAGE          builder image; default: made by scripts/builder-image.sh
#   E2E_TIMEOUT       bound on the whole run in seconds (default 1800: a new builder
#                     image alone takes minutes on 2 cores)
#   E2E_HEALTH_TIMEOUT  bound on each wait for healthy containers (default 120)
#   E2E_KEEP=1        leave the stack running after the checks (debugging)
#   COMPOSE           the compose command (default: detected, v2 or v1)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Bound the whole run: re-run under timeout(1); its TERM reaches the trap below.
if [[ -z "${E2E_BOUNDED:-}" ]] && command -v timeout >/dev/null 2>&1; then
	export E2E_BOUNDED=1
	exec timeout --kill-after=60 "${E2E_TIMEOUT:-1800}" "$0" "$@"
fi

say() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
pass() { printf 'ok   %s\n' "$*"; }

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
	if [[ "${SKIP_E2E:-0}" == 1 ]]; then
		echo "e2e: SKIPPED (SKIP_E2E=1): no Docker engine answers"
		exit 0
	fi
	require_docker || true
	echo "e2e: make e2e needs a Docker engine. Set SKIP_E2E=1 to skip the container tests explicitly." >&2
	exit 1
fi
for tool in curl jq; do
	command -v "$tool" >/dev/null || fail "make e2e needs $tool (apt-get install $tool)"
done
read -r -a compose <<<"$(compose_cmd)"

project="jwtms-e2e-$$"
tmp=$(mktemp -d)
envfile="$tmp/env"
jar="$tmp/cookies"
body="$tmp/body"
health_timeout=${E2E_HEALTH_TIMEOUT:-120}

# The stack sees only the variables of $envfile: the user's .env is not read
# (--env-file), and shell variables, which would win over it, are unset.
go_image=${GO_IMAGE:-}
unset SECRET_KEY SECRET_KEY_PREVIOUS ISSUER JWT_AUDIENCE LOG_LEVEL TRUSTED_PROXIES \
	ACCESS_TOKEN_TTL REFRESH_TOKEN_TTL BCRYPT_COST BOOTSTRAP_ADMIN_USERNAME BOOTSTRAP_ADMIN_PASSWORD \
	COOKIE_SECURE PUBLISH_ADDRESS AUTH_API_PUBLISHED_PORT WEB_FRONTEND_PUBLISHED_PORT \
	GO_IMAGE IMAGE_TAG VERSION REVISION COMPOSE_FILE COMPOSE_PROJECT_NAME \
	STACK_SUBNET FRONTEND_ADDRESS

admin_user=e2e-admin
admin_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
user_name="e2e-user-$$"
user_pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')

dc() { "${compose[@]}" --env-file "$envfile" -p "$project" -f docker-compose.yml "$@"; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -f "$envfile" ]]; then
		if [[ $rc != 0 ]]; then
			say "failure: container state and logs"
			dc ps || true
			dc logs --no-color --tail=80 || true
		fi
		if [[ "${E2E_KEEP:-0}" == 1 && $rc == 0 ]]; then
			echo "E2E_KEEP=1: project $project left running; remove with:"
			echo "  ${compose[*]} --env-file $envfile -p $project down -v"
			exit "$rc"
		fi
		say "tear-down: $project (containers, network, volume)"
		dc down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || echo "warning: $project tear-down failed" >&2
	fi
	rm -rf "$tmp"
	[[ $rc == 0 ]] && echo "e2e: PASS" || echo "e2e: FAIL (exit $rc)" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "e2e: interrupted or timed out" >&2; exit 124' INT TERM

say "compose: ${compose[*]} ($("${compose[@]}" version --short 2>/dev/null || true)), project $project"

# The offline builder (or the one given in GO_IMAGE).
if [[ -z "$go_image" ]]; then
	say "builder image (offline, scripts/builder-image.sh)"
	go_image=$(scripts/builder-image.sh)
fi
echo "GO_IMAGE=$go_image"

# A subnet of its own, so the run does not collide with a stack from make up.
stack_net="172.29.$(($$ % 200 + 20))"

cat >"$envfile" <<EOF
SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
ISSUER=auth-api
LOG_LEVEL=info
BCRYPT_COST=10
BOOTSTRAP_ADMIN_USERNAME=$admin_user
BOOTSTRAP_ADMIN_PASSWORD=$admin_pass
COOKIE_SECURE=false
PUBLISH_ADDRESS=127.0.0.1
STACK_SUBNET=$stack_net.0/24
FRONTEND_ADDRESS=$stack_net.10
AUTH_API_PUBLISHED_PORT=
WEB_FRONTEND_PUBLISHED_PORT=
GO_IMAGE=$go_image
IMAGE_TAG=e2e
VERSION=e2e-$(git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
EOF

say "compose refuses to start without SECRET_KEY"
: >"$tmp/empty.env"
if out=$("${compose[@]}" --env-file "$tmp/empty.env" -p "$project-nokey" -f docker-compose.yml config 2>&1); then
	fail "compose config succeeded without SECRET_KEY"
fi
grep -q "SECRET_KEY is not set" <<<"$out" || fail "missing-SECRET_KEY message not shown; got: $out"
pass "missing SECRET_KEY: compose stops with the message"

say "build both images (offline)"
t0=$(date +%s)
dc build
echo "build took $(($(date +%s) - t0)) s"
for svc in auth-api web-frontend; do
	bytes=$(docker image inspect -f '{{.Size}}' "jwt-micro-system/$svc:e2e")
	printf 'image jwt-micro-system/%s:e2e  %s bytes (%s MB)\n' "$svc" "$bytes" "$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')"
done

# wait_healthy SVC…: every service's container reports healthy, or fail.
wait_healthy() {
	local deadline=$(($(date +%s) + health_timeout)) svc id status
	for svc in "$@"; do
		while :; do
			id=$(dc ps -q "$svc" 2>/dev/null || true)
			status=$( [[ -n "$id" ]] && docker inspect -f '{{.State.Health.Status}}' "$id" 2>/dev/null || echo none)
			[[ "$status" == healthy ]] && break
			(($(date +%s) < deadline)) || fail "$svc not healthy after ${health_timeout}s (status: $status)"
			sleep 0.5
		done
	done
}

# published SVC PORT prints host:port of a published container port.
published() { dc port "$1" "$2" | tail -n 1 | tr -d '\r'; }

say "up: until both containers are healthy"
t0=$(date +%s.%N)
dc up -d
wait_healthy auth-api web-frontend
up_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')
echo "up -> healthy: $up_secs s"
api="http://$(published auth-api 10000)"
web="http://$(published web-frontend 8080)"
echo "auth-api at $api, web-frontend at $web"

# http METHOD URL [curl args…]: prints the status code; the body goes to $body.
http() {
	local method=$1 url=$2
	shift 2
	curl -sS -o "$body" -w '%{http_code}' --max-time 10 -X "$method" "$url" "$@"
}
expect() { # expect WANT GOT WHAT
	[[ "$2" == "$1" ]] || fail "$3: got status $2, want $1; body: $(head -c 400 "$body")"
	pass "$3 ($2)"
}
json_login() { # json_login USER PASS -> status; body has the tokens
	http POST "$api/login" -H 'Content-Type: application/json' \
		--data "$(jq -nc --arg u "$1" --arg p "$2" '{username:$u,password:$p}')"
}
form_login() { # form_login JAR USER PASS -> status
	http POST "$web/login" -c "$1" -b "$1" -H 'Sec-Fetch-Site: same-origin' \
		--data-urlencode "username=$2" --data-urlencode "password=$3"
}

say "security settings of the running containers"
for svc in auth-api web-frontend; do
	id=$(dc ps -q "$svc")
	got=$(docker inspect -f '{{.Config.User}} ro={{.HostConfig.ReadonlyRootfs}} caps={{.HostConfig.CapDrop}} sec={{.HostConfig.SecurityOpt}}' "$id")
	[[ "$got" == "65532:65532 ro=true caps=[ALL] sec=[no-new-privileges:true]" ]] || fail "$svc runs with: $got"
	pass "$svc: non-root 65532, read-only root, no capabilities, no-new-privileges"
done

say "auth-api: login and /me"
expect 200 "$(json_login "$admin_user" "$admin_pass")" "POST /login (bootstrap admin)"
admin_token=$(jq -r '.access_token // empty' "$body")
[[ -n "$admin_token" && "$(jq -r .token "$body")" == "$admin_token" ]] || fail "login response lacks access_token/token: $(cat "$body")"
[[ -n "$(jq -r '.refresh_token // empty' "$body")" ]] || fail "login response lacks refresh_token"
expect 200 "$(http GET "$api/me" -H "Authorization: Bearer $admin_token")" "GET /me with the access token"
[[ "$(jq -r .sub "$body")" == "$admin_user" ]] || fail "/me sub: got $(jq -c . "$body"), want $admin_user"
expect 401 "$(http GET "$api/me")" "GET /me without a token"
expect 401 "$(json_login "$admin_user" "wrong-password")" "POST /login with a wrong password"
expect 201 "$(http POST "$api/users" -H "Authorization: Bearer $admin_token" -H 'Content-Type: application/json' \
	--data "$(jq -nc --arg u "$user_name" --arg p "$user_pass" '{username:$u,password:$p,role:"user"}')")" \
	"POST /users creates $user_name"

say "web-frontend: form login, dashboard, /api/me"
expect 200 "$(http GET "$web/login")" "GET /login"
grep -qi '<form' "$body" || fail "GET /login has no form"
expect 303 "$(form_login "$jar" "$user_name" "$user_pass")" "POST /login (form)"
expect 200 "$(http GET "$web/" -b "$jar")" "GET / (dashboard) with the session"
grep -q "$user_name" "$body" || fail "dashboard does not name $user_name"
expect 200 "$(http GET "$web/api/me" -b "$jar")" "GET /api/me with the session"
[[ "$(jq -r .sub "$body")" == "$user_name" ]] || fail "/api/me sub: got $(cat "$body"), want $user_name"
expect 401 "$(http GET "$web/api/me")" "GET /api/me without a session"

say "auth-api counts the client behind a form login, not the web-frontend"
expect 401 "$(form_login "$tmp/jar-bad" "$user_name" "not-the-password")" "POST /login (form) with a wrong password"
failed=$(dc logs --no-color auth-api 2>/dev/null | grep '"msg":"login failed"' | grep "\"username\":\"$user_name\"" | tail -n 1)
seen=$(sed -n 's/.*"client_ip":"\([^"]*\)".*/\1/p' <<<"$failed")
[[ -n "$seen" ]] || fail "auth-api logged no failed login for $user_name; got: $failed"
[[ "$seen" != "$stack_net.10" ]] || fail "auth-api counted the failed form login against the web-frontend ($seen): TRUSTED_PROXIES does not reach it"
pass "failed form login counted against client $seen, not the web-frontend ($stack_net.10)"

say "one SECRET_KEY: a token from auth-api is accepted by web-frontend"
expect 200 "$(http GET "$web/api/me" -H "Authorization: Bearer $admin_token")" "GET /api/me with auth-api's bearer token"
[[ "$(jq -r .sub "$body")" == "$admin_user" ]] || fail "/api/me sub: got $(cat "$body"), want $admin_user"
expect 401 "$(http GET "$web/api/me" -H "Authorization: Bearer ${admin_token%??????}AAAAAA")" "GET /api/me with a tampered token"

say "auth-api stopped: sessions still served, new logins get the 503 page"
dc stop auth-api
expect 200 "$(http GET "$web/" -b "$jar")" "GET / with the existing session"
expect 200 "$(http GET "$web/api/me" -b "$jar")" "GET /api/me with the existing session"
expect 503 "$(form_login "$tmp/jar2" "$user_name" "$user_pass")" "POST /login while auth-api is down"
grep -qi '<html' "$body" || fail "the 503 answer is not an HTML page"

say "auth-api started again: logins work, the user is still there (volume)"
dc start auth-api
wait_healthy auth-api
api="http://$(published auth-api 10000)"
expect 200 "$(json_login "$user_name" "$user_pass")" "POST /login at auth-api as $user_name"
expect 303 "$(form_login "$tmp/jar3" "$user_name" "$user_pass")" "POST /login (form) as $user_name"

say "web-frontend restarted: the existing session is still valid"
dc restart web-frontend
wait_healthy web-frontend
web="http://$(published web-frontend 8080)"
expect 200 "$(http GET "$web/api/me" -b "$jar")" "GET /api/me with the session from before the restart"
[[ "$(jq -r .sub "$body")" == "$user_name" ]] || fail "/api/me sub after restart: got $(cat "$body")"

say "browser flows in headless Chromium against the containers (go test ./e2e -run Browser)"
# The flows that need a short ACCESS_TOKEN_TTL skip here, saying so (they
# run against the binaries in make test); the rest drive the containers.
browser_log="$tmp/browser.log"
browser_rc=0
E2E_FRONTEND_URL="$web" E2E_API_URL="$api" E2E_ADMIN_USER="$admin_user" E2E_ADMIN_PASSWORD="$admin_pass" \
	go test -count=1 -v -run Browser ./e2e >"$browser_log" 2>&1 || browser_rc=$?
grep -E '^(=== RUN|--- |ok|FAIL|e2e: )|browser_' "$browser_log" | grep -v 'screenshot /' || true
[[ $browser_rc == 0 ]] || { tail -n 60 "$browser_log"; fail "browser flows against the containers (exit $browser_rc)"; }
pass "browser flows against the containers"

say "summary"
for svc in auth-api web-frontend; do
	printf '%-13s image %s MB\n' "$svc" "$(docker image inspect -f '{{.Size}}' "jwt-micro-system/$svc:e2e" | awk '{printf "%.1f", $1/1e6}')"
done
echo "up -> healthy: $up_secs s"
