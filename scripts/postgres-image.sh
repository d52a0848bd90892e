#!/usr/bin/env bash
# postgres-image.sh: make a PostgreSQL server image without pulling anything
# (deploy/stack.yml's postgres service). Prints its tag.
#
# A minimal Debian root filesystem (debootstrap --variant=minbase, from
# Debian's mirror) with Debian's postgresql package and deploy/postgres/
# entrypoint.sh, `docker import`ed. The tag is a hash of its inputs (this
# script, the entrypoint, the suite and the package version the host's apt
# sees), so it is built once and reused.
#
# Usage: scripts/postgres-image.sh   (POSTGRES_IMAGE_REPO overrides the name,
# DEBIAN_MIRROR the mirror; needs root, debootstrap and docker)
set -euo pipefail
cd "$(dirname "$0")/.."

repo=${POSTGRES_IMAGE_REPO:-jwt-micro-system/postgres}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
major=15
entrypoint=deploy/postgres/entrypoint.sh

log() { printf 'postgres-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v docker >/dev/null || die "docker is not on PATH"
version=$(apt-cache policy "postgresql-$major" 2>/dev/null | sed -n 's/^ *Candidate: //p' | head -n 1)
hash=$( { cat "$0" "$entrypoint"; echo "$suite $major ${version:-unknown}"; } | sha256sum | cut -c1-12)
tag="$repo:$major-$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
	log "reusing $tag"
	echo "$tag"
	exit 0
fi

[[ $(id -u) == 0 ]] || die "debootstrap needs root"
command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"

log "debootstrap $suite (minbase) from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
	{ tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }

# Install the server without starting anything and without the default
# cluster: the entrypoint creates the cluster in the volume on first start.
log "installing postgresql-$major ${version:-}"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/postgresql-common"
echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.conf"
cp /etc/resolv.conf "$root/etc/resolv.conf"
chroot "$root" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive LC_ALL=C
	apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql-$major >/dev/null" \
	>"$work/apt.log" 2>&1 || { tail -n 30 "$work/apt.log" >&2; die "installing postgresql-$major failed"; }

# What a server never reads: package lists, caches, documentation, locales.
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
	"$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/var/cache/debconf/*-old \
	"$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
: >"$root/etc/resolv.conf"

install -m 0755 "$entrypoint" "$root/usr/local/bin/pg-entrypoint"
mkdir -p "$root/var/lib/postgresql/data" "$root/run/postgresql"
chroot "$root" chown -R postgres:postgres /var/lib/postgresql /run/postgresql
chmod 0700 "$root/var/lib/postgresql/data"

log "importing $tag"
tar -C "$root" -cf - . | docker import \
	--change "ENV PATH=/usr/lib/postgresql/$major/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	--change 'ENV PGDATA=/var/lib/postgresql/data' \
	--change 'ENV LANG=C.UTF-8' \
	--change 'USER postgres' \
	--change 'EXPOSE 5432' \
	--change 'VOLUME ["/var/lib/postgresql/data"]' \
	--change 'ENTRYPOINT ["/usr/local/bin/pg-entrypoint"]' \
	- "$tag" >/dev/null
# Older images of this script are superseded.
for old in $(docker image ls "$repo" --format '{{.Repository}}:{{.Tag}}'); do
	[[ "$old" == "$tag" ]] || docker image rm "$old" >/dev/null 2>&1 || true
done
log "built $tag"
echo "$tag"
