#!/bin/bash
# demo.sh: the quick start.  Installs what twhook needs (contrib/install-deps.sh), builds it out of
# tree in _build, makes a demo store from schema/sample.sql in _demo, serves every endpoint through
# lighttpd (mod_fastcgi) on 127.0.0.1:8080 (or $PORT; the next free port if that one is busy),
# sends each endpoint its sample requests with signed curl commands you can paste, then serves
# until Ctrl-C, the operator's console included (its password printed).  The demo store and configuration are made afresh on every run.
#   contrib/demo.sh
#   PORT=9000 BUILD_DIR=/tmp/twhook-build DEMO_DIR=/tmp/twhook-demo contrib/demo.sh
set -eu

# One line per sample request: the endpoint (cgi-bin/twhook-NAME, served at /twhook-NAME) and its
# parameters, as shell words (quote them as in a shell).  A form body is sent; with --json 'JSON'
# that JSON body is sent instead, signed through bodySHA256 as Twilio signs JSON webhooks.
samples=$(cat <<'EOF'
crm Location=GetCustomersList Worker=alice@example.com
crm Location=GetCustomerDetailsByCustomerId Worker=alice@example.com CustomerId=1
outgoing Location=GetProxyAddress Worker=alice@example.com CustomerId=1 ChannelType=whatsapp ChannelValue=whatsapp:+15555550101
templates Location=GetTemplatesByCustomerId Worker=alice@example.com CustomerId=1 ConversationSid=CH00000000000000000000000000000001
routing ConversationSid=CH00000000000000000000000000000001 MessagingBinding.Address=+15555550101 MessagingBinding.ProxyAddress=+15555550000
conversations EventType=onConversationAdd MessagingBinding.Address=+15555550101 MessagingBinding.ProxyAddress=+15555550000
proxy-callback interactionSid=KI00000000000000000000000000000001 interactionSessionSid=KC00000000000000000000000000000001 interactionType=message 'interactionData={"body":"Hello"}' inboundResourceStatus=delivered outboundResourceStatus=sent
proxy-intercept interactionSid=KI00000000000000000000000000000002 interactionSessionSid=KC00000000000000000000000000000001 interactionType=message 'interactionData={"body":"Please send the wire transfer today"}'
proxy-out-of-session To=+15555550000 From=+15555550101 MessageSid=SM00000000000000000000000000000001 Body=Hello
call-notify --json '{"twi_account_sid":"AC00000000000000000000000000000000","twi_bridge_token":"eyJ0eXAiOiJKV1QifQ.e30.c2ln","twi_call_sid":"CA00000000000000000000000000000001","twi_from":"client:bob","twi_to":"client:alice","twi_message_id":"WB00000000000000000000000000000001","twi_message_type":"twilio.voice.call"}'
EOF
)

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
demo=${DEMO_DIR:-$top/_demo}
PATH=$PATH:/usr/sbin:/sbin		# lighttpd, for users whose PATH lacks sbin

say() { printf '%s\n' "$*"; }
die() { printf 'demo.sh: %s\n' "$*" >&2; exit 1; }

# Shell-quotes $1 when it needs it, for commands printed to be pasted.
q() {
	case $1 in
	'' | *[!A-Za-z0-9_./:=@%+,-]*) printf "'%s'" "${1//\'/\'\\\'\'}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# The endpoints, in order of first appearance in $samples.
endpoints=()
while read -r line; do
	[ -n "$line" ] || continue
	eval "set -- $line"
	case " ${endpoints[*]} " in *" $1 "*) ;; *) endpoints+=("$1") ;; esac
done <<<"$samples"

# 1. Dependencies and the build.
"$top/contrib/install-deps.sh"
if [ ! -x "$top/configure" ] || [ "$top/configure.ac" -nt "$top/configure" ]; then
	say "running autoreconf -fi in $top"
	(cd "$top" && autoreconf -fi)
fi
[ -e "$top/config.status" ] && [ "$build" != "$top" ] &&
	die "$top is configured in place: run 'make distclean' there, or set BUILD_DIR=$top"
