#!/usr/bin/env bash
# make soak: starts both binaries on loopback and drives them with a bounded
# mixed load (loadtest/cmd/soak) for SOAK_DURATION (default 2m); fails on any
# 5xx, any lost user or session, or RSS growth over 10%.
#
#   SOAK_DURATION  how long to drive the load (default 2m)
#   SOAK_WORKERS   concurrent simulated clients (default 8)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/loopback.sh
. scripts/loopback.sh

duration=${SOAK_DURATION:-2m}
workers=${SOAK_WORKERS:-8}
make -s build
go build -o bin/soak ./loadtest/cmd/soak

admin_pw="soak-$(random_secret | tr -dc 'a-zA-Z0-9' | head -c 20)"
# A short access token lifetime makes the web sessions renew silently during
# the run, so refreshes through the frontend are part of the mix.
start_stack soakadmin "$admin_pw" BCRYPT_COST=10 ACCESS_TOKEN_TTL=20s

status=0
SOAK_ADMIN_PASSWORD="$admin_pw" bin/soak -api "$api" -frontend "$fe" \
	-admin soakadmin -duration "$duration" -workers "$workers" \
	-api-pid "$api_pid" -frontend-pid "$fe_pid" || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- last auth-api log lines"; tail -n 20 "$work/auth-api.log"
	echo "--- last web-frontend log lines"; tail -n 20 "$work/web-frontend.log"
fi
exit "$status"
