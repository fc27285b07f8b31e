#!/bin/bash
# postgres.sh: the store on PostgreSQL against the store on SQLite, the same endpoints served by
# one lighttpd on 127.0.0.1 from both in the same run; README.md in this folder says how to read
# what it prints.
#
#   tests/bench/postgres.sh [-d SECONDS] [-r REQUESTS] [-P PROCESSES] [-s] [-C MS] BUILD_DIR
#
# It starts a private PostgreSQL server of its own (initdb in its scratch directory, a loopback
# port, the server's default settings: fsync on), loads the same data into a SQLite store and a
# PostgreSQL database (schema/sample.sql, then 10,000 customers of 10 workers through `twhook
# import customers`), and serves twhook-crm and twhook-routing at /twhook-NAME (SQLite) and at
# /pg/twhook-NAME (PostgreSQL; PROCESSES FastCGI processes per URL, default 4, where SQLite's and
# the trivial responder's have 2: a process waits for the server on every request; with -s it
# reaches the server on its Unix socket rather than TCP; with -C, read_cache_ms = MS in their
# configuration, 0 to keep nothing), and the trivial FastCGI responder (trivial.c).  Each scenario
# is checked with curl (HTTP 200 and the expected JSON; for routing also the jobs queued), then
# driven by wrk for SECONDS (default 10): reads of worker7's customers (details of one, details of
# each of the 1,000 in turn, the first page of the list, a search), and routing, each request a new conversation (REQUESTS signed in
# advance per engine, default as many as the trivial responder answered in SECONDS).  It prints
# req/s and p99 latency against the trivial responder's and, for PostgreSQL, against SQLite's.
# Exit status: 0 when every scenario ran and answered correctly, 1 otherwise, 2 on a usage
# error.  It never judges the timings: it is a benchmark, not a test.
set -euo pipefail
export LC_ALL=C
HERE=$(cd "$(dirname "$0")" && pwd)
# The functions the benchmarks share: q, with_store, sample_store, scenario, check, bench,
# bench_new, prepare, start_lighttpd, ratio...; the options into duration, prepared, BUILD...
. "$HERE/lib.sh"
PG_PROCS=4		# FastCGI processes per PostgreSQL URL (-P)
PG_VIA=tcp		# how they reach the server: tcp, or socket (-s)
PG_CACHE=		# read_cache_ms of the PostgreSQL URLs (-C); empty: twhook's default
MORE_OPTIONS=P:sC:
MORE_USAGE="[-P PROCESSES] [-s] [-C MS]"
more_option() {
	case $1 in
	P) PG_PROCS=$2; [[ $2 =~ ^[1-9][0-9]?$ ]] ;;
	s) PG_VIA=socket ;;
	C) PG_CACHE=$2; [[ $2 =~ ^[0-9]+$ ]] ;;
	esac
}
duration_requests_options "$@"
need_built crm routing
THREADS=2			# wrk -t, as bench in lib.sh runs it
CUSTOMERS=10000			# imported besides the sample's 5
WORKERS=10			# worker0@example.com ..., owning them in turn
WORKER=worker7@example.com	# whose customers the reads ask for
PAGE=30
ALICE=alice@example.com
BOBBY=+15555550101		# the sample's customer 1, Bobby Shaftoe, alice's
ENGINES=(sqlite postgres)
declare -A PREFIX=([sqlite]="" [postgres]=/pg)		# the URL paths of each engine's endpoints
declare -A DIGIT=([sqlite]=1 [postgres]=2)	# in each engine's conversation SIDs and tokens
READS=(details details-each list-first search)
GOAL=0.6		# the issue's, for reads on PostgreSQL, req/s against trivial's

need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq python3 psql
bench_start

# The PostgreSQL server: tests/pg.sh, with what it needs of its host.
skip_all() { die "$*"; }
bail() { die "$*"; }
free_port() { pick_port; }
. "$HERE/../pg.sh"
[ -z "$PG_USER" ] || need_tools runuser

# ---------------------------------------------------------------------------------------------
# The data: $CUSTOMERS customers in the import format, the same file for both stores.  Within a
# worker's customers (j counts them) the first names turn every customer and the surnames every
# 32, so that "mar" (Maria, Mark, Martin... and Martinez) starts many of them; 1 in 10 has an
# avatar, 1 in 5 details, 1 in 20 a link.

