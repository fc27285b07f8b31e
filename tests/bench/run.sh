#!/bin/bash
# run.sh: the twhook-crm benchmark; README.md in this folder says how to read what it prints.
#
#   tests/bench/run.sh [-d SECONDS] [-n CUSTOMERS...] BUILD_DIR
#
# For each store size (default 1000 and 1000000 customers) it builds a store with `twhook init`
# and the sqlite3 shell, serves twhook-crm and a trivial FastCGI responder (trivial.c) from one
# lighttpd on 127.0.0.1 (started afresh for each store, since the FastCGI processes open the
# store once), checks every scenario once with curl (HTTP 200 and the expected JSON),
# then drives each with wrk for SECONDS (default 10) and prints req/s and p99 latency, each
# against the trivial responder's, and the ratio between the largest and the smallest store.
# Exit status: 0 when every scenario ran and answered correctly, 1 otherwise, 2 on a usage
# error.  It never judges the timings: it is a benchmark, not a test.
set -euo pipefail
LC_ALL=C
export LC_ALL

usage() {
	echo "usage: $0 [-d SECONDS] [-n CUSTOMERS...] BUILD_DIR" >&2
	exit 2
}

duration=10
sizes=()
while getopts d:n:h opt; do
	case $opt in
	d) duration=$OPTARG ;;
	n) for s in ${OPTARG//,/ }; do sizes+=("$s"); done ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
# "-n 1000 1000000 BUILD_DIR": the numbers after -n that getopts left behind.
while [ $# -gt 1 ] && [[ $1 =~ ^[0-9]+$ ]]; do
	sizes+=("$1")
	shift
done
[ $# -eq 1 ] || usage
[[ $duration =~ ^[1-9][0-9]*$ ]] || usage
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 1000000)
for s in "${sizes[@]}"; do [[ $s =~ ^[1-9][0-9]*$ ]] || usage; done
mapfile -t sizes < <(printf '%s\n' "${sizes[@]}" | sort -nu)

BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
TWHOOK=$BUILD/src/twhook
CRM=$BUILD/cgi-bin/twhook-crm
WORKER=worker7@example.com
WORKERS=500
PAGE=30
# die, say, need_tools, bench_start, machine, q, request, scenario, check, start_lighttpd,
# bench, ratio and more: the functions the benchmarks share.
. "$HERE/lib.sh"

if [ ! -x "$TWHOOK" ] || [ ! -x "$CRM" ]; then
	die "no $TWHOOK or $CRM: build first (make)"
fi
need_tools cc "$LIGHTTPD" wrk sqlite3 curl jq
bench_start

# ---------------------------------------------------------------------------------------------
# The store: N customers owned round-robin by worker0@example.com .. worker499@example.com.

# store_sql N: the SQL that fills a store made by `twhook init`.  Names, avatars, details and
# links come from a hash of the customer's number, so that every run builds the same store.
store_sql() {
	cat <<-SQL
	PRAGMA journal_mode = WAL;
	PRAGMA synchronous = OFF;
	PRAGMA cache_size = -262144;
	PRAGMA temp_store = MEMORY;
	-- Channels go in before their customers (hence no foreign key checks until the end), so
	-- that the customers' insert trigger indexes each customer once, channels included; the
	-- channel trigger runs too, and finds no search row yet.
	PRAGMA foreign_keys = OFF;
	BEGIN;
	CREATE TEMP TABLE first_names (i INTEGER PRIMARY KEY, name TEXT NOT NULL);
	INSERT INTO first_names (i, name) SELECT key, value FROM json_each('["Maria","Mark",
	    "Martin","Marta","Marcus","Marie","Mario","Margaret","James","John","Robert",
	    "Michael","William","David","Richard","Joseph","Linda","Barbara","Elizabeth",
	    "Jennifer","Susan","Jessica","Sarah","Karen","Nancy","Lisa","Ahmed","Yuki","Priya",
	    "Wei","Olga","Kwame"]');
	CREATE TEMP TABLE last_names (i INTEGER PRIMARY KEY, name TEXT NOT NULL);
	INSERT INTO last_names (i, name) SELECT key, value FROM json_each('["Smith","Johnson",
	    "Williams","Brown","Jones","Garcia","Miller","Davis","Rodriguez","Martinez",
	    "Hernandez","Lopez","Gonzalez","Wilson","Anderson","Thomas","Taylor","Moore",
	    "Jackson","Martin","Lee","Perez","Thompson","White"]');
	-- 2 customers in 100 get one of these: a search for one finds few of a worker's customers.
	CREATE TEMP TABLE rare_names (i INTEGER PRIMARY KEY, name TEXT NOT NULL);
	INSERT INTO rare_names (i, name) SELECT key, value FROM json_each('["Okonkwo",
	    "Szymanski","Abernathy","Quigley","Fitzgerald"]');
	-- n and a well-mixed 32-bit hash of n (x XOR y is written (x | y) - (x & y)).
	CREATE TEMP TABLE gen (n INTEGER PRIMARY KEY, h INTEGER NOT NULL);
	WITH RECURSIVE seq (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $1),
	    a (n, h) AS (SELECT n, (n * 2654435761 + 12345) % 4294967296 FROM seq),
	    b (n, h) AS (SELECT n, (((h | (h >> 16)) - (h & (h >> 16))) * 73244475) % 4294967296
	        FROM a)
	INSERT INTO gen (n, h) SELECT n, (h | (h >> 16)) - (h & (h >> 16)) FROM b;
	INSERT INTO workers (identity)
	SELECT 'worker' || n || '@example.com' FROM gen WHERE n < $WORKERS;
	INSERT INTO customer_channels (customer_id, type, value)
	SELECT printf('C%07d', n), 'sms', printf('+1555%07d', n) FROM gen ORDER BY n;
	INSERT INTO customers (customer_id, display_name, worker, avatar, details_title,
	    details_content)
	SELECT printf('C%07d', g.n),
	    f.name || ' ' || CASE WHEN (g.h >> 20) % 100 < 2 THEN r.name ELSE l.name END,
	    'worker' || (g.n % $WORKERS) || '@example.com',
	    CASE WHEN (g.h >> 8) % 10 = 0 THEN printf('https://example.com/avatars/%d.png', g.n) END,
	    CASE WHEN (g.h >> 12) % 5 = 0 THEN 'Information' END,
	    CASE WHEN (g.h >> 12) % 5 = 0 THEN 'Status: Active' || char(10) || char(10) ||
	        'Customer since: ' || (2010 + (g.h >> 24) % 14) END
	FROM gen AS g
	JOIN first_names AS f ON f.i = g.h % 32
	JOIN last_names AS l ON l.i = (g.h >> 5) % 24
	JOIN rare_names AS r ON r.i = (g.h >> 10) % 5
	ORDER BY g.n;
	INSERT INTO customer_links (customer_id, type, value, display_name, position)
	SELECT printf('C%07d', n), 'CRM', printf('https://crm.example.com/customers/%d', n),
	    'Open in CRM', 0
	FROM gen WHERE (h >> 16) % 20 = 0 ORDER BY n;
	COMMIT;
	SQL
}

# make_store N: $DB filled with N customers; sets LOAD_SECONDS.
make_store() {
	local n=$1 start got
	store_sql "$n" > "$T/load.sql"
	start=$(now)
	"$TWHOOK" -c "$CONF" init > /dev/null || die "twhook init failed for $DB"
	if ! run_child "$T/load.out" sqlite3 -bail -batch "$DB" ".read $T/load.sql"; then
		cat "$T/load.out" >&2
		die "loading $n customers into $DB failed"
	fi
	LOAD_SECONDS=$(elapsed "$start")
	got=$(q "SELECT (SELECT count(*) FROM customers) || ' ' ||
	    (SELECT count(*) FROM customers_search) || ' ' ||
	    (SELECT count(*) FROM customers_search WHERE words NOT LIKE '%x1555%') || ' ' ||
	    (SELECT count(*) FROM pragma_foreign_key_check)")
	[ "$got" = "$n $n 0 0" ] ||
	    die "the store does not hold what was loaded (customers, search rows, rows without" \
		"channels, foreign key errors: $got; want $n $n 0 0)"
}

# The scenarios (see scenario and check in lib.sh; LIST_OK checks a list).
SCENARIOS=(details list-first list-anchor-deep list-token-deep search search-rare)

# define_scenarios: picks the parameters of each scenario from the store $DB.
define_scenarios() {
	local count pos target id first more m token consumed step surname prefix like order

	count=$(q "SELECT count(*) FROM customers WHERE worker = '$WORKER'")
	[ "$count" -ge 2 ] || die "$WORKER has $count customers: use stores of 508 or more"
	# The position Anchor and NextPageToken continue after: about 90% through the list.
	pos=$(((count - 1) * 9 / 10))
	order="ORDER BY display_name COLLATE NOCASE, customer_id"

	scenario trivial /trivial '. == {}' "" "the baseline" \
	    Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" CustomerId=C0000007

	id=$(q "SELECT customer_id FROM customers AS c WHERE worker = '$WORKER' ORDER BY
	    EXISTS (SELECT 1 FROM customer_links AS l WHERE l.customer_id = c.customer_id) DESC,
	    details_title IS NULL, avatar IS NULL, customer_id LIMIT 1")
	scenario details /twhook-crm '.objects.customer.customer_id == $id and
	    (.objects.customer.display_name | type) == "string" and
	    (.objects.customer.channels | length) == 1' "--arg id $id" "CustomerId=$id" \
	    Location=GetCustomerDetailsByCustomerId "Worker=$WORKER" "CustomerId=$id"

	first=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' $order LIMIT 1")
	m=$((count < PAGE ? count : PAGE))
	more=$((count > PAGE ? 1 : 0))
	scenario list-first /twhook-crm "$LIST_OK" \
	    "--arg n $m --arg first $first --arg more $more --arg q -" "PageSize=$PAGE" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE"

	id=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' $order
	    LIMIT 1 OFFSET $pos")
	first=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' $order
	    LIMIT 1 OFFSET $((pos + 1))")
	m=$((count - pos - 1 < PAGE ? count - pos - 1 : PAGE))
	more=$((count - pos - 1 > PAGE ? 1 : 0))
	scenario list-anchor-deep /twhook-crm "$LIST_OK" \
	    "--arg n $m --arg first $first --arg more $more --arg q -" \
	    "Anchor=$id, customer $((pos + 1)) of $count" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE" "Anchor=$id"

	# The same page through a NextPageToken, got by walking the list from its top.
	token=
	consumed=0
	target=$((pos + 1))
	while [ "$consumed" -lt "$target" ]; do
		step=$((target - consumed > 100 ? 100 : target - consumed))
		scenario walk /twhook-crm '.objects.next_page_token | type == "string"' "" "" \
		    Location=GetCustomersList "Worker=$WORKER" "PageSize=$step" \
		    ${token:+"NextPageToken=$token"}
		check walk
		token=$(jq -r .objects.next_page_token "$T/body")
		consumed=$((consumed + step))
	done
	step=$(((target + 99) / 100))
	scenario list-token-deep /twhook-crm "$LIST_OK" \
	    "--arg n $m --arg first $first --arg more $more --arg q -" \
	    "NextPageToken after customer $((pos + 1)) of $count (walked $step list pages to get it)" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE" "NextPageToken=$token"

	# search: the commonest 3-letter start of the worker's customers' names ("mar" if tied).
	prefix=$(q "SELECT lower(substr(display_name, 1, 3)) AS p FROM customers
	    WHERE worker = '$WORKER' GROUP BY p ORDER BY count(*) DESC, p <> 'mar', p LIMIT 1")
	like="(lower(display_name) LIKE '$prefix%' OR lower(display_name) LIKE '% $prefix%')"
	m=$(q "SELECT count(*) FROM customers WHERE worker = '$WORKER' AND $like")
	first=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' AND $like $order
	    LIMIT 1")
	scenario search /twhook-crm "$LIST_OK and all(.objects.customers[];
	    .display_name | ascii_downcase | test(\"(^| )\" + \$q))" \
	    "--arg n $((m < PAGE ? m : PAGE)) --arg first $first --arg more $((m > PAGE ? 1 : 0))
	    --arg q $prefix" "Query=$prefix, $m of $count match" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE" "Query=$prefix"

	# search-rare: the surname that the fewest of the worker's customers have.
	surname=$(q "SELECT substr(display_name, instr(display_name, ' ') + 1) AS s FROM customers
	    WHERE worker = '$WORKER' GROUP BY s ORDER BY count(*), s LIMIT 1")
	like="(lower(display_name) LIKE '% $(tr "[:upper:]" "[:lower:]" <<< "$surname")%')"
	m=$(q "SELECT count(*) FROM customers WHERE worker = '$WORKER' AND $like")
	first=$(q "SELECT customer_id FROM customers WHERE worker = '$WORKER' AND $like $order
	    LIMIT 1")
	scenario search-rare /twhook-crm "$LIST_OK and all(.objects.customers[];
	    .display_name | ascii_downcase | test(\" \" + \$q))" \
	    "--arg n $((m < PAGE ? m : PAGE)) --arg first $first --arg more $((m > PAGE ? 1 : 0))
	    --arg q $(tr "[:upper:]" "[:lower:]" <<< "$surname")" "Query=$surname, $m of $count match" \
	    Location=GetCustomersList "Worker=$WORKER" "PageSize=$PAGE" "Query=$surname"
}

# ---------------------------------------------------------------------------------------------

MACHINE=$(machine)
echo "$MACHINE" >&2
AUTH_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
PORT=
build_trivial

declare -A LOAD NOTES
last=${sizes[${#sizes[@]} - 1]}
for n in "${sizes[@]}"; do
	mkdir -p "$T/store-$n"
	DB=$T/store-$n/store.db
	CONF=$T/store-$n/twhook.conf
	PORT=${PORT:-$(pick_port)}
	write_conf
	say "$n customers: loading the store"
	make_store "$n"
	LOAD[$n]="$LOAD_SECONDS s, $(du -m "$DB" | cut -f1) MB"
	say "$n customers: loaded in ${LOAD[$n]}"
	start_lighttpd "/twhook-crm=$CRM"
	define_scenarios
	NOTES[$n]=$(for s in "${SCENARIOS[@]}"; do echo "    $s: ${SC_NOTE[$s]}"; done)
	bench "$n" trivial
	for s in "${SCENARIOS[@]}"; do
		bench "$n" "$s"
		bench_same_size "$n" "$s"
	done
	if [ "$n" = "$last" ]; then
		bench end trivial
	fi
	stop_lighttpd
	rm -rf "$T/store-$n"
done

# ---------------------------------------------------------------------------------------------
# The report.

echo
report_title "twhook-crm benchmark"
echo "wrk -t2 -c32 -d${duration}s, lighttpd + mod_fastcgi (max-procs 2),"
echo "$WORKERS workers, scenarios for $WORKER, X-Twilio-Signature checked on every request"
echo "$MACHINE"
for n in "${sizes[@]}"; do
	echo "store of $n customers: loaded in ${LOAD[$n]}"
	echo "${NOTES[$n]}"
done
echo
printf '%-8s %-17s %8s %8s %8s %8s %7s %7s %7s %6s\n' store scenario req/s xtrivial \
    "p99 ms" xtrivial bytes xsame p99same errors
for n in "${sizes[@]}" end; do
	ref=$n
	[ "$n" = end ] && ref=${sizes[0]}
	for s in trivial "${SCENARIOS[@]}"; do
		[ -n "${RPS[$n $s]:-}" ] || continue
		printf '%-8s %-17s %8.0f %8s %8.2f %8s %s %6s\n' "$n" "$s" "${RPS[$n $s]}" \
		    "$(ratio "${RPS[$n $s]}" "${RPS[$ref trivial]}")" "${P99[$n $s]}" \
		    "$(ratio "${P99[$n $s]}" "${P99[$ref trivial]}")" \
		    "$(same_size_columns "$n" "$s")" "${ERRS[$n $s]}"
	done
done
echo "(xtrivial: against the trivial responder measured just before, in the same store's run;"
echo " bytes: the answer's size; xsame and p99same: against the trivial responder answering as"
echo " many bytes, measured right after the scenario, for answers of 256 bytes or more; the"
echo " 'end' row is the trivial responder again after everything, against the first one)"
if [ ${#sizes[@]} -gt 1 ]; then
	small=${sizes[0]}
	echo
	printf 'scaling from %s to %s customers:\n' "$small" "$last"
	printf '%-17s %12s %12s %10s %10s\n' scenario "req/s" "req/s" "req/s" "p99"
	printf '%-17s %12s %12s %10s %10s\n' "" "@$small" "@$last" ratio ratio
	for s in trivial "${SCENARIOS[@]}"; do
		printf '%-17s %12.0f %12.0f %10s %10s\n' "$s" "${RPS[$small $s]}" "${RPS[$last $s]}" \
		    "$(ratio "${RPS[$last $s]}" "${RPS[$small $s]}")" \
		    "$(ratio "${P99[$last $s]}" "${P99[$small $s]}")"
	done
fi
exit 0
