# cluster.sh: sourced by the high-availability tests.  It runs a three-node PostgreSQL cluster
# on 127.0.0.1 -- on each node an etcd member, Patroni and the PostgreSQL it manages -- from
# contrib/ha/etcd.default and contrib/ha/patroni.yml with test overrides, on ports chosen at
# run time, and breaks it on demand: kill a node as if its machine died, freeze one, bring one
# back.  It knows nothing of twhook beyond a role and a database for it.
#
#   . tests/ha/cluster.sh
#   trap ha_stop EXIT
#   ha_start "$T/ha"        # returns once a leader streams to two standbys, one synchronous
#   psql "$HA_URI" ...      # the multi-host URI a twhook.conf would name
#
# Gives, once ha_start returned: HA_DIR, HA_URI (postgresql://twhook@127.0.0.1:P1,...,P3/
# twhook?target_session_attrs=read-write&connect_timeout=2), HA_PG_PORT_1..3 and
# HA_REST_PORT_1..3 (PostgreSQL's and Patroni's REST API's port of node 1..3), HA_ETCD_HOSTS,
# HA_DB_USER and HA_DB_NAME (the role and database, twhook unless set before), all exported;
# and ha_psql, ha_leader, ha_sync_standby, ha_wait_sync, ha_kill_leader, ha_stop_node,
# ha_cont_node, ha_restart_node, ha_wait_leader, ha_wait_healthy, ha_list and ha_stop, each
# described where it is defined, with ha_now_ms and ha_secs for a caller's own timings.
# Functions named ha__* are its own.
#
# Needs bash, python3, curl, Patroni, etcd and PostgreSQL, which contrib/install-deps.sh installs.
#
# Who runs it: PostgreSQL refuses to run as root, so as root every process of the cluster runs
# as the system user $HA_USER (twhook-test, created with useradd --system when missing), and
# as the calling user otherwise.  Not nobody: files owned by nobody can be written by every other
# service that runs as nobody, and nobody is meant to own no files.  Not postgres: that is
# Debian's system cluster's account, which a test has no business sharing.  Parallel tests
# share the user, so nothing here ever kills by user: only by recorded process group, and then
# whatever still has its working directory inside this cluster's directory.
#
# Timings: ttl 20 (the floor: Patroni's documented minimum, which its later releases enforce;
# Debian 12's 3.0.2 does not check, but a test tuned below it would not port), loop_wait 2,
# retry_timeout 9 (Patroni requires loop_wait + 2 * retry_timeout <= ttl).  The short loop_wait
# makes the cluster react quickly; the long retry_timeout keeps a loaded two-core machine's
# etcd hiccups from demoting the primary.  A killed primary is replaced 19-24 s later: its key
# expires 18-20 s after its last renewal, a little later when its node also held etcd's own
# leader (a new etcd leader extends every lease), and the other standby becomes synchronous
# 3-5 s after the promotion, which is when writes resume (strict mode).

HA_USER=${HA_USER:-twhook-test}
HA_PGBIN=${HA_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
HA_DB_USER=${HA_DB_USER:-twhook}
HA_DB_NAME=${HA_DB_NAME:-twhook}
HA_TTL=20
HA_LOOP_WAIT=2
HA_RETRY_TIMEOUT=9
# Bounded waits, in seconds: the cluster's first start, a failover, a node's return.
HA_START_TIMEOUT=${HA_START_TIMEOUT:-180}
HA_FAILOVER_TIMEOUT=${HA_FAILOVER_TIMEOUT:-90}
HA_REJOIN_TIMEOUT=${HA_REJOIN_TIMEOUT:-120}
HA_DIR=
ha_contrib=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../contrib/ha" && pwd)

# ha__log MESSAGE: a progress line on standard error.
ha__log() { echo "# ha: $*" >&2; }

# ha_now_ms: the time in milliseconds.
ha_now_ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }

# ha_secs MS: milliseconds as seconds with one decimal.
ha_secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ha__var NAME N: the value of ${NAME_N}, e.g. ha__var HA_PG_PORT 2.
ha__var() { local v="$1_$2"; echo "${!v}"; }

