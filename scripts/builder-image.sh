#!/usr/bin/env bash
# builder-image.sh: make a Go builder image without pulling anything, for
# machines with no container registry (air gap, this CI). Prints its tag.
#
# The image is `docker import`ed from a root filesystem assembled here:
#   /usr/local/go   the host's Go toolchain (go env GOROOT)
#   /go/pkg/mod     a module cache holding exactly the modules of shared/,
#                   auth-api/ and web-frontend/ (taken from the host's module
#                   cache, falling back to the host's GOPROXY when missing)
#   /bin            busybox (Debian busybox-static) as the shell for RUN
#   /etc/ssl/certs  the host's CA bundle (copied into the runtime images)
# and runs with GOPROXY=off GOSUMDB=off GOTOOLCHAIN=local, so
# deploy/Dockerfile resolves modules from the baked cache only. A second
# step compiles the dependencies once, so image builds only compile our code.
#
# Usage: scripts/builder-image.sh   (GO_BUILDER_REPO overrides the name)
# The tag carries a hash of every input, so an unchanged input reuses the
# image and a changed go.sum or Go version makes a new one.
set -euo pipefail
cd "$(dirname "$0")/.."

repo=${GO_BUILDER_REPO:-jwt-micro-system/go-builder}
modules=(shared auth-api web-frontend)

