#!/bin/bash
# ha-demo.sh: the quick start of contrib/ha/, three machines on one.  Installs and builds as
# contrib/demo.sh does, starts three nodes on 127.0.0.1 (tests/ha/cluster.sh: etcd, Patroni and
# PostgreSQL on each) with a lighttpd per node serving every endpoint, the store on the cluster,
# sends a signed request through each node, then kills the leader's node as if its machine died
# and shows what the next requests get: reads answered at once, writes 503 with Retry-After
# until the new primary takes over, then 200; and `patronictl list` before and after.  Stops
# everything on exit (KEEP=1 keeps its directory, for the logs).
#   contrib/ha-demo.sh
#   BUILD_DIR=/tmp/twhook-build contrib/ha-demo.sh
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/_build}
PATH=$PATH:/usr/sbin:/sbin		# lighttpd, for users whose PATH lacks sbin

say() { printf '%s\n' "$*"; }
die() { printf 'ha-demo.sh: %s\n' "$*" >&2; exit 1; }
# title TEXT: a heading between the steps.
title() { printf '\n=== %s\n' "$*"; }
# members: patronictl's table, without its complaints about the dead node's etcd.
members() { ha_list | grep -v ' - ERROR - ' || true; }

# 1. Dependencies and the build: contrib/demo.sh's, stopping before its own demo.
DEMO_BUILD_ONLY=1 BUILD_DIR=$build "$top/contrib/demo.sh"
twhook=$build/src/twhook

# 2. The cluster, in a directory under /tmp (as root, its processes run as twhook-test and
# must reach it).
dir=$(mktemp -d /tmp/twhook-ha-demo.XXXXXX)
. "$top/tests/ha/cluster.sh"
nodes=()		# node 1..3's lighttpd: a process group, with the endpoints it runs
cleanup() {
	trap - EXIT INT TERM
	for pid in "${nodes[@]}"; do kill -- "-$pid" 2>/dev/null || true; done
	ha_stop || true
	if [ -n "${KEEP:-}" ]; then say "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
title "starting three nodes on 127.0.0.1 (about a minute)"
ha_start "$dir/ha" || die "the cluster did not start"
members

# 3. The store on the cluster, and a lighttpd per node with contrib/lighttpd.conf.
token=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=8080
for n in 1 2 3; do
	while port_busy "$port"; do port=$((port + 1)); done
	d=$dir/node$n
	mkdir -p "$d/www"
	cat > "$d/twhook.conf" <<-EOF
	# twhook.conf(5) of node$n, written by contrib/ha-demo.sh
	database = $HA_URI
	auth_token = $token
	public_url = http://127.0.0.1:$port
	delivery_log = $d/deliveries
	EOF
	sed -e "s|@CGIDIR@|$build/cgi-bin|g" -e "s|@TWHOOK_CONFIG@|$d/twhook.conf|g" \
	    -e "s|@RUNDIR@|$d|g" "$top/contrib/lighttpd.conf" > "$d/twhook-lighttpd.conf"
	cat > "$d/lighttpd.conf" <<-EOF
	server.modules = ( "mod_fastcgi" )
	server.document-root = "$d/www"
	server.bind = "127.0.0.1"
	server.port = $port
	server.errorlog = "$d/lighttpd-error.log"
	server.breakagelog = "$d/twhook.log"
	include "$d/twhook-lighttpd.conf"
	EOF
	printf -v "base_$n" %s "http://127.0.0.1:$port"
	port=$((port + 1))
done
"$twhook" -c "$dir/node1/twhook.conf" init > /dev/null
psql -X -q -v ON_ERROR_STOP=1 -d "$HA_URI" -f "$top/schema/sample.sql" > /dev/null
say "the store: $HA_URI (schema/sample.sql loaded)"
for n in 1 2 3; do
	setsid lighttpd -D -f "$dir/node$n/lighttpd.conf" > "$dir/node$n/lighttpd.out" 2>&1 &
	nodes[n]=$(ps -o pgid= -p $! | tr -d ' ')
	disown			# killed below on purpose: no "Killed" notice
done
for n in 1 2 3; do
	base=base_$n
	for _ in $(seq 50); do port_busy "${!base##*:}" && break; sleep 0.2; done
	port_busy "${!base##*:}" || die "node$n's lighttpd did not start: $(cat "$dir/node$n/lighttpd.out")"
	say "node$n serves every endpoint at ${!base}/twhook-NAME"
done

# post N ENDPOINT NAME=VALUE...: a form request signed for node N's URL and sent there; sets
# code (the HTTP status), retry (Retry-After) and answer (the body, on one line).
post() {
	local base=base_$1 ep=$2 url args=() p
	shift 2
	url=${!base}/twhook-$ep
	for p; do args+=(--data-urlencode "$p"); done
	: > "$dir/head"
	code=$(curl -sS -m 10 -o "$dir/body" -D "$dir/head" -w '%{http_code}' "$url" \
	    -H "X-Twilio-Signature: $("$twhook" -c "$dir/node1/twhook.conf" sign "$url" "$@")" \
	    "${args[@]}") || code=000
	retry=$(tr -d '\r' < "$dir/head" | sed -n 's/^Retry-After: //Ip')
	answer=$(jq -c . "$dir/body" 2>/dev/null || cat "$dir/body")
}

# show N ENDPOINT NAME=VALUE...: post, printing the request and the answer.
show() {
	local base=base_$1
	say "POST ${!base}/twhook-$2  ${*:3}"
	post "$@"
	say "  => HTTP $code${retry:+ (Retry-After: $retry)} $answer"
}

# A read (the CRM's customer) and a write (a new conversation to route: a job for Twilio).
read_req=(crm Location=GetCustomerDetailsByCustomerId Worker=alice@example.com CustomerId=1)
conv=0
write_req() { conv=$((conv + 1)); printf -v sid 'CH%032d' "$conv"; echo "ConversationSid=$sid"; }

# 4. A signed request through each node: each reaches the primary, wherever it runs.
title "a read and a write through each node (signed as Twilio signs them)"
for n in 1 2 3; do
	show "$n" "${read_req[@]}"
	show "$n" routing "$(write_req)" MessagingBinding.Address=+15555550101
done

# 5. The leader's machine dies; the next requests go to a node still up.
title "killing the leader's node: etcd, Patroni, PostgreSQL and its lighttpd (kill -9)"
killed=$(ha_kill_leader) || die "no leader to kill"
kill -9 -- "-${nodes[killed]}" 2>/dev/null || true
t0=$(ha_now_ms)
alive=$((killed % 3 + 1))
say "node$killed is dead; asking node$alive every 2 s, a read and a write:"
while :; do
	t=$(ha_secs $(($(ha_now_ms) - t0)))
	post "$alive" "${read_req[@]}"
	line="t+${t}s  read: HTTP $code"
	post "$alive" routing "$(write_req)" MessagingBinding.Address=+15555550101
	say "$line  write: HTTP $code${retry:+ (Retry-After: $retry)} $answer"
	[ "$code" != 200 ] || break
	[ $(($(ha_now_ms) - t0)) -lt 120000 ] || die "writes did not resume within 120 s"
	sleep 2
done
title "the new leader"
members
say ""
say "Writes failed for about $(ha_secs $(($(ha_now_ms) - t0))) s after the machine died,"
say "reads went on from a standby; contrib/ha/README.md explains the figures."
