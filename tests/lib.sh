# lib.sh: sourced by every shell test.  It gives TAP output (ok, is, done_testing), a scratch
# directory with a configuration and a store holding schema/sample.sql, and three ways to run
# an endpoint: cgi (raw CGI, every variable under the test's control), signed (a form request
# signed the way Twilio signs it) and twhook request.  Responses land in $T/head and $T/body,
# with $status and $ctype set.  With TWHOOK_VALGRIND=1 every program run is under valgrind.
# done_testing adds one last assertion: no program run crashed, exited non-zero after answering,
# or drew a report from the sanitizers or valgrind.
#
# With TWHOOK_STORE=postgres the store is a PostgreSQL database instead of a SQLite file: each
# test starts its own server (tests/pg.sh) on a loopback port in its scratch directory, $DB is
# its URI, and sql, store_dump, hold_write_lock, store_away and schema_version speak to it with
# psql.  Tests that check something only one engine has ask on_postgres.
set -u
LC_ALL=C
export LC_ALL
: "${top_builddir:?run through make check}" "${top_srcdir:?run through make check}"

TWHOOK=$top_builddir/src/twhook
CGI_DIR=$top_builddir/cgi-bin
T=$(mktemp -d "${TMPDIR:-/tmp}/twhook-test.XXXXXX")
WRAP=
if [ "${TWHOOK_VALGRIND:-0}" = 1 ]; then
	mkdir "$T/valgrind"
	# An absolute path: lighttpd runs bin-path without searching PATH.
	WRAP="$(command -v valgrind) -q --trace-children=yes --leak-check=full --errors-for-leak-kinds=definite --log-file=$T/valgrind/%p.log"
fi
unhealthy=0
unhealthy_first=
CONF=$T/twhook.conf
DB=$T/store.db
DELIVERY_LOG=$DB-deliveries	# SQLite's default; the configuration names it on PostgreSQL
HOST=hooks.test
STORE_ENGINE=${TWHOOK_STORE:-sqlite}
on_postgres() { [ "$STORE_ENGINE" = postgres ]; }
! on_postgres || . "$top_srcdir/tests/pg.sh"
tap_n=0
tap_failed=0
cleanup_pids=

# Stops what the test started and removes its scratch directory (kept with KEEP_T=1, to debug).
cleanup() {
	for pid in $cleanup_pids; do kill "$pid" 2>/dev/null; done
	for pid in $cleanup_pids; do wait "$pid" 2>/dev/null; done
	! on_postgres || pg_stop
	if [ -n "${KEEP_T:-}" ]; then echo "# kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $*"; }
fail() { tap_n=$((tap_n + 1)); tap_failed=$((tap_failed + 1)); echo "not ok $tap_n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail() { echo "Bail out! $*"; exit 1; }

# ok DESCRIPTION COMMAND...: passes when COMMAND succeeds.
ok() {
	desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		diag "got:  $1" "want: $2"
	fi
}

# like GOT PATTERN DESCRIPTION: GOT matches the grep -E PATTERN.
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3"
		diag "got:  $1" "want: /$2/"
	fi
}

# health PROGRAM RC ERRFILE: notes a run that crashed, failed after answering, or drew a report.
health() {
	if [ "$2" -ge 128 ] || { [ "$2" -ne 0 ] && [ -n "$status" ]; } ||
	    grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' "$3"; then
		unhealthy=$((unhealthy + 1))
		[ -n "$unhealthy_first" ] || unhealthy_first="$1 (exit $2): $(head -c 2000 "$3")"
	fi
}

