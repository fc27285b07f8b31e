#!/bin/bash
# deliverylog.sh: what the delivery log costs: the endpoints of paired.sh with the log (the
# default configuration) and with delivery_log_days = 0, alternating, on one lighttpd on
# 127.0.0.1 (twhook-proxy-out-of-session's Body is one the log redacts).  README.md in this
# folder says how to read what it prints.
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
. "$HERE/paired.sh"
paired_serve nolog "delivery_log_days = 0"
LOG_DIR=$DB-deliveries
paired_run nolog

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
paired_table nolog "req/s no log" "req/s log" "log/no log"
for s in crm oos; do
	echo "$s: with the log $(paired_ratio nolog "$s") of the rate without it," \
	    "over $ROUNDS rounds (${SENT[$s]} requests logged as ${LOGGED[$s]} lines," \
	    "the checks included); $(paired_trivial)"
done
echo "log: $(du -sh "$LOG_DIR" | cut -f1) in $LOG_DIR," \
    "$(cat "$LOG_DIR"/*.jsonl | wc -c) bytes for $(cat "$LOG_DIR"/*.jsonl | wc -l) lines"
exit 0