customers_json() {
	jq -n --argjson n "$CUSTOMERS" --argjson w "$WORKERS" '
	["Maria", "Mark", "Martin", "Marta", "Marcus", "Marie", "Mario", "Margaret", "James", "John",
	 "Robert", "Michael", "William", "David", "Richard", "Joseph", "Linda", "Barbara",
	 "Elizabeth", "Jennifer", "Susan", "Jessica", "Sarah", "Karen", "Nancy", "Lisa", "Ahmed",
	 "Yuki", "Priya", "Wei", "Olga", "Kwame"] as $first |
	["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
	 "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
	 "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White"] as $last |
	[range($n) | . as $i | ($i / $w | floor) as $j | ("000000" + tostring)[-6:] as $num |
	 {customer_id: "B\($num)",
	  display_name: "\($first[$j % 32]) \($last[($j / 32 | floor) % 24])",
	  worker: "worker\($i % $w)@example.com",
	  channels: [{type: "sms", value: "+1556\($num)"}]}
	 + if $j % 10 == 0 then {avatar: "https://example.com/avatars/\($i).png"} else {} end
	 + if $j % 5 == 0 then {details: {title: "Information",
	       content: "Status: Active\n\nCustomer since: \(2010 + $j % 14)"}} else {} end
	 + if $j % 20 == 0 then {links: [{type: "CRM", display_name: "Open in CRM",
	       value: "https://crm.example.com/customers/\($i)"}]} else {} end]'
}

