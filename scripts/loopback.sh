# shellcheck shell=bash
# Helpers for the scripts that run the two binaries on loopback
# (load.sh, soak.sh). Source it; it defines functions only.

# random_secret prints a fresh 48-byte secret, base64-encoded.
random_secret() { head -c 48 /dev/urandom | base64 | tr -d '\n'; }

# start_service NAME LOGFILE ENV... starts bin/NAME with PORT=0 and the
# given environment, waits for its "listening" log line and prints
# "PID PORT". It fails after 20 s without one.
start_service() {
	local name=$1 log=$2
	shift 2
	env -i PATH="$PATH" HOME="$HOME" PORT=0 "$@" "bin/$name" >"$log" 2>&1 &
	local pid=$! port=""
	for _ in $(seq 1 200); do
		port=$(sed -n 's/.*"msg":"listening".*"addr":"[^"]*:\([0-9][0-9]*\)".*/\1/p' "$log" | head -n 1)
		[ -n "$port" ] && break
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name exited during start-up:" >&2
			cat "$log" >&2
			return 1
		fi
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "$name did not log its listening address within 20 s:" >&2
		cat "$log" >&2
		kill "$pid" 2>/dev/null || true
		return 1
	fi
	echo "$pid $port"
}

# rss_kib PID [FIELD] prints VmRSS (or another /proc status field) in KiB.
rss_kib() { awk -v f="${2:-VmRSS}:" '$1 == f {print $2}' "/proc/$1/status"; }

# json_field NAME reads JSON on stdin and prints the string field NAME.
json_field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }

# session_cookie BASE USER PASSWORD logs in through the web-frontend form and
# prints the session cookie as NAME=VALUE.
session_cookie() {
	curl -sS -o /dev/null -D - --max-time 10 \
		--data-urlencode "username=$2" --data-urlencode "password=$3" "$1/login" |
		sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\);.*/\1/p' | grep -v '=$' | head -n 1
}

# start_stack ADMIN ADMIN_PASSWORD [AUTH_API_ENV...] builds nothing; it makes
# a work directory ($work), starts bin/auth-api with a fresh secret, a SQLite
# database in $work and the given bootstrap admin (plus AUTH_API_ENV), then
# bin/web-frontend pointing at it, and arranges for both to be stopped and
# $work removed on exit. It sets api_pid, fe_pid, api and fe (base URLs).
start_stack() {
	local admin=$1 admin_pw=$2 secret api_port fe_port
	shift 2
	work=$(mktemp -d)
	pids=()
	trap stop_stack EXIT
	secret=$(random_secret)
	read -r api_pid api_port < <(start_service auth-api "$work/auth-api.log" \
		SECRET_KEY="$secret" DATABASE_URL="sqlite://$work/auth.db" \
		BOOTSTRAP_ADMIN_USERNAME="$admin" BOOTSTRAP_ADMIN_PASSWORD="$admin_pw" "$@")
	[ -n "$api_port" ] || return 1
	pids+=("$api_pid")
	read -r fe_pid fe_port < <(start_service web-frontend "$work/web-frontend.log" \
		SECRET_KEY="$secret" AUTH_API_URL="http://127.0.0.1:$api_port" COOKIE_SECURE=false)
	[ -n "$fe_port" ] || return 1
	pids+=("$fe_pid")
	api="http://127.0.0.1:$api_port"
	fe="http://127.0.0.1:$fe_port"
}

# stop_stack stops what start_stack started and removes $work.
stop_stack() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
