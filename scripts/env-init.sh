#!/usr/bin/env bash
# env-init.sh: create .env from .env.example when it is missing, with a fresh
# random SECRET_KEY and bootstrap admin password, then print how to log in.
# An existing .env is never changed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

created=false
if [[ ! -f .env ]]; then
	[[ -f .env.example ]] || { echo "error: .env.example is missing" >&2; exit 1; }
	# base64 never contains '|', sed's delimiter here. The password is
	# letters and digits only, so it survives any shell or form: ~119 bits.
	secret=$(head -c 48 /dev/urandom | base64 | tr -d '\n')
	password=$(head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-20)
	(umask 077 && sed -e "s|^SECRET_KEY=.*|SECRET_KEY=$secret|" \
		-e "s|^BOOTSTRAP_ADMIN_PASSWORD=.*|BOOTSTRAP_ADMIN_PASSWORD=$password|" .env.example >.env.tmp && mv .env.tmp .env)
	created=true
	echo "Created .env with a fresh SECRET_KEY and bootstrap admin password (mode 600; keep it out of git)."
else
	echo "Using the existing .env."
fi

addr=$(env_value .env PUBLISH_ADDRESS) user=$(env_value .env BOOTSTRAP_ADMIN_USERNAME)
port=$(env_value .env WEB_FRONTEND_PUBLISHED_PORT) api_port=$(env_value .env AUTH_API_PUBLISHED_PORT)
[[ -z "$addr" || "$addr" == 0.0.0.0 ]] && addr=localhost
pass_hint="BOOTSTRAP_ADMIN_PASSWORD in .env (used only when the database had no users yet)"
$created && pass_hint=$password
cat <<MSG

  Open      http://$addr:${port:-8080}/login
  Username  ${user:-<BOOTSTRAP_ADMIN_USERNAME in .env>}
  Password  $pass_hint
  API       http://$addr:${api_port:-10000}  (POST /login, GET /me, ...)
  Examples  ADMIN_PASSWORD=\$(sed -n 's/^BOOTSTRAP_ADMIN_PASSWORD=//p' .env)   (README, Quick start)

MSG