# load_store ENGINE: the store $DB (made by `twhook init` with $CONF): the sample, then the
# customers imported; checked, and the load time in LOADED[ENGINE].
declare -A LOADED
load_store() {
	local start got
	start=$(now)
	sample_store 1
	run_child "$T/import.out" "$TWHOOK" -c "$CONF" import customers "$T/customers.json" ||
	    die "twhook import customers failed on $1: $(cat "$T/import.out")"
	LOADED[$1]=$(elapsed "$start")
	got=$(q "SELECT (SELECT count(*) FROM customers) || ' ' ||
	    (SELECT count(*) FROM customers_search) || ' ' ||
	    (SELECT count(*) FROM customers WHERE worker = '$WORKER')")
	[ "$got" = "$((CUSTOMERS + 5)) $((CUSTOMERS + 5)) $((CUSTOMERS / WORKERS))" ] ||
	    die "the $1 store does not hold what was loaded (customers, search rows, $WORKER's:" \
		"$got)"
}

# ---------------------------------------------------------------------------------------------
# The scenarios, each at both engines' URLs: NAME-sqlite and NAME-postgres.  Their parameters
# and expected answers come from the SQLite store; PostgreSQL must answer the same.

define_scenarios() {
	local e p id first count m like token order="ORDER BY display_name COLLATE NOCASE, customer_id"
	scenario trivial /trivial '. == {}' "" "the baseline, with the list's body" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE"
	count=$(q "SELECT count(*) FROM customers WHERE worker = '$WORKER'")
	id=$(q "SELECT customer_id FROM customers AS c WHERE worker = '$WORKER' AND
	    avatar IS NOT NULL AND details_title IS NOT NULL AND
	    EXISTS (SELECT 1 FROM customer_links AS l WHERE l.customer_id = c.customer_id)
	    ORDER BY customer_id LIMIT 1")
	first=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' $order LIMIT 1")
	like="(lower(display_name) LIKE 'mar%' OR lower(display_name) LIKE '% mar%')"
	m=$(q "SELECT count(*) FROM customers WHERE worker = '$WORKER' AND $like")
	for e in "${ENGINES[@]}"; do
		p=${PREFIX[$e]}
		scenario "details-$e" "$p/twhook-crm" '.objects.customer.customer_id == $id and
		    (.objects.customer.links | length) == 1 and
		    (.objects.customer.channels | length) == 1' "--arg id $id" \
		    "GetCustomerDetailsByCustomerId, CustomerId=$id (avatar, details, a link)" \
		    Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" "CustomerId=$id"
		# The details of each of the worker's customers in turn (prepared below): B000007,
		# B000017 ... B009997.  The check asks for the last.
		scenario "details-each-$e" "$p/twhook-crm" '.objects.customer.customer_id == $id' \
		    "--arg id B009997" "GetCustomerDetailsByCustomerId, each of the $count in turn" \
		    Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" CustomerId=B009997
		scenario "list-first-$e" "$p/twhook-crm" "$LIST_OK" \
		    "--arg n $PAGE --arg first $first --arg more 1 --arg q -" \
		    "GetCustomersList PageSize=$PAGE, the first page of $count" \
		    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE"
		scenario "search-$e" "$p/twhook-crm" "$LIST_OK and all(.objects.customers[];
		    .display_name | ascii_downcase | test(\"(^| )mar\"))" \
		    "--arg n $PAGE --arg first $(q "SELECT customer_id FROM customers
		    WHERE worker = '$WORKER' AND $like $order LIMIT 1") --arg more 1 --arg q mar" \
		    "GetCustomersList Query=mar, $m of $count match, the first $PAGE" \
		    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE" Query=mar
		# Routing: a new conversation from alice's customer, its own token: alice is queued.
		# The checks with curl are new deliveries too (@SEQ@); wrk's come from prepare.
		scenario "routing-new-$e" "$p/twhook-routing" '. == {}' "" \
		    "a new conversation from alice's customer each time: a job for alice" \
		    "ConversationSid=CHc${DIGIT[$e]}0000000000000000000000@SEQ@" \
		    "MessagingBinding.Address=$BOBBY" "${ROUTING_PARAMS[@]}"
		token=c0c0c0c${DIGIT[$e]}-0000-4000-8000-0000@SEQ@
		SC_HEADERS[routing-new-$e]="I-Twilio-Idempotency-Token: $token"
	done
}

# ---------------------------------------------------------------------------------------------

bench_environment
say "PostgreSQL: initdb and the server, in $T/pg"
pg_dir "$T/pg"
pg_initdb "$PG_DIR/data" "$T/initdb.log" || die "initdb failed: $(tail -n 20 "$T/initdb.log")"
pg_server_start
[ "$PG_VIA" = tcp ] || PG_URI="postgresql:///twhook?host=$PG_DIR&port=$PG_PORT&user=twhook"
# Both engines write the delivery log, as by default on SQLite (PostgreSQL needs a directory).
CONF_VARIANT[pg]="database = $PG_URI
delivery_log = $T/pg-deliveries${PG_CACHE:+
read_cache_ms = $PG_CACHE}"
ENTRY_CONF[/pg/twhook-crm]=pg
ENTRY_CONF[/pg/twhook-routing]=pg
ENTRY_PROCS[/pg/twhook-crm]=$PG_PROCS
ENTRY_PROCS[/pg/twhook-routing]=$PG_PROCS
write_conf
customers_json > "$T/customers.json"
say "the stores: schema/sample.sql and $CUSTOMERS customers of $WORKERS workers in each"
load_store sqlite
with_store "$PG_URI" "$T/pg.conf" load_store postgres
# What autovacuum would do within a minute of the import, done now: the plans and the
# visibility map do not change in the middle of the run.
with_store "$PG_URI" "$T/pg.conf" q "VACUUM ANALYZE"
PG_VERSION=$(with_store "$PG_URI" "$T/pg.conf" q "SHOW server_version")
PG_SETTINGS=$(with_store "$PG_URI" "$T/pg.conf" q "SELECT string_agg(name || '=' ||
    current_setting(name), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync',
    'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers',
    'max_connections', 'autovacuum')")
start_lighttpd "/twhook-crm=$CGI/twhook-crm" "/pg/twhook-crm=$CGI/twhook-crm" \
    "/twhook-routing=$CGI/twhook-routing" "/pg/twhook-routing=$CGI/twhook-routing"
define_scenarios

bench main trivial
prepared_auto
declare -A identity=([sqlite]="json_extract(payload, '\$.identity') = '$ALICE'"
    [postgres]="payload::json ->> 'identity' = '$ALICE'")
for e in "${ENGINES[@]}"; do
	say "signing the details of each of $WORKER's customers for details-each-$e"
	prepare "details-each-$e" "d0d0d0d${DIGIT[$e]}" $((CUSTOMERS / WORKERS)) \
	    Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" "CustomerId=B{n:05d}7"
	check_signer "details-each-$e" Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" \
	    "CustomerId=B0000{n}7"
	say "signing $prepared requests for routing-new-$e"
	prepare "routing-new-$e" "a0a0a0a${DIGIT[$e]}" "$prepared" \
	    "ConversationSid=CHa${DIGIT[$e]}{n:030x}" \
	    "MessagingBinding.Address=$BOBBY" "${ROUTING_PARAMS[@]}"
	check_signer "routing-new-$e" "ConversationSid=CHa${DIGIT[$e]}{n:030x}" \
	    "MessagingBinding.Address=$BOBBY" "${ROUTING_PARAMS[@]}"
done
# Each pair by turns SQLite first and PostgreSQL first, so that a drift of the machine over the
# run (these machines are shared) weighs on both sides alike.
turn=0
for s in "${READS[@]}" routing-new; do
	order=("${ENGINES[@]}")
	[ $((turn % 2)) = 0 ] || order=(postgres sqlite)
	turn=$((turn + 1))
	for e in "${order[@]}"; do
		if [ "$s" = routing-new ]; then
			db=$DB conf=$CONF
			[ "$e" = sqlite ] || db=$PG_URI conf=$T/pg.conf
			with_store "$db" "$conf" bench_new main "$s-$e" twhook-routing \
			    "CHa${DIGIT[$e]}" \
			    "${identity[$e]}"
			# The checks with curl queued their job each, for alice.
			[ "$(with_store "$db" "$conf" jobs "CHc${DIGIT[$e]}%" "AND ${identity[$e]}")" = 2 ] ||
			    die "$s-$e: the checks with curl did not queue their jobs"
		else
			bench main "$s-$e"
		fi
	done
done
bench end trivial

# ---------------------------------------------------------------------------------------------
# The report.

echo
report_title "twhook store engines benchmark"
echo "wrk -t$THREADS -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2 per URL, $PG_PROCS per"
echo "PostgreSQL URL, read_cache_ms = ${PG_CACHE:-1000 (the default)});"
echo "twhook-crm and twhook-routing served twice: on SQLite (/twhook-NAME) and on PostgreSQL"
echo "(/pg/twhook-NAME), the delivery log on for both; X-Twilio-Signature checked on every request"
echo "stores: schema/sample.sql + $CUSTOMERS customers of $WORKERS workers (one JSON file, twhook"
echo "import customers); loaded in ${LOADED[sqlite]} s on SQLite," \
    "${LOADED[postgres]} s on PostgreSQL"
echo "reads for $WORKER ($((CUSTOMERS / WORKERS)) customers)"
echo "SQLite: a file in \$TMPDIR, as twhook opens it (WAL; routing commits synchronous = FULL)"
echo "PostgreSQL $PG_VERSION: a private server, data in \$TMPDIR, reached by" \
    "$([ "$PG_VIA" = tcp ] && echo "TCP on 127.0.0.1" || echo "its Unix socket"),"
echo "its default settings but for the port and listen_addresses: VACUUM ANALYZE after the import,"
echo "$PG_SETTINGS" | fold -s -w 92 | sed 's/^/    /; s/ *$//'
echo "(routing-new: $prepared requests signed in advance per engine)"
echo "$MACHINE"
load_average
for s in "${READS[@]}" routing-new; do
	echo "    $s: ${SC_NOTE[$s-sqlite]}"
	for e in "${ENGINES[@]}"; do
		[ -z "${NOTE_NEW[$s-$e]:-}" ] || echo "      $e: ${NOTE_NEW[$s-$e]}"
	done
done
echo
printf '%-12s %-8s %8s %8s %8s %8s %8s %8s %6s %s\n' scenario engine req/s xtrivial "p99 ms" \
    xtrivial xsqlite "xsqlite" errors goal
printf '%-12s %-8s %8s %8s %8s %8s %8s %8s %6s\n' "" "" "" "" "" "" req/s p99 ""
row() { # SCENARIO ENGINE KEY XSQLITE-KEY GOAL-TEXT
	local ref="main trivial"
	printf '%-12s %-8s %8.0f %8s %8.2f %8s %8s %8s %6s %s\n' "$1" "$2" "${RPS[$3]}" \
	    "$(ratio "${RPS[$3]}" "${RPS[$ref]}")" "${P99[$3]}" "$(ratio "${P99[$3]}" "${P99[$ref]}")" \
	    "${4:+$(ratio "${RPS[$3]}" "${RPS[$4]}")}" "${4:+$(ratio "${P99[$3]}" "${P99[$4]}")}" \
	    "${ERRS[$3]}" "$5"
}
row trivial - "main trivial" "" ""
for s in "${READS[@]}" routing-new; do
	row "$s" sqlite "main $s-sqlite" "" ""
	verdict=
	[ "$s" = routing-new ] || verdict="$GOAL $(awk -v r="${RPS[main $s-postgres]}" \
	    -v t="${RPS[main trivial]}" -v g="$GOAL" 'BEGIN { print (r / t >= g) ? "met" : "missed" }')"
	row "$s" postgres "main $s-postgres" "main $s-sqlite" "$verdict"
done
row end - "end trivial" "" ""
echo "(xtrivial: against the trivial responder measured first; xsqlite: PostgreSQL against the"
echo " same scenario on SQLite, in the same run; goal: the issue's for reads on PostgreSQL, req/s"
echo " at least $GOAL of trivial's, reported, not asserted; 'end' is the trivial responder again"
echo " after everything, against the first measurement)"
exit 0
