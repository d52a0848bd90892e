# shellcheck shell=bash
# lib.sh: helpers shared by the compose scripts. Source it; it sets nothing
# but functions.

# compose_cmd prints the Compose command to use: $COMPOSE when set, else the
# v2 plugin (`docker compose`) when present, else docker-compose (v1, 1.29+).
compose_cmd() {
	if [[ -n "${COMPOSE:-}" ]]; then
		echo "$COMPOSE"
	elif docker compose version >/dev/null 2>&1; then
		echo "docker compose"
	elif command -v docker-compose >/dev/null 2>&1; then
		echo "docker-compose"
	else
		echo "error: Docker Compose is missing: neither 'docker compose' (the v2 plugin) nor docker-compose (v1.29) is installed;" >&2
		echo "  install the plugin (https://docs.docker.com/compose/install/linux/) or set COMPOSE to your compose command" >&2
		return 1
	fi
}

# require_docker fails with a clear message when no Docker engine answers.
require_docker() {
	if ! command -v docker >/dev/null 2>&1; then
		echo "error: docker is not installed (https://docs.docker.com/engine/install/)" >&2
		return 1
	fi
	# Bounded where timeout(1) exists: an unreachable DOCKER_HOST must not hang.
	local bound=()
	if command -v timeout >/dev/null 2>&1; then bound=(timeout 20); fi
	if ! ${bound[@]+"${bound[@]}"} docker info >/dev/null 2>&1; then
		echo "error: no Docker engine answers (docker info failed): start it, or check DOCKER_HOST and your permissions" >&2
		return 1
	fi
}

# env_value FILE NAME prints NAME's value from a VAR=value file (last wins).
env_value() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}
