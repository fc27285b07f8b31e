#!/bin/bash
# deliverylog_browse.sh: what a page of the console's Deliveries page costs on a year of logs
# (twh_deliverylog_browse.c).  The driver deliverylog_browse.c logs LINES deliveries (1,000,000
# by default) over the 365 days of 2025 with the writer itself, then times calls for a page of
# 50 rows: the newest page, filtered by endpoint and status, by a SID in one delivery of
# 50,000, and by two hours in the middle of the year; the SID and the two hours also walked
# page by page to the end.  README.md in this folder says how to read what it prints.
#
#   tests/bench/deliverylog_browse.sh [-n LINES] [-r REPEAT] BUILD_DIR
#
# The walks must find every delivery that grep and awk count in the files.  Exit status: 0
# when every scenario ran and found what it should, 1 otherwise, 2 on a usage error.  It
# never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
lines=1000000
repeat=50
usage() { echo "usage: $0 [-n LINES] [-r REPEAT] BUILD_DIR" >&2; exit 2; }
while getopts n:r: opt; do
	case $opt in
	n) lines=$OPTARG ;;
	r) repeat=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] && [[ $lines =~ ^[1-9][0-9]*$ ]] && [[ $repeat =~ ^[1-9][0-9]*$ ]] || usage
BUILD=$(cd "$1" && pwd)
DRIVER=$BUILD/tests/bench/deliverylog_browse
RARE=CH0123456789abcdef0123456789abcdef
MID=2025-07-02
GOAL_MS=200
make -s -C "$BUILD/tests" bench/deliverylog_browse >&2 || die "cannot build $DRIVER"
need_tools awk grep
bench_start
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

LOG=$T/deliveries
say "logging $lines deliveries over 2025"
started=$(now)
"$DRIVER" write "$LOG" "$lines" 365 2025-01-01 || die "the driver could not write the log"
write_secs=$(elapsed "$started")
days=$(find "$LOG" -name '*.jsonl' | wc -l)
written=$(cat "$LOG"/*.jsonl | wc -l)
[ "$days" = 365 ] && [ "$written" = "$lines" ] ||
    die "$days days' files and $written lines in $LOG, not 365 and $lines"
rare_count=$(cat "$LOG"/*.jsonl | grep -c "$RARE" || true)
range_count=$(awk -v a="${MID}T10:00:00.000Z" -v b="${MID}T12:00:00.000Z" \
    '{ t = substr($0, 10, 24) } t >= a && t < b { n++ } END { print n + 0 }' "$LOG/$MID.jsonl")

report_title "deliverylog_browse.sh: the console's pages of the delivery log"
echo "machine: $(nproc) CPUs, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo "log: $lines deliveries in $days days' files, $(du -sm "$LOG" | cut -f1) MiB," \
    "written in $write_secs s; the files in the page cache (a first call reads them)"
echo "each scenario: $repeat calls of twh_deliverylog_browse for a page of 50 rows" \
    "(a walk: every page to the end, $((repeat / 10 + 1)) times)"
echo
printf '%-36s %8s %8s %7s %6s %7s %s\n' scenario "p50 ms" "p99 ms" rows pages "budget" \
    "goal ${GOAL_MS} ms"

# scenario NAME WANT_ROWS DRIVER_OPTIONS...: a line of the report; WANT_ROWS is the rows a call
# must find (a walk: all of them), or - when any number will do.
scenario() {
	local name=$1 want=$2 p50 p99 rows pages spent next verdict
	shift 2
	read -r p50 p99 rows pages spent next < <("$DRIVER" time "$@" "$LOG") ||
	    die "$name: the driver failed"
	[ "$want" = - ] || [ "$rows" = "$want" ] || die "$name: $rows rows, not $want"
	verdict=met
	awk -v p="$p99" -v g="$GOAL_MS" 'BEGIN { exit !(p < g) }' || verdict=missed
	printf '%-36s %8s %8s %7s %6s %7s %s\n' "$name" "$p50" "$p99" "$rows" "$pages" "$spent" \
	    "$verdict"
}

walks=$((repeat / 10 + 1))
scenario "newest page" 50 -r "$repeat"
scenario "endpoint crm, status 4xx" 50 -r "$repeat" -e crm -x 4xx
scenario "endpoint routing, status 500" 50 -r "$repeat" -e routing -x 500
scenario "a rare SID, first page" - -r "$repeat" -s "$RARE"
scenario "a rare SID, walked to the end" "$rare_count" -w -r "$walks" -s "$RARE"
scenario "a word in every line, not a SID" 0 -r "$repeat" -s valid
scenario "$MID 10:00-12:00, first page" $((range_count < 50 ? range_count : 50)) -r "$repeat" -S "${MID}T10:00" -U "${MID}T12:00"
scenario "$MID 10:00-12:00, walked" "$range_count" -w -r "$walks" -S "${MID}T10:00" \
    -U "${MID}T12:00"
echo "(rows: a call's rows, a walk's in all; pages: a walk's; budget: the pages of a call or"
echo " walk that stopped at the budget of 64 MiB before they were full)"
load_average
exit 0