# ha__fail MESSAGE: says why on standard error with the end of every log, and returns 1.
ha__fail() {
	local f
	echo "ha: $*" >&2
	for f in "$HA_DIR"/node*/*.log; do
		[ -f "$f" ] || continue
		echo "---- last lines of $f" >&2
		tail -n 25 "$f" >&2
	done
	ha_list >&2 2>&1
	return 1
}

# ha__as CMD...: runs CMD as $HA_USER (when root) in a clean environment, HOME being $HA_DIR.
ha__as() {
	local as=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HA_DIR" LC_ALL=C.UTF-8 TZ=UTC)
	[ "$(id -u)" != 0 ] ||
	    as=(setpriv --reuid="$HA_USER" --regid="$HA_USER" --clear-groups "${as[@]}")
	"${as[@]}" "$@"
}

# ha__user: makes sure $HA_USER exists when running as root.
ha__user() {
	[ "$(id -u)" = 0 ] || return 0
	id -u "$HA_USER" > /dev/null 2>&1 && return 0
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
	    --shell /usr/sbin/nologin "$HA_USER" ||
	    { echo "ha: cannot create user $HA_USER" >&2; return 1; }
}

# ha__ports N: N distinct TCP ports of 127.0.0.1 free now, below the ephemeral range (so that
# no client connection takes one meanwhile), all held open until all are found.
ha__ports() {
	python3 - "$1" <<'EOF'
import random, socket, sys
held = []
while len(held) < int(sys.argv[1]):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", random.randrange(20000, 32000)))
    except OSError:
        s.close()
        continue
    held.append(s)
print(" ".join(str(s.getsockname()[1]) for s in held))
EOF
}

# ha__render TEMPLATE OUT NAME=VALUE...: TEMPLATE with each @NAME@ replaced by VALUE.
ha__render() {
	local in=$1 out=$2 kv expr=()
	shift 2
	for kv; do expr+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
	sed "${expr[@]}" "$in" > "$out"
	! grep -q '@[A-Z_]*@' "$out" || { echo "ha: $out keeps a placeholder" >&2; return 1; }
}

# ha__patroni_conf N: node N's patroni.yml, contrib/ha/patroni.yml rendered and overridden for
# a test: trust on loopback instead of passwords, no watchdog, the test timings, a Unix socket
# in the node's directory, and fsync off (the tests kill processes, never the kernel, so the
# page cache survives every failure they cause; fsync would only load the shared disk).
# max_connections stays patroni.yml's 100: tests/ha.test's three web servers keep one
# connection per FastCGI endpoint process (18 a node), and the dispatchers one each.
ha__patroni_conf() {
	local n=$1 d=$HA_DIR/node$1 pw
	pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
	ha__render "$ha_contrib/patroni.yml" "$d/patroni.in.yml" NAME="node$n" ADDRESS=127.0.0.1 \
	    ETCD_HOSTS="$HA_ETCD_HOSTS" PG_PORT="$(ha__var HA_PG_PORT "$n")" \
	    REST_PORT="$(ha__var HA_REST_PORT "$n")" DATA_DIR="$d/data" BIN_DIR="$HA_PGBIN" \
	    RUN_DIR="$d" NETWORK=127.0.0.1/32 CONTRIB="$HA_DIR" SUPERUSER_PASSWORD="$pw" \
	    REPLICATION_PASSWORD="$pw" REWIND_PASSWORD="$pw" REST_PASSWORD="$pw" || return 1
	python3 - "$d/patroni.in.yml" "$d/patroni.yml" "$HA_TTL" "$HA_LOOP_WAIT" \
	    "$HA_RETRY_TIMEOUT" "$HA_DB_USER" "$HA_DB_NAME" <<'EOF' || return 1
import sys, yaml
src, dst, ttl, loop_wait, retry_timeout, user, db = sys.argv[1:]
c = yaml.safe_load(open(src))
dcs = c["bootstrap"]["dcs"]
dcs.update(ttl=int(ttl), loop_wait=int(loop_wait), retry_timeout=int(retry_timeout))
dcs["postgresql"]["parameters"].update(fsync="off", shared_buffers="16MB",
                                       wal_keep_size="64MB", max_wal_size="128MB")
c["bootstrap"]["post_bootstrap"] += " %s %s" % (user, db)
c["postgresql"]["pg_hba"] = ["host all all 127.0.0.1/32 trust",
                             "host replication all 127.0.0.1/32 trust"]
c["watchdog"] = {"mode": "off"}
c["log"] = {"level": "INFO"}
yaml.safe_dump(c, open(dst, "w"), default_flow_style=False)
EOF
	rm -f "$d/patroni.in.yml"
}

# ha__etcd_conf N: node N's etcd environment, contrib/ha/etcd.default rendered.
ha__etcd_conf() {
	local n=$1
	ha__render "$ha_contrib/etcd.default" "$HA_DIR/node$n/etcd.env" NAME="node$n" \
	    ADDRESS=127.0.0.1 CLIENT_PORT="$(ha__var HA_ETCD_PORT "$n")" \
	    PEER_PORT="$(ha__var HA_ETCD_PEER_PORT "$n")" DATA_DIR="$HA_DIR/node$n/etcd" \
	    INITIAL_CLUSTER="$HA_ETCD_CLUSTER" TOKEN="$HA_TOKEN"
}

# ha__spawn N NAME CMD...: CMD as $HA_USER in a session of its own (so a process group of its
# own), working directory node N's, output in NAME.log, process group id in NAME.pid.
ha__spawn() {
	local d=$HA_DIR/node$1 name=$2 i
	shift 2
	rm -f "$d/$name.pid"
	(cd "$d" && ha__as setsid bash -c 'echo $$ > "$0"; exec "$@"' "$d/$name.pid" "$@") \
	    >> "$d/$name.log" 2>&1 < /dev/null &
	for i in $(seq 50); do [ -s "$d/$name.pid" ] && return 0; sleep 0.1; done
	echo "ha: node$1's $name did not start" >&2
	return 1
}

# ha__start_etcd N: node N's etcd member, its settings taken from etcd.env.
ha__start_etcd() {
	local vars
	mapfile -t vars < <(grep -E '^ETCD_[A-Z_]+=' "$HA_DIR/node$1/etcd.env")
	ha__spawn "$1" etcd env "${vars[@]}" etcd
}

# ha__start_patroni N: node N's Patroni, which starts (and first creates) its PostgreSQL.
ha__start_patroni() {
	ha__spawn "$1" patroni patroni "$HA_DIR/node$1/patroni.yml"
}

# ha__groups N: the process groups of node N that are alive: etcd's, Patroni's (with what
# Patroni runs: pg_basebackup, pg_rewind...), the postmaster's, and then one per postmaster
# child, since every PostgreSQL backend makes itself a session of its own.
ha__groups() {
	local d=$HA_DIR/node$1 f pid pgid
	for f in "$d/etcd.pid" "$d/patroni.pid"; do
		pgid=$(cat "$f" 2>/dev/null) && kill -0 -- "-$pgid" 2>/dev/null && echo "$pgid"
	done
	pid=$(head -n 1 "$d/data/postmaster.pid" 2>/dev/null) || return 0
	pgid=$(ps -o pgid= -p "$pid" 2>/dev/null) || return 0
	echo $((pgid))
	ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' '
}

# ha__signal SIGNAL N: sends SIGNAL to every process group of node N, all in one kill(1),
# Patroni and the postmaster first so that neither starts anything new meanwhile.
ha__signal() {
	local groups
	groups=$(ha__groups "$2" | sed 's/^/-/')
	[ -z "$groups" ] || kill "-$1" -- $groups 2>/dev/null
}

# ha__alive IDS...: the processes, among those whose process id or process group id is one
# of IDS, that are alive (not zombies).  A SIGKILLed process may take a while to go, blocked in
# the kernel on a loaded disk.
ha__alive() {
	ps -e -o pid=,pgid=,stat= | awk -v ids=" $* " '
	    $3 !~ /^Z/ && (index(ids, " " $1 " ") || index(ids, " " $2 " ")) { print $1 }'
}

# ha__sweep DIR: kills (SIGKILL) every process of $HA_USER whose working directory is in DIR,
# until none is left, and waits (10 s at most) until they are gone: whatever a process group
# kill missed.  Prints the process ids it killed.
ha__sweep() {
	local dir=$1 uid p cwd round pids all=() i
	if [ "$(id -u)" = 0 ]; then uid=$(id -u "$HA_USER"); else uid=$(id -u); fi
	for round in $(seq 50); do
		pids=()
		for p in $(find /proc -mindepth 1 -maxdepth 1 -name '[0-9]*' -uid "$uid" 2>/dev/null); do
			p=${p#/proc/}
			[ "$p" != "$$" ] && [ "$p" != "$BASHPID" ] || continue
			cwd=$(readlink "/proc/$p/cwd" 2>/dev/null) || continue
			case $cwd in "$dir" | "$dir"/*) pids+=("$p") ;; esac
		done
		[ ${#pids[@]} -gt 0 ] || break
		kill -KILL "${pids[@]}" 2>/dev/null
		all+=("${pids[@]}")
		sleep 0.1
	done
	for i in $(seq 100); do
		[ ${#all[@]} = 0 ] || [ -z "$(ha__alive "${all[@]}")" ] && break
		sleep 0.1
	done
	echo "${all[*]}"
}

# ha__rest N PATH: GET PATH of node N's REST API; fails unless it answers 200 within 3 s (a
# loaded machine slows Patroni's answers past 1 s).
ha__rest() {
	curl -sf --max-time 3 "http://127.0.0.1:$(ha__var HA_REST_PORT "$1")$2"
}

# ha__node N: fails, saying so, unless N is a node number.
ha__node() {
	case $1 in 1 | 2 | 3) ;; *) echo "ha: no node '$1'" >&2; return 1 ;; esac
}

# ha__healthy: a leader streams to both standbys, one of them synchronous both in PostgreSQL
# and in etcd (Patroni promotes only the standby etcd names synchronous).
ha__healthy() {
	local sync
	sync=$(ha_sync_standby) &&
	[ "$(ha_psql -d postgres -Atc "SELECT count(*) FILTER (WHERE state = 'streaming') || ' ' ||
	    string_agg(application_name, ' ') FILTER (WHERE sync_state = 'sync')
	    FROM pg_stat_replication" 2>/dev/null)" = "2 node$sync" ]
}

# ha_wait_healthy [SECONDS]: waits (at most SECONDS, default $HA_REJOIN_TIMEOUT) until a
# leader streams to two standbys, one synchronous, and the database twhook uses exists.
ha_wait_healthy() {
	local limit=$((${1:-$HA_REJOIN_TIMEOUT} * 1000)) t0
	t0=$(ha_now_ms)
	until ha__healthy && ha_psql -Atc 'SELECT 1' > /dev/null 2>&1; do
		[ $(($(ha_now_ms) - t0)) -lt "$limit" ] ||
		    { ha__fail "no healthy cluster within $((limit / 1000)) s"; return 1; }
		sleep 0.5
	done
}

# ha_start DIR: creates and starts the cluster in DIR (made if missing, then handed to
# $HA_USER), and returns once it is healthy; on failure it prints why with the logs.
ha_start() {
	local dir=$1 n ports i=0 v
	for v in patroni etcd etcdctl python3 curl setpriv; do
		command -v "$v" > /dev/null || { echo "ha: $v is not installed" >&2; return 1; }
	done
	[ -x "$HA_PGBIN/postgres" ] || { echo "ha: no PostgreSQL in '$HA_PGBIN'" >&2; return 1; }
	ha__user || return 1
	mkdir -p "$dir" && HA_DIR=$(cd "$dir" && pwd) || return 1
	if [ "$(id -u)" = 0 ]; then
		chown "$HA_USER:" "$HA_DIR"
		# The scratch directory holding it is usually mode 0700: let the user through.
		ha__as test -w "$HA_DIR" || chmod o+x "$(dirname "$HA_DIR")"
		ha__as test -w "$HA_DIR" ||
		    { echo "ha: $HA_USER cannot reach $HA_DIR: use a directory under /tmp" >&2; return 1; }
	fi

	read -r -a ports < <(ha__ports 15)
	HA_TOKEN="twhook-ha-$$-$RANDOM"
	HA_ETCD_CLUSTER= HA_ETCD_HOSTS=
	for n in 1 2 3; do
		printf -v "HA_PG_PORT_$n" %s "${ports[i]}"
		printf -v "HA_REST_PORT_$n" %s "${ports[i + 1]}"
		printf -v "HA_ETCD_PORT_$n" %s "${ports[i + 2]}"
		printf -v "HA_ETCD_PEER_PORT_$n" %s "${ports[i + 3]}"
		i=$((i + 4))
		HA_ETCD_CLUSTER="$HA_ETCD_CLUSTER,node$n=http://127.0.0.1:$(ha__var HA_ETCD_PEER_PORT "$n")"
		HA_ETCD_HOSTS="$HA_ETCD_HOSTS,127.0.0.1:$(ha__var HA_ETCD_PORT "$n")"
	done
	HA_ETCD_CLUSTER=${HA_ETCD_CLUSTER#,} HA_ETCD_HOSTS=${HA_ETCD_HOSTS#,}
	HA_URI="postgresql://$HA_DB_USER@127.0.0.1:$HA_PG_PORT_1,127.0.0.1:$HA_PG_PORT_2"
	HA_URI="$HA_URI,127.0.0.1:$HA_PG_PORT_3/$HA_DB_NAME"
	HA_URI="$HA_URI?target_session_attrs=read-write&connect_timeout=2"
	export HA_DIR HA_URI HA_DB_USER HA_DB_NAME HA_ETCD_HOSTS HA_PG_PORT_1 HA_PG_PORT_2 \
	    HA_PG_PORT_3 HA_REST_PORT_1 HA_REST_PORT_2 HA_REST_PORT_3

	install -m 755 "$ha_contrib/post-bootstrap.sh" "$HA_DIR/post-bootstrap.sh"
	for n in 1 2 3; do
		mkdir -p "$HA_DIR/node$n" && ha__etcd_conf "$n" && ha__patroni_conf "$n" || return 1
	done
	[ "$(id -u)" != 0 ] || chown -R "$HA_USER:" "$HA_DIR"
	ha__log "cluster in $HA_DIR: PostgreSQL on $HA_PG_PORT_1 $HA_PG_PORT_2 $HA_PG_PORT_3," \
	    "Patroni on $HA_REST_PORT_1 $HA_REST_PORT_2 $HA_REST_PORT_3, etcd on $HA_ETCD_HOSTS"
	for n in 1 2 3; do ha__start_etcd "$n" || { ha__fail "etcd did not start"; return 1; }; done
	for i in $(seq 60); do
		etcdctl --endpoints="$HA_ETCD_HOSTS" endpoint health > /dev/null 2>&1 && break
		[ "$i" -lt 60 ] || { ha__fail "etcd is not healthy after 30 s"; return 1; }
		sleep 0.5
	done
	for n in 1 2 3; do ha__start_patroni "$n" || { ha__fail "Patroni did not start"; return 1; }; done
	ha_wait_healthy "$HA_START_TIMEOUT" || return 1
	ha__log "healthy: leader node$(ha_leader), synchronous standby node$(ha_sync_standby)"
}

# ha_stop: kills every process of the cluster and waits (10 s at most) until none is left.
# Safe to call twice, before ha_start, or after a failure half-way through it (meant for an
# EXIT trap).  Needs only HA_DIR: after a caller was itself killed, HA_DIR=DIR ha_stop cleans.
ha_stop() {
	local n groups i
	[ -n "$HA_DIR" ] && [ -d "$HA_DIR" ] || return 0
	groups=$(for n in 1 2 3; do ha__groups "$n"; done)
	for n in 1 2 3; do ha__signal KILL "$n"; done
	ha__sweep "$HA_DIR" > /dev/null
	for i in $(seq 100); do
		[ -z "$groups" ] || [ -z "$(ha__alive $groups)" ] && return 0
		sleep 0.1
	done
	echo "ha: processes of $HA_DIR still alive: $(ha__alive $groups)" >&2
	return 1
}

# ha__first_node PATH: prints the number of the first node whose Patroni answers PATH with
# success; fails when none does.
ha__first_node() {
	local n
	for n in 1 2 3; do
		ha__rest "$n" "$1" > /dev/null && { echo "$n"; return 0; }
	done
	return 1
}

# ha_leader: prints the node number (1-3) whose PostgreSQL is the running primary holding
# the leader key; fails when there is none.
ha_leader() { ha__first_node /primary; }

# ha_sync_standby: prints the node number of the synchronous standby, the one Patroni may
# promote (etcd's /sync key names it); fails when there is none.
ha_sync_standby() { ha__first_node /sync; }

# ha_wait_sync [SECONDS]: waits (at most SECONDS, default $HA_FAILOVER_TIMEOUT) until some
# node is the synchronous standby, and prints its number.  After a failover Patroni names one
# a loop or two after PostgreSQL already treats it as synchronous.
ha_wait_sync() {
	local limit=$((${1:-$HA_FAILOVER_TIMEOUT} * 1000)) t0
	t0=$(ha_now_ms)
	until ha_sync_standby; do
		[ $(($(ha_now_ms) - t0)) -lt "$limit" ] ||
		    { ha__fail "no synchronous standby within $((limit / 1000)) s"; return 1; }
		sleep 0.5
	done
}

# ha_psql [PSQL ARGS]: psql as the superuser against the current leader, in $HA_DB_NAME unless
# ARGS name another database (-d).
ha_psql() {
	local n
	n=$(ha_leader) || { echo "ha: no leader" >&2; return 1; }
	"$HA_PGBIN/psql" -X -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(ha__var HA_PG_PORT "$n")" \
	    -U postgres -d "$HA_DB_NAME" "$@"
}

# ha_kill_leader: kills (SIGKILL) the leader's etcd member, Patroni and PostgreSQL at once, as
# if its machine died, and prints its node number.
ha_kill_leader() {
	local n
	n=$(ha_leader) || { echo "ha: no leader to kill" >&2; return 1; }
	ha__signal KILL "$n"
	echo "$n"
}

# ha_stop_node N / ha_cont_node N: freezes (SIGSTOP) or thaws (SIGCONT) all of node N.
ha_stop_node() { ha__node "$1" && ha__signal STOP "$1"; }
ha_cont_node() { ha__node "$1" && ha__signal CONT "$1"; }

# ha_restart_node N: starts node N again after ha_kill_leader (etcd, then Patroni, which
# rewinds or recovers its PostgreSQL as needed) and waits until it streams from the leader.
ha_restart_node() {
	local n=$1 t0 limit=$((HA_REJOIN_TIMEOUT * 1000)) rows
	ha__node "$n" || return 1
	ha__signal KILL "$n"
	ha__sweep "$HA_DIR/node$n" > /dev/null
	ha__start_etcd "$n" && ha__start_patroni "$n" || { ha__fail "node$n did not start"; return 1; }
	t0=$(ha_now_ms)
	until rows=$(ha_psql -d postgres -Atc "SELECT count(*) FROM pg_stat_replication
	    WHERE application_name = 'node$n' AND state = 'streaming'" 2>/dev/null) && [ "$rows" = 1 ]; do
		[ $(($(ha_now_ms) - t0)) -lt "$limit" ] ||
		    { ha__fail "node$n did not rejoin within $HA_REJOIN_TIMEOUT s"; return 1; }
		sleep 0.5
	done
	ha__log "node$n streams again after $(ha_secs $(($(ha_now_ms) - t0))) s"
}

# ha_wait_leader [SECONDS]: waits (at most SECONDS, default $HA_FAILOVER_TIMEOUT) until some
# node is the running primary, and prints how long that took in seconds.
ha_wait_leader() {
	local limit=$((${1:-$HA_FAILOVER_TIMEOUT} * 1000)) t0
	t0=$(ha_now_ms)
	until ha_leader > /dev/null; do
		[ $(($(ha_now_ms) - t0)) -lt "$limit" ] ||
		    { ha__fail "no leader within $((limit / 1000)) s"; return 1; }
		sleep 0.2
	done
	ha_secs $(($(ha_now_ms) - t0))
	echo
}

# ha_list: patronictl's table of the cluster (it asks etcd, through any member that answers).
ha_list() {
	timeout 20 patronictl -c "$HA_DIR/node1/patroni.yml" list 2>&1
}
