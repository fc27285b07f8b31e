#!/bin/bash
# dispatch.sh: how long `twhook dispatch` takes from a job's enqueueing to its REST request on
# loopback; README.md in this folder says how to read what it prints.
#
#   tests/bench/dispatch.sh [-d SECONDS] [-r RATE] BUILD_DIR
#
# It serves twhook-routing from lighttpd on 127.0.0.1 (store: `twhook init`, schema/sample.sql
# and 300 pool workers), runs the mock of Twilio's Conversations API (tests/mock/twilio_mock.py)
# and `twhook dispatch` (the daemon) with api_base_url pointing at the mock, and sends RATE
# (default 100) routing webhooks a second for SECONDS (default 20), each a new delivery of a new
# conversation, signed in advance (sign_requests.py) and sent on schedule (pace_requests.py).
# Once every job is done it joins, per conversation, the job's created_at in the outbox, the
# time the mock received the job's POST .../Participants (its --log), and the webhook's send
# and answer times, and prints percentiles of each delay, with checks that the mock itself was
# not the bottleneck.  Exit status: 0 when every webhook was answered 200 and every job
# delivered exactly once, 1 otherwise, 2 on a usage error.  It never judges the timings.
set -euo pipefail
LC_ALL=C
export LC_ALL

usage() {
	echo "usage: $0 [-d SECONDS] [-r RATE] BUILD_DIR" >&2
	exit 2
}

duration=20
rate=100
while getopts d:r:h opt; do
	case $opt in
	d) duration=$OPTARG ;;
	r) rate=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
[[ $duration =~ ^[1-9][0-9]*$ ]] || usage
[[ $rate =~ ^[1-9][0-9]*$ ]] || usage

BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TWHOOK=$BUILD/src/twhook
ROUTING=$BUILD/cgi-bin/twhook-routing
MOCK_PY=$HERE/../mock/twilio_mock.py
POOL=300
ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
ALICE=alice@example.com
BOBBY=+15555550101		# customer 1, Bobby Shaftoe, alice's: each job adds alice
PROBES=200			# requests of the mock's own round trip measurement
# die, say, need_tools, bench_start, machine, q, request, scenario, check, start_lighttpd and
# more: the functions the benchmarks share.
. "$HERE/lib.sh"

[ -x "$TWHOOK" ] && [ -x "$ROUTING" ] || die "no $TWHOOK or $ROUTING: build first (make)"
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq python3
bench_start

# ---------------------------------------------------------------------------------------------
# The mock and the dispatcher.

# start_mock: the REST API mock; sets MOCK_PID and MOCK, its URL.
start_mock() {
	start_listener mock "the mock" python3 "$MOCK_PY" --port 0 --account-sid "$ACCOUNT_SID" \
	    --auth-token "$AUTH_TOKEN" --log "$T/mock.log"
	MOCK_PID=$LISTENER_PID MOCK=$LISTENER_URL
}

# ---------------------------------------------------------------------------------------------

bench_environment
say "starting the mock of Twilio's API"
start_mock
CONF_EXTRA=("account_sid = $ACCOUNT_SID" "api_base_url = $MOCK")
write_conf
say "the store: schema/sample.sql and $POOL pool workers"
sample_store "$POOL"
start_lighttpd "/twhook-routing=$ROUTING"
start_dispatcher

# One routing webhook by curl first: answered 200, and its job delivered to the mock.
scenario routing /twhook-routing '. == {}' "" "" \
    ConversationSid=CHc0000000000000000000000000000001 "MessagingBinding.Address=$BOBBY"
SC_HEADERS[routing]="I-Twilio-Idempotency-Token: c0c0c0c0-0000-4000-8000-000000000001"
check routing
wait_done 10 || die "the first job was not delivered: $(tail -n 5 "$T/dispatch.err")"
[ "$(q "SELECT state || ' ' || last_status FROM outbox")" = "done 201" ] &&
    [ "$(curl -s "$MOCK/_mock/participants" | jq -r '[.[].identity] | join(" ")')" = "$ALICE" ] ||
    die "the first job did not add $ALICE: $(q "SELECT * FROM outbox"; cat "$T/dispatch.err")"