log() { printf 'builder-image: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH (the host toolchain is what goes into the image)"
command -v docker >/dev/null || die "docker is not on PATH"

goroot=$(go env GOROOT)
gover=$(go env GOVERSION)
host_modcache=$(go env GOMODCACHE)

# find_busybox prints the path of a static busybox: the installed Debian
# busybox-static, or one unpacked from `apt-get download busybox-static`.
find_busybox() {
	if [[ -x /bin/busybox ]] && ! ldd /bin/busybox >/dev/null 2>&1; then
		echo /bin/busybox
		return
	fi
	command -v apt-get >/dev/null || die "need a static busybox: install Debian's busybox-static"
	local dir
	dir=$(mktemp -d)
	(cd "$dir" && apt-get download -q busybox-static >/dev/null 2>&1) ||
		die "need a static busybox: apt-get install busybox-static (run apt-get update first)"
	dpkg-deb -x "$dir"/busybox-static_*.deb "$dir/x"
	echo "$dir/x/bin/busybox"
}

# A snapshot of the modules: the go commands below run on it, so nothing here
# can touch the working tree, and a concurrent edit cannot mix two states.
work=$(mktemp -d)
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
src="$work/src"
mkdir -p "$src"
tar -cf - --exclude=testdata --exclude='*_test.go' "${modules[@]}" | tar -C "$src" -xf -

# The inputs that decide the image content.
inputs_hash() {
	{
		echo "$gover"
		cat "$0"
		for m in "${modules[@]}"; do
			cat "$src/$m/go.mod"
			if [[ -f "$src/$m/go.sum" ]]; then cat "$src/$m/go.sum"; fi
		done
	} | sha256sum | cut -c1-12
}

tag="$repo:${gover#go}-$(inputs_hash)"
if docker image inspect "$tag" >/dev/null 2>&1; then
	log "reusing $tag"
	echo "$tag"
	exit 0
fi

log "assembling $tag (Go $gover from $goroot)"
root="$work/rootfs"
mkdir -p "$root"/{bin,etc/ssl/certs,tmp,root,go/pkg/mod,usr/local}
chmod 1777 "$root/tmp"

# The Go toolchain, without what building never reads.
mkdir -p "$root/usr/local/go"
tar -C "$goroot" -cf - --exclude=testdata . | tar -C "$root/usr/local/go" -xf -
rm -rf "$root/usr/local/go/test" "$root/usr/local/go/api" "$root/usr/local/go/doc"

# A shell and the usual tools for RUN lines.
busybox=$(find_busybox)
cp "$busybox" "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
	[[ -e "$root/bin/$applet" ]] || ln -s busybox "$root/bin/$applet"
done

if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
	cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
else
	: >"$root/etc/ssl/certs/ca-certificates.crt"
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n' >"$root/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"

# The module cache: only our modules' dependencies, read from the host cache
# first. The go commands run on a copy of the modules, so nothing here can
# touch the working tree; go.sum still verifies every module.
log "filling the module cache"
proxy="file://$host_modcache/cache/download"
host_proxy=$(go env GOPROXY)
[[ "$host_proxy" != off ]] && proxy="$proxy,$host_proxy"
for m in "${modules[@]}"; do
	(cd "$src/$m" && GOWORK=off GOFLAGS=-mod=readonly GOMODCACHE="$root/go/pkg/mod" GOPROXY="$proxy" \
		GOTOOLCHAIN=local go mod download) || die "go mod download failed in $m (is its go.sum complete? try: cd $m && go mod tidy)"
done

# The dependency packages to precompile: everything the two binaries import
# that is not our own code.
deps="$work/deps"
mkdir -p "$deps"
for m in auth-api web-frontend; do
	(cd "$src/$m" && GOWORK=off GOFLAGS=-mod=readonly GOMODCACHE="$root/go/pkg/mod" GOPROXY=off \
		GOTOOLCHAIN=local CGO_ENABLED=0 go list -deps -f '{{if and (not .Standard) .Module}}{{.ImportPath}}{{end}}' ./...) \
		>"$deps/$m.all" || die "go list failed in $m"
	grep -v '^github.com/jwt-micro-system/' "$deps/$m.all" >"$deps/$m.txt" || true
	rm "$deps/$m.all"
done

base="$repo-base:${tag#*:}"
log "importing $base"
tar -C "$root" -cf - . | docker import \
	--change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'ENV GOPATH=/go' \
	--change 'ENV GOPROXY=off' \
	--change 'ENV GOSUMDB=off' \
	--change 'ENV GOTOOLCHAIN=local' \
	--change 'ENV GOFLAGS=-mod=readonly' \
	--change 'WORKDIR /go' \
	--change 'CMD ["/bin/sh"]' \
	- "$base" >/dev/null

# Compile the dependencies with the flags deploy/Dockerfile uses, so its
# build finds them in GOCACHE. The go.mod/go.sum files are the only context.
log "precompiling $(cat "$deps"/*.txt | sort -u | wc -l) dependency packages"
ctx="$work/ctx"
mkdir -p "$ctx"
for m in "${modules[@]}"; do
	mkdir -p "$ctx/$m"
	cp "$src/$m/go.mod" "$ctx/$m/"
	if [[ -f "$src/$m/go.sum" ]]; then cp "$src/$m/go.sum" "$ctx/$m/"; fi
done
cp "$deps"/*.txt "$ctx/"
cat >"$ctx/Dockerfile" <<EOF
FROM $base
WORKDIR /src
COPY . .
ENV CGO_ENABLED=0 GOWORK=off
RUN for m in auth-api web-frontend; do \\
      if [ -s \$m.txt ]; then (cd \$m && go build -trimpath \$(cat ../\$m.txt)) || exit 1; fi; \\
    done && go build -trimpath std && rm -rf /src
WORKDIR /go
LABEL org.opencontainers.image.title="jwt-micro-system offline Go builder" \\
      org.opencontainers.image.description="Go $gover with the module cache of jwt-micro-system, made by scripts/builder-image.sh"
EOF
if ! DOCKER_BUILDKIT=0 docker build --force-rm -t "$tag" "$ctx" >"$work/build.log" 2>&1; then
	cat "$work/build.log" >&2
	die "precompiling the dependencies failed"
fi
docker image rm "$base" >/dev/null 2>&1 || true
# Older builders of this repository are superseded (a changed go.sum or Go).
for old in $(docker image ls "$repo" --format '{{.Repository}}:{{.Tag}}'); do
	[[ "$old" == "$tag" ]] || docker image rm "$old" >/dev/null 2>&1 || true
done
log "built $tag"
echo "$tag"