mkdir -p "$build"
log=$build/demo-build.log
: >"$log"
if [ ! -f "$build/Makefile" ]; then
	say "configuring in $build (log: $log)"
	(cd "$build" && "$top/configure") >>"$log" 2>&1 ||
		{ tail -n 30 "$log" >&2; die "configure failed; see $log"; }
fi
say "building in $build (log: $log)"
make -C "$build" -j2 >>"$log" 2>&1 || { tail -n 30 "$log" >&2; die "the build failed; see $log"; }
twhook=$build/src/twhook
for ep in "${endpoints[@]}"; do
	[ -x "$build/cgi-bin/twhook-$ep" ] || die "$build/cgi-bin/twhook-$ep was not built"
done
# contrib/ha-demo.sh builds through here, then runs its own three-machine demo.
[ -z "${DEMO_BUILD_ONLY:-}" ] || exit 0

# 2. One demo at a time per demo directory: the lock is held until lighttpd is gone.
mkdir -p "$demo/www"
exec 9>"$demo/.lock"
flock -n 9 || die "another contrib/demo.sh is serving from $demo; stop it first (Ctrl-C)"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${PORT:-8080}
first=$port
while port_busy "$port"; do
	port=$((port + 1))
	[ "$port" -lt $((first + 100)) ] || die "ports $first to $((port - 1)) are all busy; set PORT"
done
[ "$port" = "$first" ] || say "port $first is busy; using $port"
base=http://127.0.0.1:$port

# 3. Configuration and store.  The auth token is random: only the printed commands know it.
conf=$demo/twhook.conf
db=$demo/twhook.db
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
(
	umask 077
	cat >"$conf" <<-EOF
	# twhook.conf(5) written by contrib/demo.sh; rewritten on every run.
	database = $db
	auth_token = $token
	public_url = $base
	log_level = debug
	EOF
)
rm -f "$db" "$db-wal" "$db-shm"
"$twhook" -c "$conf" init >/dev/null
sqlite3 "$db" <"$top/schema/sample.sql"
say "made the demo store $db from schema/sample.sql"

