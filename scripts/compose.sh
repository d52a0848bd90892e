#!/usr/bin/env bash
# compose.sh ARGS…: run Docker Compose (v2 plugin or v1 docker-compose,
# whichever is installed; COMPOSE overrides) on this repository's stack.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
require_docker
compose_line=$(compose_cmd) || exit 1
read -r -a compose <<<"$compose_line"
exec "${compose[@]}" "$@"
