#!/usr/bin/env bash
# up.sh [ARGS…]: `make up`. Creates .env when missing (scripts/env-init.sh),
# prints how to log in, then runs `compose up --build ARGS…`.
# OFFLINE=1 builds with a builder image made from the host's Go toolchain
# (scripts/builder-image.sh) instead of pulling golang:… from a registry.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_docker
read -r -a compose <<<"$(compose_cmd)"
scripts/env-init.sh
if [[ "${OFFLINE:-0}" == 1 ]]; then
	GO_IMAGE=$(scripts/builder-image.sh)
	export GO_IMAGE
fi
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
REVISION=${REVISION:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
export VERSION REVISION
exec "${compose[@]}" up --build "$@"