total=$((rate * duration))
say "signing $total routing webhooks"
python3 "$HERE/sign_requests.py" --url "$ORIGIN/twhook-routing" --auth-token "$AUTH_TOKEN" \
    --count "$total" --token-prefix a0a0a0a0 "ConversationSid=CHa{n:032x}" \
    "MessagingBinding.Address=$BOBBY" AccountSid=$ACCOUNT_SID \
    MessagingBinding.ProxyAddress=+15555550000 FriendlyName= Attributes={} State=active \
    > "$T/routing.req" || die "sign_requests.py failed"
for n in 0 1; do
	[ "$("$TWHOOK" -c "$CONF" sign "$ORIGIN/twhook-routing" \
	    "ConversationSid=CHa$(printf '%032x' "$n")" "MessagingBinding.Address=$BOBBY" \
	    AccountSid=$ACCOUNT_SID MessagingBinding.ProxyAddress=+15555550000 FriendlyName= \
	    Attributes={} State=active)" = "$(sed -n "$((n + 1))s/\t.*//p" "$T/routing.req")" ] ||
	    die "sign_requests.py and twhook sign disagree"
done

say "sending $rate routing webhooks a second for $duration s"
mock0=$(cpu_ticks "$MOCK_PID")
disp0=$(cpu_ticks "$DISPATCH_PID")
start=$(now)
run_child "$T/paced.tsv" python3 "$HERE/pace_requests.py" --url "$ORIGIN/twhook-routing" \
    --rate "$rate" --requests "$T/routing.req" ||
    die "some webhooks were not answered 2xx: $(awk -F'\t' '$4 !~ /^2/' "$T/paced.tsv" |
	head -n 3)"
wait_done 30 || die "$(pending) jobs still pending 30 s after the last webhook"
wall=$(elapsed "$start")
mock_cpu=$(( $(cpu_ticks "$MOCK_PID") - mock0 ))
disp_cpu=$(( $(cpu_ticks "$DISPATCH_PID") - disp0 ))
say "all $total jobs finished"

