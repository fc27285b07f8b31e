# lib.sh: the shell functions the benchmarks in this folder share (run.sh, endpoints.sh,
# dispatch.sh, proxy.sh, push.sh, deliverylog.sh, postgres.sh, sandbox.sh, builds.sh,
# console.sh); README.md in this folder says what each measures.  Sourced by bash scripts that
# run under `set -euo pipefail` with LC_ALL=C.
# The sourcing script sets BUILD, HERE, TWHOOK, duration (wrk's seconds, for bench) and, before
# it starts lighttpd or sends a request, DB, CONF, PORT and AUTH_TOKEN; everything it starts in
# the background goes in BG_PIDS (or through run_child), so that cleanup stops it on exit,
# Ctrl-C included.  DB is a SQLite file or, for postgres.sh (which sources tests/pg.sh), a
# postgresql:// URI: q, sample_store and bench_new speak to either.

PROG=${0##*/}
BG_PIDS=()
CHILD_PID=
LIGHTTPD_PID=
CONF_EXTRA=()
REQ_HEADERS=()

die() {
	echo "$PROG: FAILED: $*" >&2
	exit 1
}

# duration_requests_options [-d SECONDS] [-r REQUESTS] BUILD_DIR: the options of endpoints.sh
# and proxy.sh into duration (default 10), prepared (default auto), BUILD, TWHOOK and CGI; a
# usage error exits 2.  A script with options of its own sets MORE_OPTIONS (getopts letters),
# MORE_USAGE (their synopsis) and a function more_option LETTER ARGUMENT that takes each, and
# returns non-zero when the argument is wrong.
MORE_OPTIONS=
MORE_USAGE=
duration_requests_options() {
	local opt OPTIND=1
	duration=10
	prepared=auto
	while getopts "d:r:h$MORE_OPTIONS" opt; do
		case $opt in
		d) duration=$OPTARG ;;
		r) prepared=$OPTARG ;;
		h | \?) options_usage ;;
		*) more_option "$opt" "${OPTARG:-}" || options_usage ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 1 ] || options_usage
	[[ $duration =~ ^[1-9][0-9]*$ ]] || options_usage
	[[ $prepared =~ ^([1-9][0-9]*|auto)$ ]] || options_usage
	BUILD=$(cd "$1" && pwd)
	TWHOOK=$BUILD/src/twhook
	CGI=$BUILD/cgi-bin
}
options_usage() {
	echo "usage: $0 [-d SECONDS] [-r REQUESTS] ${MORE_USAGE:+$MORE_USAGE }BUILD_DIR" >&2
	exit 2
}
say() { echo "$PROG: $*" >&2; }

# need_built ENDPOINT...: dies unless $TWHOOK and each $CGI/twhook-ENDPOINT are built.
need_built() {
	local e
	for e in "$@"; do
		[ -x "$CGI/twhook-$e" ] || die "no $CGI/twhook-$e: build first (make)"
	done
	[ -x "$TWHOOK" ] || die "no $TWHOOK: build first (make)"
}

# need_tools TOOL...: dies unless every TOOL is on $PATH (or is an executable path).
need_tools() {
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null ||
		    die "$tool is missing (contrib/install-deps.sh installs it)"
	done
}

LIGHTTPD=$(command -v lighttpd || echo /usr/sbin/lighttpd)

stop_lighttpd() {
	local kids
	[ -n "$LIGHTTPD_PID" ] || return 0
	kids=$(pgrep -P "$LIGHTTPD_PID" 2>/dev/null || true)
	kill "$LIGHTTPD_PID" 2>/dev/null || true
	wait "$LIGHTTPD_PID" 2>/dev/null || true
	# lighttpd stops the FastCGI processes it spawned; make sure of it.
	for pid in $kids; do kill "$pid" 2>/dev/null || true; done
	LIGHTTPD_PID=
}

# stop_bg PID: stops one background process of ours and forgets it.
stop_bg() {
	local pid=$1 i keep=()
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	for i in "${BG_PIDS[@]}"; do [ "$i" = "$pid" ] || keep+=("$i"); done
	BG_PIDS=("${keep[@]}")
}

cleanup() {
	set +e
	[ -z "$CHILD_PID" ] || { kill "$CHILD_PID" 2>/dev/null; wait "$CHILD_PID" 2>/dev/null; }
	for pid in "${BG_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${BG_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	stop_lighttpd
	# postgres.sh's server (tests/pg.sh), which pg_ctl started away from our children.
	[ -z "${PG_DIR:-}" ] || pg_stop
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "$PROG: BENCH_KEEP is set: $T is left for you to look at" >&2
	else
		rm -rf "$T"
	fi
}

# bench_start: the scratch directory $T, removed on exit (unless BENCH_KEEP is set in the
# environment) with everything started from here.
bench_start() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/twhook-bench.XXXXXX")
	trap cleanup EXIT
	trap 'echo "$PROG: interrupted" >&2; exit 130' INT TERM HUP
}

# run_child OUTPUT COMMAND...: runs COMMAND in the background, its output to the file OUTPUT,
# and waits, so that a signal reaches the trap at once and cleanup can stop COMMAND.  (The
# redirection is not on the call: the trap would write its message into OUTPUT.)
run_child() {
	local rc=0 output=$1
	shift
	"$@" > "$output" 2>&1 &
	CHILD_PID=$!
	wait "$CHILD_PID" || rc=$?
	CHILD_PID=
	return $rc
}

# report_title TITLE: the report's first line: TITLE, the time, twhook's version and its build.
report_title() {
	echo "$1, $(date -u '+%Y-%m-%d %H:%M UTC'): $(sed -n \
	    's/^#define PACKAGE_STRING "\(.*\)"$/\1/p' "$BUILD/config.h" 2>/dev/null) built in $BUILD"
}

