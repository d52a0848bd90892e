#!/usr/bin/env bash
# down.sh [--images] [ARGS…]: `make down` and `make clean`. Runs
# `compose down ARGS…` (-v also deletes the database volume).
#
# With --images it then removes every image this project made, and only
# those: the service images (every tag of jwt-micro-system/auth-api and
# …/web-frontend), the offline builder images (GO_BUILDER_REPO, default
# jwt-micro-system/go-builder, and its -base) and the untagged build-stage
# images deploy/Dockerfile leaves with the classic builder (label
# jwt-micro-system.image). The official golang image, if pulled, stays, as
# does BuildKit's cache (`docker builder prune` empties it).
# Nothing is forced: an image still used by a container is kept, and said so.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

images=false
args=()
for a in "$@"; do
	if [[ "$a" == --images ]]; then images=true; else args+=("$a"); fi
done

require_docker
compose_line=$(compose_cmd) || exit 1
read -r -a compose <<<"$compose_line"

# down reads the compose file, which requires SECRET_KEY; down never uses it,
# so a missing .env must not stop it.
if [[ -z "${SECRET_KEY:-}" ]] && { [[ ! -f .env ]] || [[ -z "$(env_value .env SECRET_KEY)" ]]; }; then
	export SECRET_KEY=unused-by-compose-down
fi
"${compose[@]}" down ${args[@]+"${args[@]}"}
$images || exit 0

builder=${GO_BUILDER_REPO:-jwt-micro-system/go-builder}
kept=0
removed=0

# Tagged images by reference (so an image that also carries someone else's
# tag is only untagged), then the untagged ones of ours by id. (No mapfile:
# macOS still ships bash 3.2.)
refs=$(
	{
		docker image ls --format '{{.Repository}}:{{.Tag}}' jwt-micro-system/auth-api
		docker image ls --format '{{.Repository}}:{{.Tag}}' jwt-micro-system/web-frontend
		docker image ls --format '{{.Repository}}:{{.Tag}}' "$builder"
		docker image ls --format '{{.Repository}}:{{.Tag}}' "$builder-base"
		docker image ls --format '{{.Repository}}:{{.Tag}}' --filter label=jwt-micro-system.image
	} | { grep -v '<none>' || true; } | sort -u
)
# remove REF… removes each image, never forcing.
remove() {
	local ref
	for ref in "$@"; do
		if docker image rm "$ref" >/dev/null 2>&1; then
			removed=$((removed + 1))
		else
			echo "down: kept $ref (still used by a container?)" >&2
			kept=$((kept + 1))
		fi
	done
}
# shellcheck disable=SC2086 # one reference or id per word
remove $refs
# shellcheck disable=SC2046
remove $(docker image ls -q --no-trunc --filter dangling=true --filter label=jwt-micro-system.image | sort -u)
if ((kept > 0)); then
	echo "down: removed $removed image(s) of this project, kept $kept" >&2
else
	echo "down: removed $removed image(s) of this project" >&2
fi
