#!/bin/bash
# builds.sh: what a change costs the endpoints: the endpoints of paired.sh from two builds, this
# one (BUILD_DIR) and another (BASE_BUILD, of an earlier commit, say), side by side on one
# lighttpd on 127.0.0.1, with the same configuration and store, alternating which goes first.
# README.md in this folder says how to read what it prints.
#
#   tests/bench/builds.sh [-d SECONDS] [-n ROUNDS] -b BASE_BUILD BUILD_DIR
#
# The store is made by BUILD_DIR's twhook, which also signs the requests: the two builds must
# share the store's schema and the configuration's keys.  Every request carries a correct
# X-Twilio-Signature and every scenario is checked with curl before and after its run.  Exit
# status: 0 when every scenario ran and answered correctly, 1 otherwise, 2 on a usage error.
# It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
ROUNDS=6			# each pair (base, this build) is measured this many times
BASE=
MORE_OPTIONS=b:n:
MORE_USAGE="[-n ROUNDS] -b BASE_BUILD"
more_option() {
	case $1 in
	b) [ -d "$2" ] && BASE=$(cd "$2" && pwd) ;;
	n) [[ $2 =~ ^[1-9][0-9]*$ ]] && ROUNDS=$2 ;;
	*) false ;;
	esac
}
duration_requests_options "$@"
[ -n "$BASE" ] || options_usage

for e in crm proxy-out-of-session; do
	[ -x "$BASE/cgi-bin/twhook-$e" ] || die "no $BASE/cgi-bin/twhook-$e: build the base first"
done
need_built crm proxy-out-of-session
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq git

# built BUILD: where BUILD's source is and its commit (git describe), for the report.
built() {
	local src
	src=$(sed -n "s/^srcdir='\(.*\)'$/\1/p" "$1/config.status" 2> /dev/null)
	[ -n "$src" ] || { echo "source unknown"; return; }
	echo "source $src, $(git -C "$src" describe --always --dirty 2> /dev/null || echo '?')"
}
bench_start

bench_environment
. "$HERE/paired.sh"
PAIRED_DECIMALS=3
paired_serve base "" "$BASE/cgi-bin"
paired_run base

# cpu_per_request PROGRAM SCENARIO: the microseconds of CPU (user and system) that lighttpd's
# FastCGI processes running PROGRAM used, per request of SCENARIO: wrk's over the rounds and
# the checks (2 a round), from the processes' start (the time to start is in it, but no more
# than a few requests' worth).  The machine's load moves it less than it moves a rate.
cpu_per_request() {
	local pid ticks=0 round n=0
	for pid in $(pgrep -P "$LIGHTTPD_PID"); do
		[ "$(readlink "/proc/$pid/exe")" = "$1" ] || continue
		ticks=$((ticks + $(cpu_ticks "$pid")))
	done
	for round in $(seq "$ROUNDS"); do n=$((n + ${REQS[$round $2]} + 2)); done
	awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$n" \
	    'BEGIN { printf "%.1f", t / hz * 1e6 / n }'
}
declare -A CPU
for s in crm oos; do
	endpoint=crm
	[ "$s" = crm ] || endpoint=proxy-out-of-session
	CPU[$s]=$(cpu_per_request "$CGI/twhook-$endpoint" "$s")
	CPU[$s-base]=$(cpu_per_request "$BASE/cgi-bin/twhook-$endpoint" "$s-base")
done

echo
report_title "twhook build against build benchmark"
echo "wrk -t2 -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per URL); each endpoint"
echo "served twice: from this build, $BUILD ($(built "$BUILD")),"
echo "and from the base, $BASE ($(built "$BASE"))"
echo "$MACHINE"
load_average
echo
paired_table base "req/s base" "req/s build" "build/base"
for s in crm oos; do
	echo "$s: this build $(paired_median base "$s") of the base's rate (the median of" \
	    "$ROUNDS rounds; $(paired_ratio base "$s") of their sums); $(paired_trivial)"
done
echo
printf '%-5s %14s %14s %10s\n' scen "CPU us base" "CPU us build" build/base
for s in crm oos; do
	printf '%-5s %14s %14s %10s\n' "$s" "${CPU[$s-base]}" "${CPU[$s]}" \
	    "$(ratio "${CPU[$s]}" "${CPU[$s-base]}" 3)"
done
echo "(CPU us: the endpoint processes' user and system time a request, over all rounds)"
exit 0