done_testing() {
	_reports=$(cat "$T"/valgrind/*.log 2>/dev/null)
	is "$unhealthy$_reports" 0 "every program run was healthy (no crash, sanitizer or valgrind report)"
	[ "$unhealthy" -eq 0 ] || diag "first: $unhealthy_first"
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}

# write_conf [EXTRA LINES]: the test configuration, two auth tokens for key rotation, readable
# by its owner only (else, where others can reach $T, as with PostgreSQL, every program warns).
write_conf() {
	{
		echo "# written by tests/lib.sh"
		conf_lines "auth_token = test-primary-token" "auth_token = test-secondary-token" "$@"
	} > "$CONF"
	chmod 600 "$CONF"
}

# conf_lines [LINES]: a configuration of the test store: its database line, then LINES.  (With
# PostgreSQL the delivery log has no store file to sit beside: unless LINES name a directory,
# a last line puts it where SQLite's would be, $DELIVERY_LOG.)
#
# Under valgrind the sandbox is off: valgrind runs the program's system calls itself, and its
# own (reading the debug information of libraries, say) are not the program's to allow.
conf_lines() {
	echo "database = $DB"
	[ $# -eq 0 ] || printf '%s\n' "$@"
	[ "${TWHOOK_VALGRIND:-0}" != 1 ] || printf '%s\n' "$@" | grep -q '^sandbox *=' ||
	    echo "sandbox = off"
	! on_postgres || printf '%s\n' "$@" | grep -q '^delivery_log *=' ||
	    echo "delivery_log = $DELIVERY_LOG"
}

# setup_store: a fresh configuration and store holding the sample data.
setup_store() {
	if on_postgres; then
		pg_recreate_db "${DB##*/}" || bail "recreating the test database failed"
	else
		rm -f "$DB" "$DB-wal" "$DB-shm"
	fi
	write_conf "$@"
	"$TWHOOK" -c "$CONF" init > /dev/null || bail "twhook init failed"
	sql < "$top_srcdir/schema/sample.sql" || bail "loading sample.sql failed"
}

# sql STATEMENTS...: runs SQL on the test store the way an operator would (sqlite3 or psql),
# each argument in turn, or standard input without one.  Rows print as sqlite3 prints them:
# columns joined by '|', NULL as nothing.
sql() {
	if on_postgres; then
		pg_sql "$DB" "$@"
	else
		sqlite3 -bail -cmd '.timeout 5000' -cmd 'PRAGMA foreign_keys = ON' "$DB" "$@"
	fi
}

# refuses STATEMENT: succeeds when the store refuses STATEMENT for breaking a constraint (any
# other error, a typo say, is a failure: an assertion that cannot fail tests nothing).
refuses() {
	! sql "$1" > /dev/null 2> "$T/refused" &&
	    grep -Eqi 'constraint failed|violates .*constraint' "$T/refused"
}

# json_field COLUMN KEY: the SQL for the member KEY of the JSON object in the text COLUMN, as
# text (a nested object or array as its JSON).
json_field() {
	if on_postgres; then
		echo "($1::json ->> '$2')"
	else
		echo "json_extract($1, '\$.$2')"
	fi
}

