#!/usr/bin/env bash
# up.sh [ARGS…]: `make up`. Checks Docker and Compose, makes sure the builder
# image (GO_IMAGE) is there, creates .env when missing (scripts/env-init.sh),
# prints how to log in, then runs `compose up --build ARGS…`.
#
# The builder is GO_IMAGE (shell, else .env, else golang:1.26-bookworm). When
# it is neither present nor pullable (no registry, offline), the offline
# builder is made from the host's Go toolchain (go run ./loadtest/cmd/image
# builder) and used instead. OFFLINE=1 skips the pull attempt.
# PULL_ANSWER_TIMEOUT (seconds, default 15) bounds the wait for a registry
# that does not answer at all, so a dead DNS or proxy does not hang `make up`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# Nothing is created before these checks pass.
require_docker
compose_line=$(compose_cmd) || exit 1
read -r -a compose <<<"$compose_line"

# try_pull IMAGE pulls IMAGE, failing fast when the registry does not answer:
# once the daemon reports progress the pull may take as long as it needs.
# On failure, the daemon's one-line reason is in $pull_error.
try_pull() {
	local log pid waited=0
	log=$(mktemp)
	docker pull "$1" >"$log" 2>&1 &
	pid=$!
	while kill -0 "$pid" 2>/dev/null && ! grep -q -e 'Pulling from' -e '^Digest:' "$log"; do
		if ((waited++ >= ${PULL_ANSWER_TIMEOUT:-15} * 10)); then
			kill "$pid" 2>/dev/null || true
			pull_error="the registry did not answer within ${PULL_ANSWER_TIMEOUT:-15}s"
		fi
		sleep 0.1
	done
	grep -q -e 'Pulling from' -e '^Digest:' "$log" && echo "up: pulling $1" >&2
	wait "$pid" && { rm -f "$log"; return 0; }
	pull_error=${pull_error:-$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)}
	rm -f "$log"
	return 1
}

if [[ -z "${GO_IMAGE:-}" && -f .env ]]; then GO_IMAGE=$(env_value .env GO_IMAGE); fi
GO_IMAGE=${GO_IMAGE:-golang:1.26-bookworm}
why=""
if [[ "${OFFLINE:-0}" == 1 ]]; then
	why="OFFLINE=1"
elif ! docker image inspect "$GO_IMAGE" >/dev/null 2>&1 && ! try_pull "$GO_IMAGE"; then
	why="$GO_IMAGE cannot be pulled ($pull_error)"
fi
if [[ -n "$why" ]]; then
	if ! command -v go >/dev/null 2>&1; then
		echo "error: $why, and Go is not installed," >&2
		echo "  so the offline builder cannot be made either: install Go 1.26 (https://go.dev/dl/)," >&2
		echo "  give a reachable GO_IMAGE, or docker load a builder image" >&2
		exit 1
	fi
	echo "up: $why: building the offline builder from the host's Go instead (minutes the first time, then reused)" >&2
	GO_IMAGE=$(go run ./loadtest/cmd/image builder)
fi
export GO_IMAGE

scripts/env-init.sh
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
export VERSION REVISION
exec "${compose[@]}" up --build "$@"
