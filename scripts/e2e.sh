#!/usr/bin/env bash
# make e2e: builds both images offline, runs the compose stack under its own
# project on random loopback ports, prints up → healthy, runs the Go tests
# against the containers (e2e/: TestContainers and the browser flows), and
# tears the project down with its volume, also on failure or timeout.
#   SKIP_E2E=1  skip when no Docker engine answers   GO_IMAGE  builder image
#   E2E_TIMEOUT whole run in seconds (default 1800)  E2E_KEEP=1  leave it up
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
if [[ -z "${E2E_BOUNDED:-}" ]] && command -v timeout >/dev/null; then
	E2E_BOUNDED=1 exec timeout --kill-after=60 "${E2E_TIMEOUT:-1800}" "$0" "$@"
fi
if ! require_docker 2>/dev/null && [[ "${SKIP_E2E:-0}" == 1 ]]; then echo "e2e: SKIPPED (SKIP_E2E=1): no Docker engine"; exit 0; fi
require_docker || { echo "e2e: needs a Docker engine; SKIP_E2E=1 skips explicitly" >&2; exit 1; }
read -r -a compose <<<"$(compose_cmd)"
go_image=${GO_IMAGE:-$(go run ./loadtest/cmd/image builder)}
# The stack sees only $env: shell variables would win over it.
unset SECRET_KEY SECRET_KEY_PREVIOUS ISSUER JWT_AUDIENCE LOG_LEVEL TRUSTED_PROXIES ACCESS_TOKEN_TTL REFRESH_TOKEN_TTL \
	BCRYPT_COST BOOTSTRAP_ADMIN_USERNAME BOOTSTRAP_ADMIN_PASSWORD COOKIE_SECURE PUBLISH_ADDRESS AUTH_API_PUBLISHED_PORT \
	WEB_FRONTEND_PUBLISHED_PORT GO_IMAGE IMAGE_TAG VERSION REVISION COMPOSE_FILE COMPOSE_PROJECT_NAME
tmp=$(mktemp -d) project="jwtms-e2e-$$"
env="$tmp/env" pass=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
dc=("${compose[@]}" --env-file "$env" -p "$project" -f "$PWD/docker-compose.yml")
cleanup() {
	local rc=$?
	if [[ $rc != 0 ]]; then "${dc[@]}" ps || true; "${dc[@]}" logs --no-color --tail=60 || true; fi
	if [[ "${E2E_KEEP:-0}" == 1 ]]; then echo "E2E_KEEP=1: remove with ${dc[*]} down -v"; else
		"${dc[@]}" down -v --remove-orphans --timeout 5 >/dev/null 2>&1 || echo "e2e: tear-down of $project failed" >&2
		rm -rf "$tmp"; fi
	[[ $rc == 0 ]] && echo "e2e: PASS" || echo "e2e: FAIL (exit $rc)" >&2
}
trap cleanup EXIT
trap 'echo "e2e: interrupted or timed out" >&2; exit 124' INT TERM
cat >"$env" <<ENV
SECRET_KEY=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
BCRYPT_COST=10
BOOTSTRAP_ADMIN_USERNAME=e2e-admin
BOOTSTRAP_ADMIN_PASSWORD=$pass
COOKIE_SECURE=false
PUBLISH_ADDRESS=127.0.0.1
AUTH_API_PUBLISHED_PORT=
WEB_FRONTEND_PUBLISHED_PORT=
GO_IMAGE=$go_image
IMAGE_TAG=e2e
VERSION=e2e-$(git describe --tags --always --dirty 2>/dev/null || echo dev)
ENV
: >"$tmp/empty"
out=$("${compose[@]}" --env-file "$tmp/empty" -p "$project-nokey" -f docker-compose.yml config 2>&1) && { echo "e2e: compose ran without SECRET_KEY" >&2; exit 1; }
grep -q "SECRET_KEY is not set" <<<"$out" || { echo "e2e: no missing-SECRET_KEY message: $out" >&2; exit 1; }
echo "== ${dc[*]} build"
"${dc[@]}" build
t0=$(date +%s%N)
"${dc[@]}" up -d
# The engine only: a compose call takes ~1 s on a busy machine (v1 is Python).
ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project")
[[ $(wc -w <<<"$ids") == 2 ]] || { echo "e2e: want the 2 containers of $project, got: $ids" >&2; exit 1; }
# shellcheck disable=SC2086 # one id per word
until [[ "$(docker inspect -f '{{.State.Health.Status}}' $ids 2>/dev/null | sort -u)" == healthy ]]; do
	(($(date +%s%N) - t0 < 120000000000)) || { echo "e2e: not healthy after 120 s" >&2; exit 1; }
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
printf 'up → healthy: %d.%d s\n' $((ms / 1000)) $((ms % 1000 / 100))
echo "== go test ./e2e -run 'Containers|Browser' against project $project"
E2E_COMPOSE="${dc[*]}" E2E_ADMIN_USER=e2e-admin E2E_ADMIN_PASSWORD="$pass" \
	go test -count=1 -v -run 'Containers|Browser' ./e2e >"$tmp/test.log" 2>&1 || { cat "$tmp/test.log"; exit 1; }
grep -E '^ *--- |^(ok|FAIL|PASS)' "$tmp/test.log"
printf 'up → healthy: %d.%d s\n' $((ms / 1000)) $((ms % 1000 / 100))