# schema_version [N]: the store's schema version, printed or, with N, set (as a store that
# another twhook made would have it).
schema_version() {
	if ! on_postgres; then
		sql "PRAGMA user_version${1+ = $1}"
	elif [ $# -eq 0 ]; then
		sql "SELECT version FROM twhook_schema"
	else
		sql "UPDATE twhook_schema SET version = $1"
	fi
}

# store_away, store_back: the store is gone (SQLite: its file moved away; PostgreSQL: the
# server stopped, so that connections are refused), then back as it was.
store_away() {
	if on_postgres; then pg_stop; else mv "$DB" "$DB.away"; fi
}
store_back() {
	if on_postgres && [ -n "${store_replaced:-}" ]; then
		psql -X -q -v ON_ERROR_STOP=1 "${DB%/*}/postgres" \
		    -c "DROP DATABASE \"${DB##*/}\" WITH (FORCE)" \
		    -c "ALTER DATABASE \"${DB##*/}_away\" RENAME TO \"${DB##*/}\"" > /dev/null ||
		    bail "putting the store back failed"
		store_replaced=
	elif on_postgres; then pg_restart; else mv "$DB.away" "$DB"; fi
}

# store_dump: every row of the store, as text, for comparing before and after.
store_dump() {
	if on_postgres; then
		pg_dump_data "$DB"
	else
		sqlite3 "$DB" .dump
	fi
}

# split_response FILE: the CGI answer in FILE into $T/head and $T/body (its bytes exactly);
# sets status, ctype and body.
split_response() {
	_hlen=$(awk '{ n += length($0) + 1 } /^\r?$/ { print n; exit }' "$1")
	if [ -z "$_hlen" ]; then
		tr -d '\r' < "$1" > "$T/head"
		: > "$T/body"
	else
		head -c "$_hlen" "$1" | tr -d '\r' > "$T/head"
		tail -c +$((_hlen + 1)) "$1" > "$T/body"
	fi
	status=$(sed -n 's/^Status: \([0-9][0-9]*\).*/\1/p' "$T/head")
	ctype=$(sed -n 's/^Content-Type: //Ip' "$T/head")
	body=$(cat "$T/body")
}

# cgi ENDPOINT BODY [NAME=VALUE | -NAME ...]: runs cgi-bin/twhook-ENDPOINT as a CGI server would
# for a form POST of BODY; each NAME=VALUE sets a CGI variable, each -NAME removes one.  With
# FCGI_CONNECT=HOST:PORT the request goes to a running FastCGI server instead (cgi-fcgi).
cgi() {
	_ep=$1
	printf '%s' "$2" > "$T/in"
	shift 2
	cgi_file "$_ep" "$T/in" "$@"
}

# cgi_file ENDPOINT FILE [NAME=VALUE | -NAME ...]: cgi with FILE's bytes as the body (NUL bytes
# and all), CONTENT_LENGTH its size.
cgi_file() {
	cgi_run "$1" "$2" "$T/out" "$T/err" "${@:3}"
	cgi_rc=$?
	split_response "$T/out"
	health "twhook-$1" "$cgi_rc" "$T/err"
}

# cgi_run ENDPOINT FILE OUT ERR [NAME=VALUE | -NAME ...]: the run itself, its answer in OUT and
# its messages in ERR; its exit status is the program's.
cgi_run() {
	_exe=$CGI_DIR/twhook-$1
	_in=$2 _out=$3 _err=$4
	shift 4
	(
		export TWHOOK_CONFIG="$CONF" GATEWAY_INTERFACE=CGI/1.1 REQUEST_METHOD=POST \
		    CONTENT_TYPE=application/x-www-form-urlencoded \
		    CONTENT_LENGTH=$(wc -c < "$_in" | tr -d ' ') \
		    HTTP_HOST=$HOST REQUEST_URI=/twhook-${_exe##*/twhook-} SERVER_PROTOCOL=HTTP/1.1
		for _a; do
			case $_a in
			-*) unset "${_a#-}" ;;
			*) export "$_a" ;;
			esac
		done
		if [ -n "${FCGI_CONNECT:-}" ]; then
			# The same request, sent by libfcgi's bridge to a running FastCGI server.
			cgi-fcgi -bind -connect "$FCGI_CONNECT" < "$_in"
		else
			$WRAP "$_exe" < "$_in"
		fi
	) > "$_out" 2> "$_err"
}

# cgi_spawn NAME ENDPOINT FILE [NAME=VALUE | -NAME ...]: cgi_file in the background, as one
# of several copies of a request running at once; cgi_reap NAME waits for it and reads its
# answer as cgi_file does.
declare -A cgi_spawned
cgi_spawn() {
	cgi_run "$2" "$3" "$T/$1.out" "$T/$1.err" "${@:4}" &
	cgi_spawned[$1]=$!
}

cgi_reap() {
	wait "${cgi_spawned[$1]}"
	cgi_rc=$?
	unset "cgi_spawned[$1]"
	split_response "$T/$1.out"
	health "$1" "$cgi_rc" "$T/$1.err"
}

