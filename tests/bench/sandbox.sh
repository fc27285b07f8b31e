#!/bin/bash
# sandbox.sh: what the sandbox costs (twh_sandbox.c: Landlock and seccomp): the endpoints of
# paired.sh confined (the default configuration) and with sandbox = off, alternating, on one
# lighttpd on 127.0.0.1.  README.md in this folder says how to read what it prints.
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
. "$HERE/paired.sh"
paired_serve off "sandbox = off"
paired_run off

echo
report_title "twhook sandbox benchmark"
echo "wrk -t2 -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per URL); each endpoint"
echo "served twice: confined (sandbox = on, the default) and with sandbox = off"
echo "$MACHINE"
load_average
echo
paired_table off "req/s off" "req/s on" "on/off"
for s in crm oos; do
	echo "$s: confined $(paired_ratio off "$s") of the unconfined rate over $ROUNDS rounds;" \
	    "$(paired_trivial)"
done
exit 0