# 4. lighttpd: the server's own settings, then contrib/lighttpd.conf (one FastCGI URL per
# endpoint), its placeholders filled in as its header says, with the build's executables.
sockdir=$demo
[ ${#sockdir} -le 80 ] || sockdir=$(mktemp -d "${TMPDIR:-/tmp}/twhook-demo.XXXXXX")
# The console's password file is the demo's own: the user "demo", a password made here.
console_password=$(openssl rand -hex 8)
printf 'demo:%s\n' "$(openssl passwd -apr1 "$console_password")" >"$demo/console.htpasswd"
sed -e "s|@CGIDIR@|$build/cgi-bin|g" -e "s|@TWHOOK_CONFIG@|$conf|g" -e "s|@RUNDIR@|$sockdir|g" \
    -e "s|/etc/lighttpd/twhook-console.htpasswd|$demo/console.htpasswd|" \
    "$top/contrib/lighttpd.conf" >"$demo/twhook-lighttpd.conf"
cat >"$demo/lighttpd.conf" <<EOF
# lighttpd.conf written by contrib/demo.sh; rewritten on every run.
server.modules = ( "mod_fastcgi" )
server.document-root = "$demo/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$demo/lighttpd-error.log"
server.breakagelog = "$demo/twhook.log"
include "$demo/twhook-lighttpd.conf"
EOF
: >"$demo/twhook.log"

lighttpd_pid=
tail_pid=
tmp=$(mktemp "${TMPDIR:-/tmp}/twhook-demo-answer.XXXXXX")
cleanup() {
	trap - EXIT INT TERM
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	if [ -n "$lighttpd_pid" ] && kill "$lighttpd_pid" 2>/dev/null; then
		wait "$lighttpd_pid" 2>/dev/null || true
		say "stopped lighttpd"
	fi
	rm -f "$tmp"
	[ "$sockdir" = "$demo" ] || rm -rf "$sockdir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

lighttpd -D -f "$demo/lighttpd.conf" >"$demo/lighttpd.out" 2>&1 &
lighttpd_pid=$!
tries=0
until [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/twhook-${endpoints[0]}")" != 000 ]; do
	if ! kill -0 "$lighttpd_pid" 2>/dev/null || [ $((tries += 1)) -gt 50 ]; then
		cat "$demo/lighttpd.out" "$demo/lighttpd-error.log" >&2 2>/dev/null || true
		die "lighttpd did not start (config: $demo/lighttpd.conf)"
	fi
	sleep 0.2
done
say "lighttpd is serving ${endpoints[*]/#/$base/twhook-}"

# 5. Each sample request: how it is signed, the curl command, and what it answers.
while read -r line; do
	[ -n "$line" ] || continue
	eval "set -- $line"
	url=$base/twhook-$1
	shift
	if [ "${1-}" = --json ]; then
		url="$url?bodySHA256=$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)"
		sign=("$twhook" -c "$conf" sign "$url")
		sig=$("${sign[@]}")
		args=(curl -sS "$url" -H "X-Twilio-Signature: $sig"
		    -H 'Content-Type: application/json' --data-binary "$2")
	else
		sign=("$twhook" -c "$conf" sign "$url" "$@")
		sig=$("${sign[@]}")
		args=(curl -sS "$url" -H "X-Twilio-Signature: $sig")
		for p in "$@"; do args+=(--data-urlencode "$p"); done
	fi
	answer=$("${args[@]}" -o "$tmp" -w '%{http_code} %{content_type}') || true
	say ""
	printf '# signed with:'
	for a in "${sign[@]}"; do printf ' %s' "$(q "$a")"; done
	printf '\n'
	printf '%s %s' "$(q "${args[0]}")" "$(q "${args[1]}")"
	printf ' %s' "$(q "${args[2]}")"
	set -- "${args[@]:3}"
	while [ $# -gt 0 ]; do
		printf ' \\\n    %s %s' "$(q "$1")" "$(q "$2")"
		shift 2
	done
	# JSON answers are shown through jq; TwiML and empty ones as they are.
	case $answer in
	*application/json*) printf ' | jq .\n' ;;
	*) printf ' -i\n' ;;
	esac
	say "=> HTTP $answer"
	jq . "$tmp" 2>/dev/null || cat "$tmp"
done <<<"$samples"

# 6. Serve until Ctrl-C.
cat <<EOF

Edit the store while the suite runs; the endpoints read it on every request, so an edit shows
at once (paste a command above again).  Turn foreign keys on in each session:
  sqlite3 $(q "$db")
  sqlite> PRAGMA foreign_keys = ON;
  sqlite> UPDATE customers SET display_name = 'Robert Shaftoe' WHERE customer_id = '1';
Or try an endpoint without the web server:
  $(q "$twhook") -c $(q "$conf") request crm Location=GetCustomersList Worker=bob@example.com
The routing, conversations and call-notify samples queued work (REST calls to Twilio, a push
to a relay); see it with
  $(q "$twhook") -c $(q "$conf") jobs
(\`twhook dispatch\` delivers it once the configuration has credentials.)
Every request is in the delivery log ($(q "$db")-deliveries); browse it, or follow it, with
  $(q "$twhook") -c $(q "$conf") log
  $(q "$twhook") -c $(q "$conf") log -f -e crm
The operator's console shows the traffic, the delivery log, the jobs and the store:
  $base/twhook-console/   (user demo, password $console_password)
Logs: $demo/twhook.log (endpoints), $demo/lighttpd-error.log (lighttpd).
Serving on $base until Ctrl-C; each request's log line follows.
EOF
tail -n 0 -f "$demo/twhook.log" &
tail_pid=$!
wait "$lighttpd_pid" || true
lighttpd_pid=
die "lighttpd stopped; see $demo/lighttpd-error.log"