# uri_encode NAME STRING: the variable NAME set to STRING percent-encoded byte by byte, all but
# the letters, digits and - _ . ~ ! * ' ( ), as jq's @uri encodes valid UTF-8.  (In the shell:
# a jq process per name and value took a quarter of some tests' time.)
uri_encode() {
	_u_in=$2 _u_out=
	if [[ $_u_in == *[!A-Za-z0-9._~!*\'\(\)-]* ]]; then
		for ((_u_i = 0; _u_i < ${#_u_in}; _u_i++)); do
			_u_c=${_u_in:_u_i:1}
			case $_u_c in
			[A-Za-z0-9._~!*\'\(\)-]) _u_out+=$_u_c ;;
			*) printf -v _u_c '%%%02X' "'$_u_c"; _u_out+=$_u_c ;;
			esac
		done
	else
		_u_out=$_u_in
	fi
	printf -v "$1" '%s' "$_u_out"
}

# form NAME=VALUE...: the form-encoded body of the parameters.
form() {
	_sep=
	for _p; do
		uri_encode _f_name "${_p%%=*}"
		uri_encode _f_value "${_p#*=}"
		printf '%s%s=%s' "$_sep" "$_f_name" "$_f_value"
		_sep='&'
	done
}

# sign URL NAME=VALUE...: the X-Twilio-Signature Twilio would send under the primary token.
sign() {
	"$TWHOOK" -c "$CONF" sign "$@"
}

# signed ENDPOINT NAME=VALUE...: a correctly signed form request, run as CGI.
signed() {
	_ep=$1
	shift
	cgi "$_ep" "$(form "$@")" \
	    HTTP_X_TWILIO_SIGNATURE="$(sign "http://$HOST/twhook-$_ep" "$@")"
}

# request ENDPOINT NAME=VALUE...: twhook request, as the README shows people to try endpoints.
request() {
	$WRAP "$TWHOOK" -c "$CONF" request "$@" > "$T/out" 2> "$T/err"
	request_rc=$?
	split_response "$T/out"
	# twhook request exits 3 for a non-2xx answer: that is not a failure of the program.
	health "twhook request $1" "$([ $request_rc = 3 ] && echo 0 || echo $request_rc)" "$T/err"
}

# json FILTER: jq FILTER applied to the last body, compact.
json() {
	jq -c "$1" < "$T/body"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on now, below the kernel's ephemeral
# range: a port in that range can be taken at any moment by some test's outgoing connection, and
# the server meant for it then fails to bind.
free_port() {
	read -r _lowest _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || _lowest=32768
	[ "$_lowest" -gt 12000 ] || _lowest=32768
	while :; do
		_port=$((10000 + $(od -An -N2 -tu2 /dev/urandom) % (_lowest - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$_port") 2>/dev/null; then
			echo "$_port"
			return
		fi
	done
}

# wait_for_port PORT: until something accepts connections there (10 s at most).
wait_for_port() {
	_i=0
	while ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || return 1
		sleep 0.1
	done
}

# start_mock [MOCK OPTIONS]: the mock of Twilio's REST API (tests/mock/twilio_mock.py) on a free
# port of 127.0.0.1, for account $ACCOUNT_SID and the primary test token; sets MOCK (its base
# URL).  python3 is needed: without it the test is skipped.
ACCOUNT_SID=AC0123456789abcdef0123456789abcdef
start_mock() {
	command -v python3 > /dev/null || skip_all "python3 is not installed (apt-get install python3)"
	python3 "$top_srcdir/tests/mock/twilio_mock.py" --port 0 --account-sid "$ACCOUNT_SID" \
	    --auth-token test-primary-token --log "$T/mock.log" "$@" > "$T/mock.out" 2> "$T/mock.err" &
	cleanup_pids="$cleanup_pids $!"
	_i=0
	until grep -q '^listening on ' "$T/mock.out" 2>/dev/null; do
		_i=$((_i + 1))
		[ $_i -lt 100 ] || bail "the mock did not start: $(cat "$T/mock.err")"
		sleep 0.1
	done
	MOCK=http://127.0.0.1:$(sed -n 's/^listening on //p' "$T/mock.out")
}

# mock_requests JQ-FILTER: the filter applied to the list of API requests the mock received.
mock_requests() {
	curl -s "$MOCK/_mock/requests" | jq -c "$1"
}

# mock_fail JSON: scripts the mock's next answers (see twilio_mock.py).
mock_fail() {
	curl -s -o /dev/null -X POST -d "$1" "$MOCK/_mock/fail"
}

# wait_until DESCRIPTION COMMAND...: polls COMMAND (10 s at most, or $WAIT_S); an assertion.
wait_until() {
	_desc=$1
	shift
	_i=0
	until "$@"; do
		_i=$((_i + 1))
		if [ $_i -ge $((${WAIT_S:-10} * 20)) ]; then
			fail "$_desc"
			return 1
		fi
		sleep 0.05
	done
	pass "$_desc"
}

# collapse_id KEY: the collapse identifier of the push job keyed KEY, as twhook-call-notify(8)
# says it is made (the first 32 hex digits of the key's SHA-256), computed apart from twhook.
collapse_id() {
	printf '%s' "$1" | sha256sum | cut -c1-32
}

# job_state KEY-PATTERN: the state of the outbox job whose key matches the LIKE pattern.
job_state() {
	sql "SELECT state FROM outbox WHERE idempotency_key LIKE '$1'"
}

# hold_write_lock: an operator's session holding the store's write lock, from now until
# release_write_lock; requests meanwhile wait the busy timeout and give up.  (PostgreSQL: the
# session locks every table the endpoints write against writers, as SQLite's lock does.)
hold_write_lock() {
	rm -f "$T/release" "$T/locked"
	mkfifo "$T/release"
	if on_postgres; then
		pg_hold_locks "$T/locked" "$T/release" &
	else
		# .timeout: a CGI endpoint that answered may still be closing the store.
		sqlite3 "$DB" ".timeout 5000" "BEGIN EXCLUSIVE; SELECT 1;" \
		    ".shell touch '$T/locked'; cat '$T/release' > /dev/null" "COMMIT;" > /dev/null &
	fi
	lock_holder=$!
	lock_taken || bail "the operator's session could not take the store's write lock"
}

# lock_taken: waits until the session $lock_holder holds its lock; fails if it ended first.
lock_taken() {
	until [ -e "$T/locked" ]; do
		kill -0 "$lock_holder" 2>/dev/null || return 1
		sleep 0.05
	done
}

release_write_lock() {
	echo > "$T/release"
	wait "$lock_holder"
}

# hold_read_lock: an operator's session that shuts readers out too (SQLite: exclusive locking
# mode in the middle of a write; PostgreSQL: every table locked ACCESS EXCLUSIVE), until
# release_write_lock.  Fails when the session cannot get the lock.
hold_read_lock() {
	rm -f "$T/release" "$T/locked"
	mkfifo "$T/release"
	if on_postgres; then
		pg_hold_locks "$T/locked" "$T/release" "SET lock_timeout = '5s';
		    DO \$\$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables
		    WHERE schemaname = 'public' LOOP EXECUTE format('LOCK TABLE %I IN ACCESS
		    EXCLUSIVE MODE', t); END LOOP; END \$\$;" 2> /dev/null &
	else
		sqlite3 "$DB" "PRAGMA locking_mode = EXCLUSIVE;" "BEGIN EXCLUSIVE;" \
		    "UPDATE intercept_rules_version SET version = version;" \
		    ".shell touch '$T/locked'; cat '$T/release' > /dev/null" "ROLLBACK;" > /dev/null 2>&1 &
	fi
	lock_holder=$!
	lock_taken
}

# sql_hex TEXT: the SQL for the bytes of the SQL text expression TEXT, in lower-case hex.
sql_hex() {
	if on_postgres; then echo "encode(convert_to($1, 'UTF8'), 'hex')"; else echo "lower(hex($1))"; fi
}

# sql_typeof EXPR: the SQL for SQLite's typeof(EXPR): null, integer, real, text or blob (on
# PostgreSQL, from the type of the column or expression).
sql_typeof() {
	if on_postgres; then
		echo "(CASE WHEN ($1) IS NULL THEN 'null' ELSE CASE pg_typeof($1)::text
		    WHEN 'double precision' THEN 'real' WHEN 'real' THEN 'real' WHEN 'numeric' THEN 'real'
		    WHEN 'bigint' THEN 'integer' WHEN 'integer' THEN 'integer' WHEN 'smallint' THEN 'integer'
		    WHEN 'text' THEN 'text' WHEN 'bytea' THEN 'blob' ELSE pg_typeof($1)::text END END)"
	else
		echo "typeof($1)"
	fi
}

# join_lines SEPARATOR: the lines of standard input on one line, SEPARATOR between them (what
# SQLite's group_concat gives of rows that sql prints one a line).
join_lines() {
	awk -v sep="$1" 'NR > 1 { printf "%s", sep } { printf "%s", $0 } END { print "" }'
}

# store_not_a_store: (after store_away) something that is no store in its place: SQLite, a file
# of text; PostgreSQL, the server back with an empty database under the store's name, the store
# kept aside.  store_back puts the store back from there too.
store_not_a_store() {
	if on_postgres; then
		pg_restart
		psql -X -q -v ON_ERROR_STOP=1 "${DB%/*}/postgres" \
		    -c "ALTER DATABASE \"${DB##*/}\" RENAME TO \"${DB##*/}_away\"" \
		    -c "CREATE DATABASE \"${DB##*/}\" ENCODING 'UTF8' TEMPLATE template0" > /dev/null ||
		    bail "replacing the store by an empty database failed"
		store_replaced=1
	else
		head -c 8192 /dev/zero | tr '\0' x > "$DB"
	fi
}

# store_integrity: "ok" when the store is consistent, else what is wrong (SQLite: its
# integrity_check and foreign_key_check, FTS5's check of the search index against the words it
# indexes, each customer's search words are what the view customers_search_words makes of it
# now, under its one search number, and no search number is without words; PostgreSQL: the
# foreign keys hold and each customer's search words are what customers_search_vector makes of
# it now).
store_integrity() {
	if on_postgres; then
		sql "SELECT coalesce(string_agg(problem, ' '), 'ok') FROM (
		    SELECT 'stale search words for ' || c.customer_id AS problem FROM customers AS c
		    LEFT JOIN customers_search AS s USING (customer_id)
		    WHERE s.words IS DISTINCT FROM customers_search_vector(c.customer_id)
		    UNION ALL SELECT 'search words of no customer ' || customer_id FROM customers_search
		    WHERE customer_id NOT IN (SELECT customer_id FROM customers)
		    UNION ALL SELECT 'a channel of no customer ' || customer_id FROM customer_channels
		    WHERE customer_id NOT IN (SELECT customer_id FROM customers)
		    UNION ALL SELECT 'a link of no customer ' || customer_id FROM customer_links
		    WHERE customer_id NOT IN (SELECT customer_id FROM customers)) AS problems"
	else
		sqlite3 "$DB" 'PRAGMA integrity_check' 'PRAGMA foreign_key_check' \
		    "INSERT INTO customers_search (customers_search, rank) VALUES ('integrity-check', 1)" "
		    SELECT 'stale search words for ' || c.customer_id FROM customers AS c
		    LEFT JOIN customers_search_words AS v USING (customer_id)
		    LEFT JOIN customers_search AS s ON s.rowid = v.search_id
		    WHERE v.search_id IS NULL OR s.rowid IS NULL OR s.words IS NOT v.words
		    UNION ALL SELECT 'a search number of no customer ' || customer_id
		    FROM customers_search_ids WHERE customer_id NOT IN (SELECT customer_id FROM customers)
		    UNION ALL SELECT 'a search number without words ' || customer_id
		    FROM customers_search_ids WHERE words IS NULL" 2>&1
	fi
}

# The PostgreSQL server of this test, when the suite runs on PostgreSQL.
if on_postgres; then
	pg_start "$T/pg"
	DB=$PG_URI
fi
