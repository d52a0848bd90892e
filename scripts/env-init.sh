#!/usr/bin/env bash
# env-init.sh: create .env from .env.example when it is missing, with a fresh
# random SECRET_KEY and bootstrap admin password, then print how to log in.
# An existing .env is never changed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

# random_b64 N prints N random bytes, base64-encoded on one line.
random_b64() {
	if command -v openssl >/dev/null 2>&1; then
		openssl rand -base64 "$1" | tr -d '\n'
	else
		head -c "$1" /dev/urandom | base64 | tr -d '\n'
	fi
}

if [[ -f .env ]]; then
	created=false
else
	[[ -f .env.example ]] || { echo "error: .env.example is missing" >&2; exit 1; }
	secret=$(random_b64 48)
	# Letters and digits only, so it survives any shell or form: ~119 bits.
	password=$(random_b64 30 | tr -dc 'A-Za-z0-9' | cut -c1-20)
	(
		umask 077
		awk -v secret="$secret" -v password="$password" '
			/^SECRET_KEY=/ { print "SECRET_KEY=" secret; next }
			/^BOOTSTRAP_ADMIN_PASSWORD=/ { print "BOOTSTRAP_ADMIN_PASSWORD=" password; next }
			{ print }
		' .env.example >.env.tmp
		mv .env.tmp .env
	)
	created=true
fi

user=$(env_value .env BOOTSTRAP_ADMIN_USERNAME)
addr=$(env_value .env PUBLISH_ADDRESS)
port=$(env_value .env WEB_FRONTEND_PUBLISHED_PORT)
api_port=$(env_value .env AUTH_API_PUBLISHED_PORT)
[[ -z "$addr" || "$addr" == 0.0.0.0 ]] && addr=localhost
if $created; then
	echo "Created .env with a fresh SECRET_KEY and bootstrap admin password (mode 600; keep it out of git)."
	pass_hint=$password
else
	echo "Using the existing .env."
	pass_hint="BOOTSTRAP_ADMIN_PASSWORD in .env (used only when the database had no users yet)"
fi
cat <<MSG

  Open      http://$addr:${port:-8080}/login
  Username  ${user:-<BOOTSTRAP_ADMIN_USERNAME in .env>}
  Password  $pass_hint
  API       http://$addr:${api_port:-10000}  (POST /login, GET /me, ...)

MSG
