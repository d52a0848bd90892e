#!/usr/bin/env bash
# make fuzz: runs each fuzz target for FUZZTIME (default 60s) and prints its
# exec count. A failure is a finding: the failing input is written under the
# package's testdata/fuzz/ (commit it as a regression input once fixed).
#
# One failure is not a finding: Go 1.26's fuzzing coordinator can end a run
# that was fine with a bare "context deadline exceeded" at the -fuzztime
# boundary when the machine is busy (go.dev/issue/75804, fixed in Go 1.27).
# Such a run writes no input; it is reported and tolerated.
set -euo pipefail
cd "$(dirname "$0")/.."

fuzztime=${FUZZTIME:-60s}
targets=(
	"FuzzVerify ./shared/jwtauth"
	"FuzzLoginRequest ./auth-api/internal/server"
	"FuzzSafeNext ./web-frontend/internal/server"
	"FuzzSessionDecode ./web-frontend/internal/session"
)

out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
for t in "${targets[@]}"; do
	read -r name pkg <<<"$t"
	echo "== $name ($pkg) for $fuzztime"
	rc=0
	go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" "$pkg" >"$out" 2>&1 || rc=$?
	# The progress lines are many; the last one has the totals.
	grep -v '^fuzz: elapsed' "$out" || true
	grep '^fuzz: elapsed' "$out" | tail -n 1 || true
	if [ "$rc" -ne 0 ]; then
		if grep -q 'context deadline exceeded' "$out" && ! grep -q 'Failing input written' "$out"; then
			echo "-- $name: Go's fuzztime deadline race (go.dev/issue/75804), no failing input: tolerated"
		else
			echo "-- $name: FAILED"
			status=1
		fi
	fi
done
exit "$status"
