#!/usr/bin/env bash
# make load: measures, in one run on loopback, the cost of authentication on
# both services, the login rate against the bcrypt bound, and memory; prints
# one table. Bounded: each wrk run lasts LOAD_DURATION.
#
#   LOAD_DURATION     each wrk run (default 10s)
#   LOAD_LOGIN_DURATION the login run (default 20s: bcrypt allows few per second)
#   LOAD_CONNECTIONS  connections for the page/API runs (default 32)
#   LOAD_BCRYPT_COST  auth-api BCRYPT_COST (default 12, the product default)
#   LOAD_STRICT=1     exit non-zero when a target is missed (non-2xx always fails)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/loopback.sh
. scripts/loopback.sh

duration=${LOAD_DURATION:-10s}
login_duration=${LOAD_LOGIN_DURATION:-20s}
conns=${LOAD_CONNECTIONS:-32}
cost=${LOAD_BCRYPT_COST:-12}
cores=$(nproc)

command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
make -s build

admin_pw="load-$(random_secret | tr -dc 'a-zA-Z0-9' | head -c 20)"
start_stack loadadmin "$admin_pw" BCRYPT_COST="$cost"

token=$(curl -sS --max-time 10 -H 'Content-Type: application/json' \
	-d "{\"username\":\"loadadmin\",\"password\":\"$admin_pw\"}" "$api/login" | json_field access_token)
cookie=$(session_cookie "$fe" loadadmin "$admin_pw")
[ -n "$token" ] || { echo "load.sh: could not log in at auth-api" >&2; exit 1; }
[ -n "$cookie" ] || { echo "load.sh: could not log in through web-frontend" >&2; exit 1; }
sleep 1
idle_api=$(rss_kib "$api_pid")
idle_fe=$(rss_kib "$fe_pid")

# wrk_run NAME ARGS... runs wrk and appends "NAME rps p50ms p99ms non2xx" to
# $work/results.
wrk_run() {
	local name=$1
	shift
	local out
	out=$(wrk --latency -d "$duration" --timeout 30s "$@")
	echo "$out" >"$work/wrk-$name.txt"
	echo "$out" | awk -v name="$name" '
		function ms(v) {
			if (v ~ /us$/) return v / 1000
			if (v ~ /ms$/) return v + 0
			if (v ~ /s$/) return v * 1000
			return v
		}
		/^Requests\/sec:/ {rps = $2}
		$1 == "50%" {p50 = ms($2)}
		$1 == "99%" {p99 = ms($2)}
		/Non-2xx or 3xx responses:/ {bad += $NF}
		/Socket errors:/ {bad += 1}
		END {printf "%s %.0f %.3f %.3f %d\n", name, rps, p50, p99, bad}' >>"$work/results"
}

echo "load.sh: $cores cores, $duration per run, $conns connections, bcrypt cost $cost"
wrk_run fe_healthz -t1 -c"$conns" "$fe/healthz"
wrk_run fe_api_me -t1 -c"$conns" -H "Cookie: $cookie" "$fe/api/me"
wrk_run api_healthz -t1 -c"$conns" "$api/healthz"
wrk_run api_me -t1 -c"$conns" -H "Authorization: Bearer $token" "$api/me"
cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"username":"loadadmin","password":"$admin_pw"}'
LUA
duration=$login_duration wrk_run api_login -t1 -c"$((cores * 2))" -s "$work/login.lua" "$api/login"
read -r bcrypt_ms bound _ < <(go run ./loadtest/cmd/bcryptbound -cost "$cost" -n 4)
peak_api=$(rss_kib "$api_pid" VmHWM)
peak_fe=$(rss_kib "$fe_pid" VmHWM)

awk -v bound="$bound" -v bcms="$bcrypt_ms" -v cores="$cores" \
	-v ia="$idle_api" -v if_="$idle_fe" -v pa="$peak_api" -v pf="$peak_fe" \
	-v strict="${LOAD_STRICT:-0}" '
	{rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; bad += $5}
	function row(what, n, ratio, target, ok) {
		printf "| %-46s | %8.0f | %8.3f | %8.3f | %6s | %-8s |\n", what, rps[n], p50[n], p99[n], ratio, target (ok ? "" : " MISS")
		if (!ok) missed++
	}
	END {
		r1 = rps["fe_api_me"] / rps["fe_healthz"]
		r2 = rps["api_me"] / rps["api_healthz"]
		r3 = rps["api_login"] / bound
		print ""
		print "| measurement                                    |    req/s |  p50 ms  |  p99 ms  |  ratio | target   |"
		print "| ---------------------------------------------- | -------: | -------: | -------: | -----: | -------- |"
		row("web-frontend GET /healthz", "fe_healthz", "", "", 1)
		row("web-frontend GET /api/me (cookie)", "fe_api_me", sprintf("%.2f", r1), ">= 0.9", r1 >= 0.9)
		row("auth-api GET /healthz", "api_healthz", "", "", 1)
		row("auth-api GET /me (bearer)", "api_me", sprintf("%.2f", r2), ">= 0.9", r2 >= 0.9)
		row(sprintf("auth-api POST /login (bound %.1f/s)", bound), "api_login", sprintf("%.2f", r3), ">= 0.9", r3 >= 0.9)
		print ""
		printf "bcrypt bound: %d cores / %.1f ms per CompareHashAndPassword = %.1f logins/s\n", cores, bcms, bound
		printf "RSS idle:  auth-api %.1f MiB, web-frontend %.1f MiB (target <= 20 MiB)%s\n", ia/1024, if_/1024, (ia > 20480 || if_ > 20480) ? " MISS" : ""
		printf "RSS peak:  auth-api %.1f MiB, web-frontend %.1f MiB (target <= 64 MiB)%s\n", pa/1024, pf/1024, (pa > 65536 || pf > 65536) ? " MISS" : ""
		printf "non-2xx responses or socket errors: %d (target 0)\n", bad
		if (ia > 20480 || if_ > 20480 || pa > 65536 || pf > 65536) missed++
		if (bad > 0) exit 2
		if (missed > 0 && strict == 1) exit 1
	}' "$work/results"