# load_average: the machine's load at the start (LOAD_START, bench_environment) and now.
load_average() {
	echo "load average (1, 5, 15 min): $LOAD_START at the start," \
	    "$(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ratio A B [DECIMALS]: A / B with 2 decimals (or DECIMALS), "-" when B is 0.
ratio() {
	awk -v a="$1" -v b="$2" -v d="${3:-2}" \
	    'BEGIN { if (b + 0 == 0) print "-"; else printf "%.*f", d, a / b }'
}

# ---------------------------------------------------------------------------------------------
# The machine.

machine() {
	local cpu
	cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null)
	echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
	echo "         $("$LIGHTTPD" -v 2>&1 | head -n 1)"
	echo "         $(wrk -v 2>&1 | head -n 1 | sed 's/ *Copyright.*//')"
	echo "         sqlite3 $(sqlite3 -version | cut -d' ' -f1), cc $(cc --version | head -n 1)"
}

# bench_environment: what a run starts from: MACHINE (printed on standard error), LOAD_START,
# a fresh AUTH_TOKEN, DB and CONF in $T, a free PORT, and the trivial responder built.
bench_environment() {
	MACHINE=$(machine)
	echo "$MACHINE" >&2
	LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
	AUTH_TOKEN=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	DB=$T/store.db
	CONF=$T/twhook.conf
	PORT=$(pick_port)
	build_trivial
}

# build_trivial: the baseline FastCGI responder, $T/trivial.  With TRIVIAL_CLOSE=at-once in
# the environment it closes a Unix-socket connection at once, with the endpoints' own code
# (src/twh_fcgi_close.c), and says so.
build_trivial() {
	_flags=()
	case ${TRIVIAL_CLOSE:-libfcgi} in
	at-once)	_flags=(-DCLOSE_AT_ONCE -I"$HERE/../../src" "$HERE/../../src/twh_fcgi_close.c")
			echo "the trivial responder closes a Unix-socket connection at once" >&2 ;;
	libfcgi)	;;
	*)		die "TRIVIAL_CLOSE is at-once or libfcgi, not $TRIVIAL_CLOSE" ;;
	esac
	cc -O2 -Wall "${_flags[@]}" -o "$T/trivial" "$HERE/trivial.c" -lfcgi ||
	    die "cannot build trivial.c"
}

# q SQL...: runs SQL on the store $DB, no headers, columns joined by '|'; without SQL, the
# statements on standard input.  A PostgreSQL store goes through tests/pg.sh's pg_sql.
q() {
	if [[ $DB == postgresql:* ]]; then
		pg_sql "$DB" "$@"
	else
		sqlite3 -batch -bail -noheader "$DB" "$@"
	fi
}

# with_store DB CONF COMMAND...: COMMAND with $DB and $CONF (for q, sample_store, bench_new...)
# set to another store and its configuration.
with_store() {
	local DB=$1 CONF=$2
	shift 2
	"$@"
}

