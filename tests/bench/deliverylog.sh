#!/bin/bash
# deliverylog.sh: what the delivery log costs.  The same endpoint is served twice by one lighttpd on
# 127.0.0.1, once with the log (the default configuration) and once with delivery_log_days = 0,
# and wrk drives each in turn, alternating, so that the machine's drift falls on both alike:
# twhook-crm (a customer list, the fastest reading endpoint, where the log weighs most) and
# twhook-proxy-out-of-session (TwiML, a Body the log redacts).  README.md in this folder says
# how to read what it prints.
#
#   tests/bench/deliverylog.sh [-d SECONDS] BUILD_DIR
#
# Every request carries a correct X-Twilio-Signature and every scenario is checked with curl
# before and after its run; afterwards the log must hold a line for every request the logging
# endpoints answered, and none for the others.  Exit status: 0 when every scenario ran and
# answered correctly, 1 otherwise, 2 on a usage error.  It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
duration_requests_options "$@"
declare -A LOGGED SENT
ROUNDS=4			# each pair (without the log, with it) is measured this many times

need_built crm proxy-out-of-session
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq
bench_start

bench_environment
CONF_VARIANT[nolog]="delivery_log_days = 0"
ENTRY_CONF[/nolog/twhook-crm]=nolog
ENTRY_CONF[/nolog/twhook-proxy-out-of-session]=nolog
write_conf
sample_store 1
start_lighttpd "/twhook-crm=$CGI/twhook-crm" "/nolog/twhook-crm=$CGI/twhook-crm" \
    "/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session" \
    "/nolog/twhook-proxy-out-of-session=$CGI/twhook-proxy-out-of-session"
LOG_DIR=$DB-deliveries

# The scenarios, each at two URLs: PATH with the log, /nolog/PATH without.
crm_params=(Location=GetCustomersList Worker=alice@example.com PageSize=30)
oos_params=(To=+15555550000 From=+15555550101 MessageSid=SM00000000000000000000000000000001
    "Body=Where is my order?")
for where in "" /nolog; do
	name=crm${where:+-nolog}
	scenario "$name" "$where/twhook-crm" '.objects.customers | length == 3' "" \
	    "alice's customers" "${crm_params[@]}"
	name=oos${where:+-nolog}
	scenario "$name" "$where/twhook-proxy-out-of-session" '' "" "a message to a closed session" \
	    "${oos_params[@]}"
	SC_VERIFY[$name]=verify_twiml
done
scenario trivial /trivial '. == {}' "" "the baseline, with the crm scenario's body" \
    "${crm_params[@]}"
# The sample's answer for every closed session.
verify_twiml() { grep -q '<Message>This conversation has ended. Reply to reach us again.</Message>' "$T/body"; }

bench main trivial
# Odd rounds run the pair without the log first, even rounds with it first: a drift of the
# machine over the run (these machines are shared) then weighs on both sides alike.
for round in $(seq "$ROUNDS"); do
	for s in crm oos; do
		if [ $((round % 2)) -eq 1 ]; then
			bench "$round" "$s-nolog"
			bench "$round" "$s"
		else
			bench "$round" "$s"
			bench "$round" "$s-nolog"
		fi
	done
done
bench end trivial

# The log holds a line for every request the logging URLs answered, and only for those.
logged() { cat "$LOG_DIR"/*.jsonl 2> /dev/null | jq -r '.endpoint' | sort | uniq -c |
    awk -v e="$1" '$2 == e { print $1 }'; }
for s in crm oos; do
	endpoint=crm
	[ "$s" = crm ] || endpoint=proxy-out-of-session
	sent=0
	for round in $(seq "$ROUNDS"); do sent=$((sent + REQS[$round $s])); done
	LOGGED[$s]=$(logged "$endpoint")
	[ "${LOGGED[$s]:-0}" -ge "$sent" ] ||
	    die "$s: $sent requests answered, only ${LOGGED[$s]:-0} lines in $LOG_DIR"
	# At most the checks (3 a run) and wrk's 32 connections' requests under way at its end
	# besides: a line from the URLs without the log would be one too many.
	[ "${LOGGED[$s]}" -le $((sent + 35 * ROUNDS + 1)) ] ||
	    die "$s: $sent requests answered, but ${LOGGED[$s]} lines in $LOG_DIR"
	SENT[$s]=$sent
done

echo
report_title "twhook delivery log benchmark"
echo "wrk -t2 -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per URL); each endpoint"
echo "served twice: with the delivery log (the default) and with delivery_log_days = 0"
echo "$MACHINE"
load_average
echo
printf '%-6s %-5s %12s %12s %10s\n' round scen "req/s no log" "req/s log" "log/no log"
for round in $(seq "$ROUNDS"); do
	for s in crm oos; do
		printf '%-6s %-5s %12.0f %12.0f %10s\n' "$round" "$s" "${RPS[$round $s-nolog]}" \
		    "${RPS[$round $s]}" "$(ratio "${RPS[$round $s]}" "${RPS[$round $s-nolog]}")"
	done
done
for s in crm oos; do
	sum_log=0 sum_nolog=0
	for round in $(seq "$ROUNDS"); do
		sum_log=$(awk -v a="$sum_log" -v b="${RPS[$round $s]}" 'BEGIN { print a + b }')
		sum_nolog=$(awk -v a="$sum_nolog" -v b="${RPS[$round $s-nolog]}" 'BEGIN { print a + b }')
	done
	echo "$s: with the log $(ratio "$sum_log" "$sum_nolog") of the rate without it," \
	    "over $ROUNDS rounds (${SENT[$s]} requests logged as ${LOGGED[$s]} lines," \
	    "the checks included); trivial $(printf '%.0f' "${RPS[main trivial]}") req/s," \
	    "then $(printf '%.0f' "${RPS[end trivial]}")"
done
echo "log: $(du -sh "$LOG_DIR" | cut -f1) in $LOG_DIR," \
    "$(cat "$LOG_DIR"/*.jsonl | wc -c) bytes for $(cat "$LOG_DIR"/*.jsonl | wc -l) lines"
exit 0