# Every job done in one attempt, and each POST received once.
got=$(q "SELECT count(*) || ' ' || sum(state = 'done' AND attempts = 1 AND last_status = 201)
    FROM outbox WHERE idempotency_key LIKE 'add_participant:CHa%'")
[ "$got" = "$total $total" ] || die "jobs (all, done in 1 attempt with HTTP 201): $got"
jq -r 'select(.method == "POST" and (.path | test("^/v1/Conversations/CHa[0-9a-f]+/Participants$")))
    | [(.path | split("/")[3]), .time, .status] | @tsv' "$T/mock.log" > "$T/mock.tsv"
[ "$(wc -l < "$T/mock.tsv")" = "$total" ] &&
    [ "$(cut -f1 "$T/mock.tsv" | sort -u | wc -l)" = "$total" ] &&
    [ "$(cut -f3 "$T/mock.tsv" | sort -u)" = 201 ] ||
    die "the mock did not receive each job's POST exactly once, answered 201"

# The mock's own round trip: PROBES POSTs in a row on one keep-alive connection, by curl.
curl -s -o /dev/null -w '%{time_total}\n' -u "$ACCOUNT_SID:$AUTH_TOKEN" -d Identity=probe \
    "$MOCK/v1/Conversations/CHp[1-$PROBES]/Participants" > "$T/probe.txt" ||
    die "probing the mock failed"

# ---------------------------------------------------------------------------------------------
# The figures: one row per conversation, times in seconds; percentiles by nearest rank.

q "SELECT json_extract(payload, '\$.conversation_sid'), created_at, job_id FROM outbox
    WHERE idempotency_key LIKE 'add_participant:CHa%'" | tr '|' '\t' > "$T/jobs.tsv"
sed -n 's/.*job \([0-9]*\) add_participant: done (HTTP [0-9]*, \([0-9.]*\) ms).*/\1\t\2/p' \
    "$T/dispatch.err" > "$T/attempts.tsv"
sqlite3 -batch "$T/stats.db" <<-SQL > "$T/stats.txt"
	.mode tabs
	CREATE TABLE paced (sid TEXT PRIMARY KEY, sent REAL, answered REAL, status INT, late REAL);
	CREATE TABLE mock (sid TEXT PRIMARY KEY, received REAL, status INT);
	CREATE TABLE jobs (sid TEXT PRIMARY KEY, created REAL, job_id INT);
	CREATE TABLE attempts (job_id INT, ms REAL);
	CREATE TABLE probes (s REAL);
	.import $T/paced.tsv paced
	.import $T/mock.tsv mock
	.import $T/jobs.tsv jobs
	.import $T/attempts.tsv attempts
	.import $T/probe.txt probes
	CREATE VIEW d AS
	SELECT 'enqueue -> request' AS what, 1 AS o, (m.received - j.created) * 1000 AS ms
	    FROM jobs AS j JOIN mock AS m USING (sid)
	UNION ALL SELECT 'answer -> request', 2, (m.received - p.answered) * 1000
	    FROM paced AS p JOIN mock AS m USING (sid)
	UNION ALL SELECT 'send -> request', 3, (m.received - p.sent) * 1000
	    FROM paced AS p JOIN mock AS m USING (sid)
	UNION ALL SELECT 'webhook answer', 4, (p.answered - p.sent) * 1000 FROM paced AS p
	UNION ALL SELECT 'send lateness', 5, p.late * 1000 FROM paced AS p
	UNION ALL SELECT 'dispatch attempt', 6, ms FROM attempts JOIN jobs USING (job_id)
	UNION ALL SELECT 'mock round trip', 7, s * 1000 FROM probes;
	WITH r AS (SELECT what, o, ms, row_number() OVER (PARTITION BY what ORDER BY ms) AS k,
	    count(*) OVER (PARTITION BY what) AS n FROM d)
	SELECT what,
	    printf('%.2f', max(CASE WHEN k = (50 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(CASE WHEN k = (90 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(CASE WHEN k = (99 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(ms)), n
	FROM r GROUP BY what ORDER BY min(o);
SQL
[ "$(wc -l < "$T/stats.txt")" = 7 ] || die "computing the figures failed: $(cat "$T/stats.txt")"

# ---------------------------------------------------------------------------------------------
# The report.

hz=$(getconf CLK_TCK)
echo
report_title "twhook dispatch benchmark"
echo "$total routing webhooks, $rate a second for $duration s (pace_requests.py, 4 keep-alive"
echo "connections) through lighttpd + mod_fastcgi (twhook-routing, max-procs 2), each a new"
echo "conversation; twhook dispatch (daemon) -> tests/mock/twilio_mock.py on 127.0.0.1"
echo "$MACHINE"
load_average
echo
printf '%-20s %8s %8s %8s %8s %7s\n' "ms" p50 p90 p99 max count
awk -F'\t' '{ printf "%-20s %8s %8s %8s %8s %7s\n", $1, $2, $3, $4, $5, $6 }' "$T/stats.txt"
echo "(enqueue -> request: the mock's arrival time of the job's POST .../Participants minus the"
echo " job's created_at in the outbox; answer -> request and send -> request: the same arrival"
echo " minus when the webhook's answer came back, and when the webhook was sent; webhook answer:"
echo " the routing webhook's own latency; send lateness: how far behind schedule it was sent;"
echo " dispatch attempt: the dispatcher's time per job as it logs it (two store updates and the"
echo " REST call); mock round trip: $PROBES POSTs to the mock alone, one after the other)"
echo
awk -v w="$wall" -v m="$mock_cpu" -v d="$disp_cpu" -v hz="$hz" 'BEGIN {
	printf "CPU from the first webhook to the last job done (%.1f s): the mock %.1f%%", w,
	    100 * m / hz / w
	printf " of one CPU, the dispatcher %.1f%%\n", 100 * d / hz / w }'
exit 0