# sample_store POOL: the store $DB made by `twhook init`, holding schema/sample.sql (alice and
# bob, their customers, proxy addresses and templates) and POOL more workers in the routing pool,
# pool000@example.com ...; checked.  The SQL is portable: it works on both engines.
sample_store() {
	local pool=$1 got
	"$TWHOOK" -c "$CONF" init > /dev/null || die "twhook init failed for $DB"
	q < "$HERE/../../schema/sample.sql" > /dev/null || die "loading schema/sample.sql failed"
	q "WITH RECURSIVE seq (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $pool)
	    INSERT INTO workers (identity)
	    SELECT 'pool' || substr(CAST(1000 + n AS text), 2) || '@example.com' FROM seq" \
	    > /dev/null || die "adding the pool workers failed"
	got=$(q "SELECT (SELECT count(*) FROM workers) || ' ' || (SELECT count(*) FROM customers)
	    || ' ' || (SELECT count(*) FROM templates) || ' ' || (SELECT count(*) FROM outbox)")
	[ "$got" = "$((pool + 2)) 5 3 0" ] ||
	    die "the store does not hold what was loaded (workers, customers, templates, jobs:" \
		"$got; want $((pool + 2)) 5 3 0)"
}

# ---------------------------------------------------------------------------------------------
# Requests: signed exactly as Twilio signs them, sent with curl (checks) or wrk (load).

urlenc() { jq -rn --arg v "$1" '$v | @uri'; }

form_encode() {
	local out='' p
	for p in "$@"; do
		out+=${out:+&}$(urlenc "${p%%=*}")=$(urlenc "${p#*=}")
	done
	printf '%s' "$out"
}

# request PATH PARAM...: POSTs the signed form to PATH, with the headers in REQ_HEADERS ("Name:
# value" each); the answer in $T/body, its headers in $T/headers, status in $STATUS.
request() {
	local path=$1 sig body h hdrs=()
	shift
	sig=$("$TWHOOK" -c "$CONF" sign "$ORIGIN$path" "$@") || die "twhook sign failed"
	body=$(form_encode "$@")
	for h in "${REQ_HEADERS[@]}"; do hdrs+=(-H "$h"); done
	STATUS=$(curl -sS --max-time 300 -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/x-www-form-urlencoded' -H "X-Twilio-Signature: $sig" \
	    "${hdrs[@]}" --data-binary "$body" "$ORIGIN$path") || STATUS=000
}

# body_url PATH FILE: PATH with bodySHA256 (the SHA-256 of FILE's bytes, in hex) added to its
# query, as Twilio adds it to the URL of a request whose body is not a form.
body_url() {
	local sep='?'
	[[ $1 != *\?* ]] || sep='&'
	printf '%s%sbodySHA256=%s' "$1" "$sep" "$(sha256sum < "$2" | cut -d' ' -f1)"
}

# request_json PATH FILE: POSTs FILE's bytes as application/json to PATH, signed as Twilio signs
# a JSON body (`twhook sign --body`: the URL with bodySHA256 in its query, signed alone), with
# the headers in REQ_HEADERS; the answer as request leaves it.
request_json() {
	local path=$1 file=$2 sig h hdrs=()
	sig=$("$TWHOOK" -c "$CONF" sign --body "$file" "$ORIGIN$path" 2> /dev/null) ||
	    die "twhook sign --body failed"
	for h in "${REQ_HEADERS[@]}"; do hdrs+=(-H "$h"); done
	STATUS=$(curl -sS --max-time 300 -o "$T/body" -D "$T/headers" -w '%{http_code}' -X POST \
	    -H 'Content-Type: application/json' -H "X-Twilio-Signature: $sig" \
	    "${hdrs[@]}" --data-binary "@$file" "$ORIGIN$(body_url "$path" "$file")") || STATUS=000
}

# Scenarios: SC_PATH, SC_PARAMS (one NAME=VALUE a line), SC_CHECK (a jq program that must be
# true of the answer, with the jq options in SC_ARGS, e.g. "--arg id C0000007"), SC_NOTE (said
# with the figures) and, optionally, SC_HEADERS (extra request headers, one "Name: value" a line),
# SC_LUA (a wrk script of its own instead of one that sends the scenario's request), SC_STATUS
# (the HTTP status every answer must have, 200 unless set) and SC_VERIFY (a command that checks
# the answer instead of SC_CHECK's jq: run with the scenario's name as its last argument, the
# answer in $T/body and its headers in $T/headers; true when the answer is right) and SC_BODY (a
# JSON body sent instead of SC_PARAMS' form: application/json, signed as request_json signs it)
# and SC_GET (non-empty: a GET of the path, query included, without parameters or signature, as
# a browser asks for a page).
declare -A SC_PATH SC_PARAMS SC_CHECK SC_ARGS SC_NOTE SC_HEADERS SC_LUA SC_STATUS SC_VERIFY SC_BODY
declare -A SC_GET

scenario() { # NAME PATH CHECK ARGS NOTE PARAM...
	local name=$1
	SC_PATH[$name]=$2
	SC_CHECK[$name]=$3
	SC_ARGS[$name]=$4
	SC_NOTE[$name]=$5
	shift 5
	SC_PARAMS[$name]=$(printf '%s\n' "$@")
}

# LIST_OK: the check of a twhook-crm customer list (run.sh, postgres.sh), with $n (its length),
# $first (the first customer_id), $more ("1" when a next_page_token must follow) and $q bound
# from SC_ARGS.
LIST_OK='.objects.searchable == true and (.objects.customers | type) == "array" and
    (.objects.customers | length) == ($n | tonumber) and
    (.objects.customers[0].customer_id // "") == $first and
    (.objects | has("next_page_token")) == ($more == "1") and
    all(.objects.customers[]; (.customer_id | type) == "string" and
        (.display_name | type) == "string")'

# check NAME: sends scenario NAME once and fails loudly unless it answers 200 (or its SC_STATUS)
# and right.  Each "@SEQ@" in its parameters, JSON body and headers becomes CHECK_SEQ, counted
# up for every check: a way to make each check a new delivery.
CHECK_SEQ=0
check() {
	local name=$1 params args seq want=${SC_STATUS[$1]:-200} verify ok what=JSON
	[ -z "${SC_VERIFY[$name]:-}" ] || what=answer
	CHECK_SEQ=$((CHECK_SEQ + 1))
	seq=$(printf '%08d' "$CHECK_SEQ")
	mapfile -t params <<< "${SC_PARAMS[$name]//@SEQ@/$seq}"
	REQ_HEADERS=()
	[ -z "${SC_HEADERS[$name]:-}" ] ||
	    mapfile -t REQ_HEADERS <<< "${SC_HEADERS[$name]//@SEQ@/$seq}"
	# shellcheck disable=SC2206
	args=(${SC_ARGS[$name]})
	if [ -n "${SC_GET[$name]:-}" ]; then
		STATUS=$(curl -sS --max-time 300 -o "$T/body" -D "$T/headers" -w '%{http_code}' \
		    "$ORIGIN${SC_PATH[$name]}") || STATUS=000
	elif [ -n "${SC_BODY[$name]:-}" ]; then
		printf '%s' "${SC_BODY[$name]//@SEQ@/$seq}" > "$T/check.json"
		params=("$(cat "$T/check.json")")
		request_json "${SC_PATH[$name]}" "$T/check.json"
	else
		request "${SC_PATH[$name]}" "${params[@]}"
	fi
	REQ_HEADERS=()
	ok=false
	if [ "$STATUS" = "$want" ]; then
		if [ -n "${SC_VERIFY[$name]:-}" ]; then
			# shellcheck disable=SC2206
			verify=(${SC_VERIFY[$name]})
			"${verify[@]}" "$name" && ok=true
		else
			jq -e "${args[@]}" "${SC_CHECK[$name]}" "$T/body" > /dev/null 2>&1 && ok=true
		fi
	fi
	if ! $ok; then
		echo "$PROG: scenario $name: HTTP $STATUS for ${params[*]}:" >&2
		head -c 2000 "$T/body" >&2
		echo >&2
		tail -n 20 "$T/lighttpd.log" >&2 2>/dev/null || true
		die "scenario $name did not answer $want with the expected $what"
	fi
}

# ---------------------------------------------------------------------------------------------
# The mocks and the dispatcher (dispatch.sh and push.sh).

# start_listener NAME WHAT COMMAND...: COMMAND, a mock that prints "listening on PORT" once it
# listens, in the background, its output in $T/NAME.out and $T/NAME.err; sets LISTENER_PID and
# LISTENER_URL (http://127.0.0.1:PORT).  WHAT names it if it does not start.
start_listener() {
	local name=$1 what=$2
	shift 2
	"$@" > "$T/$name.out" 2> "$T/$name.err" &
	LISTENER_PID=$!
	BG_PIDS+=("$LISTENER_PID")
	for _ in $(seq 100); do
		grep -q '^listening on ' "$T/$name.out" 2>/dev/null && break
		kill -0 "$LISTENER_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -q '^listening on ' "$T/$name.out" 2>/dev/null ||
	    die "$what did not start: $(cat "$T/$name.err")"
	LISTENER_URL=http://127.0.0.1:$(sed -n 's/^listening on //p' "$T/$name.out")
}

DISPATCH_PID=
# start_dispatcher: `twhook dispatch`, the daemon, on $CONF, its log in $T/dispatch.err.
start_dispatcher() {
	"$TWHOOK" -c "$CONF" dispatch 2> "$T/dispatch.err" &
	DISPATCH_PID=$!
	BG_PIDS+=("$DISPATCH_PID")
	sleep 0.2
	kill -0 "$DISPATCH_PID" 2>/dev/null ||
	    die "twhook dispatch stopped: $(cat "$T/dispatch.err")"
}

# cpu_ticks PID: the user and system CPU time PID has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# pending: the jobs not finished yet.
pending() { q "SELECT count(*) FROM outbox WHERE state IN ('queued', 'retrying', 'delivering')"; }

# wait_done SECONDS: until no job is pending; false when some still are after SECONDS.
wait_done() {
	local i
	for i in $(seq $(($1 * 10))); do
		[ "$(pending)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------------------------------------
# lighttpd and wrk.

# pick_port: a free port of 127.0.0.1 below the ephemeral range (which wrk's own connections use).
pick_port() {
	local p lowest
	read -r lowest _ < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lowest=32768
	[ "$lowest" -gt 12000 ] || lowest=32768
	for _ in $(seq 100); do
		p=$((10000 + RANDOM % (lowest - 10000)))
		if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free port on 127.0.0.1"
}

# write_conf: the benchmark's twhook.conf, $CONF, with the lines in CONF_EXTRA at its end, and
# for each NAME of CONF_VARIANT, $T/NAME.conf: the same with the lines CONF_VARIANT[NAME] added,
# each replacing the line of the same name if $CONF has one (e.g. "database = ...").
declare -A CONF_VARIANT
write_conf() {
	local v
	cat > "$CONF" <<-CONF
	# written by tests/bench/$PROG
	database = $DB
	auth_token = $AUTH_TOKEN
	public_url = http://127.0.0.1:$PORT
	validate_signature = yes
	CONF
	[ ${#CONF_EXTRA[@]} -eq 0 ] || printf '%s\n' "${CONF_EXTRA[@]}" >> "$CONF"
	chmod 600 "$CONF"	# it holds the auth token, which twhook warns about otherwise
	for v in "${!CONF_VARIANT[@]}"; do
		printf '%s\n' "${CONF_VARIANT[$v]}" > "$T/$v.lines"
		awk -F' *= *' 'NR == FNR { set[$1] = 1; next } !($1 in set)' "$T/$v.lines" \
		    "$CONF" | cat - "$T/$v.lines" > "$T/$v.conf"
		chmod 600 "$T/$v.conf"
	done
}

# fastcgi_entry URL-PATH PROGRAM [CONFIG]: a fastcgi.server entry of the lighttpd configuration:
# 2 processes of PROGRAM (ENTRY_PROCS[URL-PATH] when set), with TWHOOK_CONFIG=CONFIG when given.
declare -A ENTRY_PROCS
fastcgi_entry() {
	local sock=${1#/}
	cat <<-ENTRY
	    "$1" => ((
	        "socket" => "$T/${sock//\//_}.sock",
	        "bin-path" => "$2",
	ENTRY
	[ -z "${3:-}" ] || echo "        \"bin-environment\" => ( \"TWHOOK_CONFIG\" => \"$3\" ),"
	cat <<-ENTRY
	        "check-local" => "disable",
	        "max-procs" => ${ENTRY_PROCS[$1]:-2},
	    )),
	ENTRY
}

# start_lighttpd [URL-PATH=PROGRAM...]: lighttpd on 127.0.0.1:$PORT (another free port if that
# one is taken: $PORT and $ORIGIN say which), serving each URL-PATH from PROGRAM through
# mod_fastcgi with TWHOOK_CONFIG=$CONF (or the variant ENTRY_CONF[URL-PATH] names, see
# write_conf), and /trivial from the trivial responder (build_trivial).  It (re)writes $CONF
# for the port.
declare -A ENTRY_CONF
start_lighttpd() {
	local e c v
	mkdir -p "$T/www"
	for _ in 1 2 3 4 5; do
		[ -n "${PORT:-}" ] || PORT=$(pick_port)
		ORIGIN=http://127.0.0.1:$PORT
		write_conf
		{
			cat <<-CONF
			server.document-root = "$T/www"
			server.bind = "127.0.0.1"
			server.port = $PORT
			server.errorlog = "$T/lighttpd.log"
			server.modules = ( "mod_fastcgi" )
			fastcgi.server = (
			CONF
			for e in "$@"; do
				c=$CONF
				v=${ENTRY_CONF[${e%%=*}]:-}
				[ -z "$v" ] || c=$T/$v.conf
				fastcgi_entry "${e%%=*}" "${e#*=}" "$c"
			done
			fastcgi_entry /trivial "$T/trivial"
			echo ")"
		} > "$T/lighttpd.conf"
		: > "$T/lighttpd.log"
		"$LIGHTTPD" -D -f "$T/lighttpd.conf" > "$T/lighttpd.out" 2>&1 &
		LIGHTTPD_PID=$!
		for _ in $(seq 100); do
			kill -0 "$LIGHTTPD_PID" 2>/dev/null || break
			[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=y \
			    "$ORIGIN/trivial" 2>/dev/null)" = 200 ] && return 0
			sleep 0.1
		done
		cat "$T/lighttpd.out" "$T/lighttpd.log" >&2
		stop_lighttpd
		PORT=
	done
	die "lighttpd did not start"
}

# lua_header "NAME: VALUE": a Lua statement adding the header to wrk's request.
lua_header() {
	local name=${1%%:*} value
	value=$(sed 's/^ *//' <<< "${1#*:}")
	[[ $name$value != *[\"\\]* ]] || die "a header with a quote or a backslash: $1"
	printf 'wrk.headers["%s"] = "%s"\n' "$name" "$value"
}

# wrk_percentile PERCENT FILE: that latency percentile of wrk's --latency output FILE, in ms.
wrk_percentile() {
	awk -v p="$1%" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
	    print v * (u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : 0) }' \
	    "$2"
}

# bench STORE NAME: wrk on scenario NAME with CONNECTIONS connections (32 unless set) on 2
# threads (1 for 1 connection); fills RPS, P50, P99, REQS and ERRS for "STORE NAME".
declare -A RPS P50 P99 REQS ERRS
CONNECTIONS=32
bench() {
	local store=$1 name=$2 key="$1 $2" params sig body out=$T/wrk.out non2xx lua h
	mapfile -t params <<< "${SC_PARAMS[$name]}"
	check "$name"
	lua=${SC_LUA[$name]:-$T/$name.lua}
	if [ -z "${SC_LUA[$name]:-}" ] && [ -n "${SC_GET[$name]:-}" ]; then
		echo 'wrk.method = "GET"' > "$lua"
	elif [ -z "${SC_LUA[$name]:-}" ] && [ -n "${SC_BODY[$name]:-}" ]; then
		printf '%s' "${SC_BODY[$name]}" > "$T/$name.json"
		sig=$("$TWHOOK" -c "$CONF" sign --body "$T/$name.json" "$ORIGIN${SC_PATH[$name]}" \
		    2> /dev/null)
		cat > "$lua" <<-LUA
		wrk.method = "POST"
		wrk.path = "$(body_url "${SC_PATH[$name]}" "$T/$name.json")"
		wrk.body = [==[${SC_BODY[$name]}]==]
		wrk.headers["Content-Type"] = "application/json"
		wrk.headers["X-Twilio-Signature"] = "$sig"
		LUA
	elif [ -z "${SC_LUA[$name]:-}" ]; then
		sig=$("$TWHOOK" -c "$CONF" sign "$ORIGIN${SC_PATH[$name]}" "${params[@]}")
		body=$(form_encode "${params[@]}")
		cat > "$lua" <<-LUA
		wrk.method = "POST"
		wrk.body = [==[$body]==]
		wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
		wrk.headers["X-Twilio-Signature"] = "$sig"
		LUA
	fi
	if [ -z "${SC_LUA[$name]:-}" ] && [ -n "${SC_HEADERS[$name]:-}" ]; then
		while IFS= read -r h; do
			lua_header "$h"
		done <<< "${SC_HEADERS[$name]}" >> "$lua"
	fi
	say "$store: $name (${SC_NOTE[$name]})"
	if ! run_child "$out" wrk -t$((CONNECTIONS < 2 ? 1 : 2)) -c"$CONNECTIONS" -d"${duration}s" \
	    --latency --timeout 30s -s "$lua" "$ORIGIN${SC_PATH[$name]}"; then
		cat "$out" >&2
		die "wrk failed"
	fi
	# Requests still queued behind the backends finish before anything else is measured: this
	# request waits for them, and checks the answer once more.
	check "$name"
	non2xx=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")
	if [ "${SC_STATUS[$name]:-200}" -lt 400 ] && [ -n "$non2xx" ] && [ "$non2xx" -gt 0 ]; then
		cat "$out" >&2
		die "scenario $name: $non2xx answers were not 2xx under load"
	fi
	RPS[$key]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
	REQS[$key]=$(awk '/ requests in / { print $1 }' "$out")
	ERRS[$key]=$(awk '/Socket errors:/ { gsub(/,/, ""); print $4 + $6 + $8 + $10 }' "$out")
	ERRS[$key]=${ERRS[$key]:-0}
	P50[$key]=$(wrk_percentile 50 "$out")
	P99[$key]=$(wrk_percentile 99 "$out")
	if [ -z "${RPS[$key]}" ] || [ -z "${P50[$key]}" ] || [ -z "${P99[$key]}" ]; then
		cat "$out" >&2
		die "cannot read the output of wrk"
	fi
	# A scenario whose answer is an error status (SC_STATUS 4xx or 5xx): wrk counts those as
	# "Non-2xx or 3xx responses", and every answer must be one.
	if [ "${SC_STATUS[$name]:-200}" -ge 400 ] && [ "${non2xx:-0}" != "${REQS[$key]}" ]; then
		cat "$out" >&2
		die "scenario $name: $((REQS[$key] - ${non2xx:-0})) of ${REQS[$key]} answers were" \
		    "not ${SC_STATUS[$name]} (nor any other 4xx or 5xx) under load"
	fi
	say "  ${RPS[$key]} req/s, p99 ${P99[$key]} ms, ${REQS[$key]} requests," \
	    "${ERRS[$key]} socket errors"
}

# ---------------------------------------------------------------------------------------------
# bench_same_size STORE NAME [MIN]: when scenario NAME's answer (the $T/body that bench's last
# check left) is at least MIN bytes (default 256), the trivial responder answering as many bytes,
# as scenario "NAME=" (RPS["STORE NAME="], ...): a large answer costs lighttpd and mod_fastcgi
# too, and this is the baseline that pays the same.  BYTES["STORE NAME"] is the answer's size.
declare -A BYTES
bench_same_size() {
	local store=$1 name=$2 min=${3:-256} size
	size=$(wc -c < "$T/body")
	BYTES[$store $name]=$size
	[ "$size" -ge "$min" ] || return 0
	scenario "$name=" "/trivial?bytes=$size" '. | type == "object"' "" \
	    "the trivial responder answering $size bytes, as $name does" Location=baseline
	bench "$store" "$name="
}

# same_size_columns STORE NAME: the report's columns for a scenario with a
# same-size baseline: its answer's bytes, then req/s and p99 against that baseline ("-" when
# there is none).
same_size_columns() {
	local key="$1 $2"
	if [ -n "${RPS[$key=]:-}" ]; then
		printf '%7s %7s %7s' "${BYTES[$key]}" "$(ratio "${RPS[$key]}" "${RPS[$key=]}")" \
		    "$(ratio "${P99[$key]}" "${P99[$key=]}")"
	else
		printf '%7s %7s %7s' "${BYTES[$key]:--}" - -
	fi
}

# disk_commits STORE NAME: the disk's serialized commit rate, as scenario NAME (RPS["STORE
# NAME"], in commits a second): 4 KiB appends to a file beside the store, each flushed to the
# disk before the next (dd oflag=dsync: a write, then the fdatasync a SQLite commit in
# synchronous = FULL makes), for 3 s.  The baseline of the writers whose answers wait for the
# disk: one commit each, the most they could do one after the other.
disk_commits() {
	local key="$1 $2" file=${DB%/*}/disk-commits.tmp n secs
	timeout -s INT 3 dd if=/dev/zero of="$file" bs=4k count=1000000 oflag=dsync \
	    2> "$T/dd.out" || true
	rm -f "$file"
	n=$(awk '/records out$/ { sub(/\+.*/, ""); print; exit }' "$T/dd.out")
	secs=$(awk '/ copied, / { print $(NF - 3) }' "$T/dd.out")
	[ -n "$n" ] && [ -n "$secs" ] || die "dd oflag=dsync gave no figure: $(cat "$T/dd.out")"
	RPS[$key]=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
	say "$1: $2 (4 KiB appends, each flushed): ${RPS[$key]} a second"
}

# verdict RATIO GOAL: "met" when RATIO is at least GOAL, else "missed"; nothing without a GOAL.
verdict() {
	[ -z "$2" ] || awk -v r="$1" -v g="$2" 'BEGIN { print (r + 0 >= g + 0) ? "met" : "missed" }'
}

# disk_columns KEY NAME: the report's columns for scenario NAME (measured as KEY) against the
# disk's commit rate (RPS[main disk]): its ratio, DISK_GOAL[NAME] and the verdict, for the
# durable writers DISK_GOAL names; "-" for the others.  disk_row: the rate itself, a line.
declare -A DISK_GOAL
disk_columns() {
	local d=
	[ -z "${DISK_GOAL[$2]:-}" ] || d=$(ratio "${RPS[$1]}" "${RPS[main disk]}")
	printf '%6s %5s %s' "${d:--}" "${DISK_GOAL[$2]:-}" "$(verdict "$d" "${DISK_GOAL[$2]:-}")"
}
disk_row() {
	printf '%-15s %10.0f   (commits a second; %s at the end)\n' disk "${RPS[main disk]}" \
	    "${RPS[end disk]}"
}

# goal_report WIDTH SCENARIO...: the table of endpoints.sh and proxy.sh, scenario names WIDTH
# wide: the trivial responder, a row per SCENARIO against it (with GOAL[SCENARIO], and for the
# durable writers DISK_GOAL[SCENARIO] against the disk), the trivial responder at the end, the
# disk's rate, and how to read them.
declare -A GOAL
goal_report() {
	local w=$1 s key r ref="main trivial"
	shift
	printf "%-${w}s %10s %8s %9s %8s %7s %5s %-6s %6s %5s %s\n" scenario req/s xtrivial \
	    "p99 ms" xtrivial errors goal "" xdisk goal ""
	for s in trivial "$@" end; do
		key="main $s"
		[ "$s" = end ] && key="end trivial"
		r=$(ratio "${RPS[$key]}" "${RPS[$ref]}")
		printf "%-${w}s %10.0f %8s %9.2f %8s %7s %5s %-6s %s\n" "$s" "${RPS[$key]}" "$r" \
		    "${P99[$key]}" "$(ratio "${P99[$key]}" "${P99[$ref]}")" "${ERRS[$key]}" \
		    "${GOAL[$s]:-}" "$(verdict "$r" "${GOAL[$s]:-}")" "$(disk_columns "$key" "$s")"
	done
	disk_row
	echo "(xtrivial: against the trivial responder measured first; goal: the issue's goal for the"
	echo " req/s ratio, reported, not asserted; 'end' is the trivial responder again after"
	echo " everything, against the first measurement; disk: 4 KiB appends a second, each flushed"
	echo " before the next (dd oflag=dsync), beside the store, after the first trivial and after"
	echo " 'end'; xdisk: a durable writer's req/s against the first, with its goal)"
}

# New deliveries, signed in advance.  A repeated delivery (same idempotency token, same SID) is
# often only a lookup, so a scenario that must measure new ones sends each request once.  A new
# SID changes the body, hence the signature: sign_requests.py signs them in advance (as `twhook
# sign` would: check_signer compares a few), and prepare's script hands each wrk thread its
# share.

# prepared_auto: when prepared is "auto" (duration_requests_options), how many requests to sign in
# advance: as many as the trivial responder answered in wrk's run (RPS[main trivial]), in
# thousands rounded up, and 20000 at least.
prepared_auto() {
	[ "$prepared" = auto ] || return 0
	prepared=$(awk -v r="${RPS[main trivial]}" -v d="$duration" \
	    'BEGIN { n = int(r * d / 1000 + 1) * 1000; print n < 20000 ? 20000 : n }')
}

# ROUTING_PARAMS: the parameters of the routing callback as Frontline sends it, but for
# ConversationSid and MessagingBinding.Address (endpoints.sh, postgres.sh).
ROUTING_PARAMS=(AccountSid=AC0123456789abcdef0123456789abcdef
    ChatServiceSid=IS0123456789abcdef0123456789abcdef
    MessagingServiceSid=MG0123456789abcdef0123456789abcdef
    MessagingBinding.ProxyAddress=+15555550000 FriendlyName= Attributes={} State=active
    DateCreated=2026-11-22T10:00:00.000Z DateUpdated=2026-11-22T10:00:00.000Z)

# prepare NAME TOKEN-PREFIX COUNT PARAM...: $T/NAME.req, COUNT requests to scenario NAME's path
# signed by sign_requests.py ("{n...}" in a PARAM is the request's number; the idempotency tokens
# start with TOKEN-PREFIX, 8 hex digits), and $T/NAME.lua to send them, each once; when wrk has
# sent them all it starts over, and says so in its output ("wrapped": see prepared_wrapped).
# Needs THREADS, the threads bench gives wrk (2).
prepare() {
	local name=$1 prefix=$2 count=$3 url
	shift 3
	url=$ORIGIN${SC_PATH[$name]}
	python3 "$HERE/sign_requests.py" --url "$url" --auth-token "$AUTH_TOKEN" --count "$count" \
	    --token-prefix "$prefix" "$@" > "$T/$name.req" || die "sign_requests.py failed"
	[ "$(wc -l < "$T/$name.req")" = "$count" ] || die "sign_requests.py wrote too little"
	prepared_lua "$name" application/x-www-form-urlencoded
}

# prepared_lua NAME CONTENT-TYPE: $T/NAME.lua, wrk's script that sends each request of
# $T/NAME.req once (prepare, prepare_json), with that Content-Type, to the path of the line's
# fourth field, else scenario NAME's path; SC_LUA[NAME] is set to it.
prepared_lua() {
	local name=$1 ctype=$2
	cat > "$T/$name.lua" <<-LUA
	-- written by tests/bench/$PROG: each of the $THREADS threads sends its share of the
	-- prepared requests in $T/$name.req, each once (then "wrapped" counts a new round).
	local threads, next_id = {}, 0
	function setup(thread)
	   thread:set("id", next_id)
	   next_id = next_id + 1
	   table.insert(threads, thread)
	end
	function init(args)
	   reqs, sent, wrapped = {}, 0, 0
	   local i = 0
	   for line in io.lines("$T/$name.req") do
	      if i % $THREADS == id then
	         local sig, body, token, path =
	            line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?([^\t]*)$")
	         reqs[#reqs + 1] = wrk.format("POST", path ~= "" and path or "${SC_PATH[$name]}", {
	            ["Host"] = wrk.headers["Host"],
	            ["Content-Type"] = "$ctype",
	            ["X-Twilio-Signature"] = sig,
	            ["I-Twilio-Idempotency-Token"] = token,
	         }, body)
	      end
	      i = i + 1
	   end
	end
	function request()
	   sent = sent + 1
	   if sent > #reqs then
	      sent, wrapped = 1, wrapped + 1
	   end
	   return reqs[sent]
	end
	function done(summary, latency, requests)
	   local w = 0
	   for _, t in ipairs(threads) do w = w + t:get("wrapped") end
	   io.write(string.format("prepared requests wrapped: %d\n", w))
	end
	LUA
	SC_LUA[$name]=$T/$name.lua
}

# check_signer NAME PARAM...: sign_requests.py signs as `twhook sign` does: the first three of
# the requests prepared for NAME from PARAM... (placeholders "{n}" and "{n:0Wx}", W digits).
check_signer() {
	local name=$1 n sig p params
	shift
	for n in 0 1 2; do
		params=()
		for p in "$@"; do
			p=${p//\{n\}/$n}
			while [[ $p =~ \{n:0([0-9]+)x\} ]]; do
				p=${p/"${BASH_REMATCH[0]}"/$(printf "%0${BASH_REMATCH[1]}x" "$n")}
			done
			params+=("$p")
		done
		sig=$("$TWHOOK" -c "$CONF" sign "$ORIGIN${SC_PATH[$name]}" "${params[@]}")
		[ "$sig" = "$(sed -n "$((n + 1))s/\t.*//p" "$T/$name.req")" ] ||
		    die "sign_requests.py and twhook sign disagree on request $n of $name"
	done
}

# prepare_json NAME TOKEN-PREFIX BODIES: as prepare, for a scenario whose requests are JSON: each
# line of the file BODIES (no tab in it) is a request's body, signed as Twilio signs a JSON body:
# bodySHA256 added to the URL's query, and the URL alone signed (sign_requests.py's HMAC with no
# parameters).  The lines of $T/NAME.req have a fourth field, that path and query; the
# idempotency tokens are prepare's.  check_json_signer compares a few with `twhook sign --body`.
prepare_json() {
	local name=$1 prefix=$2 bodies=$3
	python3 - "$HERE" "$ORIGIN" "${SC_PATH[$name]}" "$AUTH_TOKEN" "$prefix" "$bodies" \
	    > "$T/$name.req" <<-'PY' || die "signing the JSON requests of $name failed"
	import hashlib
	import sys
	here, origin, path, token, prefix, bodies = sys.argv[1:]
	sys.path.insert(0, here)
	from sign_requests import signature
	sep = "&" if "?" in path else "?"
	with open(bodies, encoding="utf-8") as f:
	    for n, line in enumerate(f):
	        body = line.rstrip("\n")
	        if "\t" in body:
	            sys.exit(f"{bodies}:{n + 1}: a tab in the body")
	        url = f"{path}{sep}bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
	        sig = signature(token, origin + url, [])
	        sys.stdout.write(f"{sig}\t{body}\t{prefix}-0000-4000-8000-{n:012x}\t{url}\n")
	PY
	[ "$(wc -l < "$T/$name.req")" = "$(wc -l < "$bodies")" ] ||
	    die "signing the JSON requests of $name wrote too little"
	prepared_lua "$name" application/json
}

# check_json_signer NAME: prepare_json signs as `twhook sign --body` does: the first three
# requests prepared for NAME, their signature and their path.
check_json_signer() {
	local name=$1 n sig
	for n in 1 2 3; do
		sed -n "${n}p" "$T/$name.req" | cut -f2 | tr -d '\n' > "$T/signer.json"
		sig=$("$TWHOOK" -c "$CONF" sign --body "$T/signer.json" "$ORIGIN${SC_PATH[$name]}" \
		    2> /dev/null)
		[ "$sig	$(body_url "${SC_PATH[$name]}" "$T/signer.json")" = \
		    "$(sed -n "${n}p" "$T/$name.req" | cut -f1,4)" ] ||
		    die "prepare_json and twhook sign --body disagree on request $n of $name"
	done
}

# pace_json URL RATE FILE: pace_requests.py for the JSON requests that prepare_json wrote in
# FILE: the same schedule, connections and output, but each body is posted as application/json
# to the path of its fourth field (URL's path with bodySHA256), and each output line starts
# with the body's twi_message_id (where pace_requests.py puts the form's ConversationSid).
# pace_requests.py itself knows only forms: this adapts it rather than copying its loop.
pace_json() {
	local url=$1 rate=$2 file=$3 py
	cut -f1-3 "$file" > "$file.3"
	py=$(cat <<-'PY'
	import http.client
	import json
	import sys
	here, url, rate, file = sys.argv[1:]
	sys.path.insert(0, here)
	import pace_requests
	paths = {}
	with open(file, encoding="utf-8") as f:
	    for line in f:
	        sig, body, token, path = line.rstrip("\n").split("\t")
	        paths[body.encode()] = path
	class JsonConnection(http.client.HTTPConnection):
	    def request(self, method, url, body=None, headers={}, **kw):
	        headers = dict(headers, **{"Content-Type": "application/json"})
	        super().request(method, paths[body], body=body, headers=headers, **kw)
	http.client.HTTPConnection = JsonConnection
	pace_requests.parse_qs = lambda body: {
	    "ConversationSid": [json.loads(body).get("twi_message_id", "")]}
	sys.argv = ["pace_requests.py", "--url", url, "--rate", rate, "--requests", file + ".3"]
	sys.exit(pace_requests.main())
	PY
	)
	# In a subshell of its own (run_child), python takes its place: cleanup's kill reaches it.
	if [ "$BASHPID" != "$$" ]; then
		exec python3 -c "$py" "$HERE" "$url" "$rate" "$file"
	fi
	python3 -c "$py" "$HERE" "$url" "$rate" "$file"
}

# percentiles DB: for the view d (what, o, ms) of the sqlite3 database DB, one line per what, in
# the order of o: what, then p50, p90, p99 and max of ms (2 decimals) and the count, separated by
# tabs; percentiles by nearest rank.  (dispatch.sh has its own copy of this query.)
percentiles() {
	sqlite3 -batch "$1" <<-SQL
	.mode tabs
	WITH r AS (SELECT what, o, ms, row_number() OVER (PARTITION BY what ORDER BY ms) AS k,
	    count(*) OVER (PARTITION BY what) AS n FROM d)
	SELECT what,
	    printf('%.2f', max(CASE WHEN k = (50 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(CASE WHEN k = (90 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(CASE WHEN k = (99 * n + 99) / 100 THEN ms END)),
	    printf('%.2f', max(ms)), n
	FROM r GROUP BY what ORDER BY min(o);
	SQL
}

# prepared_wrapped: how many times the last run of wrk (bench) started over the prepared
# requests (prepare): 0 when it sent none twice.
prepared_wrapped() {
	local w
	w=$(awk '/^prepared requests wrapped:/ { print $4 }' "$T/wrk.out")
	echo "${w:-0}"
}

# jobs LIKE-PATTERN [AND...]: how many outbox jobs of $DB have a matching idempotency key.
jobs() {
	q "SELECT count(*) FROM outbox WHERE idempotency_key LIKE 'add_participant:$1' ${2:-}"
}
claims() { q "SELECT count(*) FROM idempotency_claims WHERE endpoint = '$1'"; }

# bench_new STORE NAME ENDPOINT [KEY-PREFIX IDENTITY-CONDITION]: bench for a scenario whose every
# request is a new delivery; then checks that wrk sent no prepared request twice and, for
# routing, that the outbox of $DB gained one job for the right worker per request wrk completed
# (and no more than the 32 under way when it stopped).  NOTE_NEW[NAME] says what it kept.
declare -A NOTE_NEW
bench_new() {
	local store=$1 name=$2 endpoint=$3 prefix=${4:-} cond=${5:-} c0 c1 j0=0 j1=0 n
	c0=$(claims "$endpoint")
	[ -z "$prefix" ] || j0=$(jobs "$prefix%")
	bench "$store" "$name"
	c1=$(claims "$endpoint")
	[ -z "$prefix" ] || j1=$(jobs "$prefix%")
	n=${REQS[$store $name]}
	[ "$(prepared_wrapped)" = 0 ] ||
	    die "$name: wrk sent more than the $prepared prepared requests: run with -r" \
		"$((n * 3 / 2))"
	NOTE_NEW[$name]="$n requests kept $((c1 - c0)) idempotency claims"
	[ -n "$prefix" ] || return 0
	[ $((j1 - j0)) -ge "$n" ] && [ $((j1 - j0)) -le $((n + 32)) ] ||
	    die "$name: $((j1 - j0)) jobs queued for $n requests"
	[ "$(jobs "$prefix%" "AND NOT ($cond)")" = 0 ] ||
	    die "$name: jobs for the wrong worker: $(q "SELECT payload FROM outbox WHERE
		idempotency_key LIKE 'add_participant:$prefix%' AND NOT ($cond) LIMIT 3")"
	NOTE_NEW[$name]+=" and queued $((j1 - j0)) jobs"
}
