#!/bin/bash
# sandbox.sh: what the sandbox costs (twh_sandbox.c: Landlock and seccomp).  The same endpoints
# are served twice by one lighttpd on 127.0.0.1, confined (the default configuration) and with
# sandbox = off, and wrk drives each in turn, alternating, so that the machine's drift falls on
# both alike: twhook-crm (a customer list, the fastest reading endpoint, where a per-call cost
# weighs most) and twhook-proxy-out-of-session (TwiML, writing its delivery log line).  README.md
# in this folder says how to read what it prints.
#
#   tests/bench/sandbox.sh [-d SECONDS] BUILD_DIR
#
# Every request carries a correct X-Twilio-Signature and every scenario is checked with curl
# before and after its run.  Exit status: 0 when every scenario ran and answered correctly, 1
# otherwise, 2 on a usage error.  It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
duration_requests_options "$@"
ROUNDS=4			# each pair (unconfined, confined) is measured this many times

need_built crm proxy-out-of-session
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq
bench_start

bench_environment
CONF_VARIANT[off]="sandbox = off"
ENTRY_CONF[/off/twhook-crm]=off
ENTRY_CONF[/off/twhook-proxy-out-of-session]=off
write_conf
sample_store 1
start_lighttpd "/twhook-crm=$CGI/twhook-crm" "/off/twhook-crm=$CGI/twhook-crm" \
    "/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session" \
    "/off/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session"

# The scenarios, each at two URLs: PATH confined, /off/PATH not.
crm_params=(Location=GetCustomersList Worker=alice@example.com PageSize=30)
oos_params=(To=+15555550000 From=+15555550101 MessageSid=SM00000000000000000000000000000001
    "Body=Where is my order?")
for where in "" /off; do
	name=crm${where:+-off}
	scenario "$name" "$where/twhook-crm" '.objects.customers | length == 3' "" \
	    "alice's customers" "${crm_params[@]}"
	name=oos${where:+-off}
	scenario "$name" "$where/twhook-proxy-out-of-session" '' "" "a message to a closed session" \
	    "${oos_params[@]}"
	SC_VERIFY[$name]=verify_twiml
done
scenario trivial /trivial '. == {}' "" "the baseline, with the crm scenario's body" \
    "${crm_params[@]}"
verify_twiml() { grep -q '<Message>This conversation has ended. Reply to reach us again.</Message>' "$T/body"; }

bench main trivial
# Odd rounds run the unconfined one first, even rounds the confined one: a drift of the machine
# over the run (these machines are shared) then weighs on both sides alike.
for round in $(seq "$ROUNDS"); do
	for s in crm oos; do
		if [ $((round % 2)) -eq 1 ]; then
			bench "$round" "$s-off"
			bench "$round" "$s"
		else
			bench "$round" "$s"
			bench "$round" "$s-off"
		fi
	done
done
bench end trivial

echo
report_title "twhook sandbox benchmark"
echo "wrk -t2 -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per URL); each endpoint"
echo "served twice: confined (sandbox = on, the default) and with sandbox = off"
echo "$MACHINE"
load_average
echo
printf '%-6s %-5s %12s %12s %10s\n' round scen "req/s off" "req/s on" "on/off"
for round in $(seq "$ROUNDS"); do
	for s in crm oos; do
		printf '%-6s %-5s %12.0f %12.0f %10s\n' "$round" "$s" "${RPS[$round $s-off]}" \
		    "${RPS[$round $s]}" "$(ratio "${RPS[$round $s]}" "${RPS[$round $s-off]}")"
	done
done
for s in crm oos; do
	sum_on=0 sum_off=0
	for round in $(seq "$ROUNDS"); do
		sum_on=$(awk -v a="$sum_on" -v b="${RPS[$round $s]}" 'BEGIN { print a + b }')
		sum_off=$(awk -v a="$sum_off" -v b="${RPS[$round $s-off]}" 'BEGIN { print a + b }')
	done
	echo "$s: confined $(ratio "$sum_on" "$sum_off") of the unconfined rate over $ROUNDS" \
	    "rounds; trivial $(printf '%.0f' "${RPS[main trivial]}") req/s, then" \
	    "$(printf '%.0f' "${RPS[end trivial]}")"
done
exit 0
