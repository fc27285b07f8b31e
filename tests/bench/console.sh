#!/bin/bash
# console.sh: what the operator console's pages cost behind a real web server: the Overview,
# the Deliveries page over a year of logs (LINES deliveries, 1,000,000 by default, written by
# deliverylog_browse.c with the writer itself) and /metrics, from twhook-console on one lighttpd
# on 127.0.0.1, driven by wrk at an operator's concurrency (4 connections), the Overview once
# more at 32 and the rare SID's page at 1.  The machine's totals hold REQUESTS requests counted
# over the last day by the same driver, through twh_metrics_record.  README.md in this folder
# says how to read what it prints.
#
#   tests/bench/console.sh [-d SECONDS] [-n LINES] BUILD_DIR
#
# Every page is checked with curl before and after its run: its status, and what it must show
# (the Overview's traffic, 50 rows of the right endpoint, status, SID or day, the Prometheus
# counters).  Exit status: 0 when every scenario ran and answered correctly, 1 otherwise, 2 on
# a usage error.  It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lines=1000000
MORE_OPTIONS=n:
MORE_USAGE="[-n LINES]"
more_option() { [ "$1" = n ] && [[ $2 =~ ^[1-9][0-9]*$ ]] && lines=$2; }
duration_requests_options "$@"
DRIVER=$BUILD/tests/bench/deliverylog_browse
REQUESTS=200000		# counted in the totals over the last day
RARE=CH0123456789abcdef0123456789abcdef
MID=2025-07-02
GOAL_MS=200
MOUNT=/twhook-console

need_built console
need_tools cc "$LIGHTTPD" wrk curl
make -s -C "$BUILD/tests" bench/deliverylog_browse >&2 || die "cannot build $DRIVER"
bench_start
bench_environment
LOG=$DB-deliveries
CONF_EXTRA=("console_auth = none")
write_conf
"$TWHOOK" -c "$CONF" init > /dev/null || die "twhook init failed"

say "logging $lines deliveries over 2025, counting $REQUESTS requests in the totals"
started=$(now)
"$DRIVER" write "$LOG" "$lines" 365 2025-01-01 || die "the driver could not write the log"
write_secs=$(elapsed "$started")
"$DRIVER" totals "$LOG" "$REQUESTS" || die "the driver could not count the totals"
[ "$(cat "$LOG"/*.jsonl | wc -l)" = "$lines" ] || die "$LOG does not hold $lines lines"
rare_count=$(cat "$LOG"/*.jsonl | grep -c "$RARE" || true)
range_count=$(awk -v a="${MID}T10:00:00.000Z" -v b="${MID}T12:00:00.000Z" \
    '{ t = substr($0, 10, 24) } t >= a && t < b { n++ } END { print n + 0 }' "$LOG/$MID.jsonl")

start_lighttpd "$MOUNT=$CGI/twhook-console"

# rows: the deliveries the page in $T/body lists, one link to each; their ids in $T/ids.
rows() {
	grep -o "href=\"$MOUNT/delivery?id=[^\"]*\"" "$T/body" | sed 's/.*id=//; s/"$//; s/%3A/:/' \
	    > "$T/ids" || true
	wc -l < "$T/ids"
}

# The checks (SC_VERIFY), each of the answer in $T/body.
verify_overview() {
	grep -q 'Traffic' "$T/body" && grep -q '<svg' "$T/body" && grep -q 'proxy-out-of-session' \
	    "$T/body"
}
verify_newest() { [ "$(rows)" = 50 ] && grep -q '^2025-12-31:' "$T/ids"; }
# Every row's cells: endpoint crm, a status 4xx, and no other endpoint's row.
verify_crm_4xx() {
	[ "$(rows)" = 50 ] &&
	    [ "$(grep -o '<td class="endpoint">[^<]*</td>' "$T/body" | sort -u)" = \
		'<td class="endpoint">crm</td>' ] &&
	    [ "$(grep -Eo '<td class="n">4[0-9][0-9]</td>' "$T/body" | wc -l)" = 50 ]
}
# The rare SID's rows, each showing it; none only when the page read its budget of the log
# first ("Search older") or the log holds none.
verify_sid() {
	local n
	n=$(rows)
	[ "$n" -le "$rare_count" ] && [ "$(grep -o "$RARE" "$T/body" | wc -l)" -gt "$n" ] &&
	    { [ "$n" -ge 1 ] || [ "$rare_count" = 0 ] || grep -q 'Search older' "$T/body"; }
}
verify_range() {
	[ "$(rows)" = $((range_count < 50 ? range_count : 50)) ] &&
	    [ "$(grep -vc "^$MID:" "$T/ids")" = 0 ]
}
verify_metrics() {
	grep -q '^# TYPE twhook_requests_total counter$' "$T/body" &&
	    grep -Eq '^twhook_requests_total\{endpoint="crm",status="200"\} [1-9][0-9]*$' "$T/body"
}

# page NAME PATH VERIFY NOTE: a scenario GETting PATH of the console.
page() {
	scenario "$1" "$MOUNT$2" '' '' "$4"
	SC_GET[$1]=1
	SC_VERIFY[$1]=$3
}
page overview / verify_overview "the Overview"
page deliveries /deliveries verify_newest "the newest page"
page crm-4xx '/deliveries?endpoint=crm&status=4xx' verify_crm_4xx "endpoint crm, status 4xx"
page rare-sid "/deliveries?sid=$RARE" verify_sid "a SID in one delivery of 50,000"
page range "/deliveries?since=${MID}T10:00&until=${MID}T12:00" verify_range \
    "$MID 10:00 to 12:00"
page metrics /metrics verify_metrics "Prometheus's text"

CONNECTIONS=4
for s in overview deliveries crm-4xx rare-sid range metrics; do
	bench c4 "$s"
done
CONNECTIONS=32
bench c32 overview
# The dearest page alone: its cost without the queue that 4 connections make on 2 processes.
CONNECTIONS=1
bench c1 rare-sid

echo
report_title "twhook-console benchmark"
echo "wrk -t2 (-t1 for 1 connection) -d${duration}s, lighttpd + mod_fastcgi (max-procs 2)," \
    "console_auth = none"
echo "$MACHINE"
echo "log: $lines deliveries over the 365 days of 2025, $(du -sm "$LOG" | cut -f1) MiB," \
    "written in $write_secs s; totals: $REQUESTS requests over the last day"
load_average
echo
printf '%-11s %5s %-60s %8s %8s %8s %6s %s\n' scenario conns path req/s "p50 ms" "p99 ms" \
    errors "goal p99 < $GOAL_MS ms"
for key in "c4 overview" "c4 deliveries" "c4 crm-4xx" "c4 rare-sid" "c4 range" "c4 metrics" \
    "c32 overview" "c1 rare-sid"; do
	s=${key#* }
	conns=${key%% *}
	verdict=met
	awk -v p="${P99[$key]}" -v g="$GOAL_MS" 'BEGIN { exit !(p < g) }' || verdict=missed
	printf '%-11s %5s %-60s %8.0f %8.2f %8.2f %6s %s\n' "$s" "${conns#c}" \
	    "${SC_PATH[$s]#"$MOUNT"}" "${RPS[$key]}" "${P50[$key]}" "${P99[$key]}" "${ERRS[$key]}" \
	    "$verdict"
done
exit 0
