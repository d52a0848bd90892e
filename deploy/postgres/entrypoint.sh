#!/bin/bash
# pg-entrypoint: the PostgreSQL image's start (go run ./loadtest/cmd/image postgres).
# On the first start it creates the cluster in $PGDATA (a volume) with the
# user, password and database given below, then it runs the server in the
# foreground on every address, with password (SCRAM) authentication for every
# network client.
#
#   POSTGRES_USER      the superuser (default postgres)
#   POSTGRES_PASSWORD  its password, or POSTGRES_PASSWORD_FILE (Docker secrets)
#   POSTGRES_DB        a database to create (default: $POSTGRES_USER)
set -euo pipefail

user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [[ -n "${POSTGRES_PASSWORD_FILE:-}" ]]; then
	password=$(<"$POSTGRES_PASSWORD_FILE")
else
	password=${POSTGRES_PASSWORD:-}
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
	if [[ -z "$password" ]]; then
		echo "pg-entrypoint: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE: network clients must authenticate" >&2
		exit 1
	fi
	pwfile=$(mktemp)
	printf '%s\n' "$password" >"$pwfile"
	initdb --username="$user" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 \
		--encoding=UTF8 --locale=C.UTF-8 -D "$PGDATA" >/dev/null
	rm -f "$pwfile"
	printf 'host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n' >>"$PGDATA/pg_hba.conf"
	if [[ "$db" != postgres ]]; then
		echo "CREATE DATABASE \"${db//\"/\"\"}\"" | postgres --single -D "$PGDATA" -j postgres >/dev/null
	fi
	echo "pg-entrypoint: created the cluster in $PGDATA (user $user, database $db)"
fi

# docker stop sends SIGTERM, PostgreSQL's "smart" shutdown, which waits for
# every client to leave: pooled clients never do. Pass it on as SIGINT, the
# fast shutdown (open transactions roll back, data is safe).
postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql "$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null' TERM INT
set +e
wait "$pid"
rc=$?
# A trapped signal interrupts wait: wait on until the server has stopped.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid"
	rc=$?
done
exit "$rc"
